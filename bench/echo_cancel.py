"""Acoustic echo cancellation: ERLE, VAD on echo alone, and barge-in by voice over Jarvis's voice.

Each trial plays Jarvis's own synthesised speech (Piper ``joe``, the project's English voice, a few
sentences resampled to 16 kHz) through a simulated open speaker -> room -> mic path: a delay of
30-120 ms, a gain of -6 to -20 dB, a room impulse response of exponentially decaying noise (RT60
0.1-0.4 s) and mild mic noise (-60 dBFS). A user (the LibriVox clips in ``tests/fixtures/speech/en``)
starts talking over it at a known time (2.5-4 s in; the onset is the clip's first voiced 10 ms frame).
The mic goes through :class:`jarvis.audio.echo_cancel.EchoCanceller` in 30 ms capture blocks, with the
reference fed block by block as a player would, and the project's VAD (webrtcvad, aggressiveness 2,
30 ms frames, 150 ms to start: the defaults of ``audio.vad``) listens to the result.

Reported for the user alone (no echo: the VAD's own latency, the baseline), with and without AEC
(and with AEC given the delay found by :func:`estimate_delay`):
ERLE in dB on the echo-only stretch (whole, and after the first second), whether the VAD starts an
utterance on echo alone (whole stretch, and after the first second), and barge-in: the first VAD start
at or after the user's onset, and the rate within 300 ms.

    .venv/bin/python bench/echo_cancel.py [--trials 24] [--seed 7]

The same figures on the live path (the voice loop, real virtual devices, the speaker looped back into
the microphone through PulseAudio): ``bench/echo_live.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import emit, pct  # noqa: E402
from jarvis.audio.echo_cancel import EchoCanceller, estimate_delay  # noqa: E402
from jarvis.audio.vad import VadMachine, WebRtcClassifier  # noqa: E402
from jarvis.audio.wavio import read_wav  # noqa: E402
from jarvis.config import VADSettings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SR = 16000
BLOCK = 480  # 30 ms capture blocks
EN = ROOT / "tests" / "fixtures" / "speech" / "en"
USERS = ("librivox-0870.wav", "librivox-0880.wav", "librivox-0920.wav")
JARVIS_LINES = (
    "The weather in Madrid is sunny today, with a high of twenty four degrees and a light breeze.",
    "I have set a timer for ten minutes. I will let you know when it is done.",
    "Here is a short summary of the article you asked about, in three points.",
    "The capital of Australia is Canberra, not Sydney, as many people think.",
)


def jarvis_speech() -> list[np.ndarray]:
    """Jarvis's own voice (Piper joe, as configured for the tests) saying a few lines, 16 kHz float32."""
    import soxr

    from devsupport.voicekit import voice_config
    from jarvis.config import load_settings
    from jarvis.tts.voices import VoiceSet

    folder = Path("/tmp/jarvis-echo-bench")
    folder.mkdir(exist_ok=True)
    voices = VoiceSet(load_settings(voice_config(folder)).tts)
    out = []
    for line in JARVIS_LINES:
        spoken = voices.speak(line, "en")
        out.append(soxr.resample(spoken.audio, spoken.sample_rate, SR).astype(np.float32))
    voices.close()
    return out


def user_speech() -> list[np.ndarray]:
    """The LibriVox clips, 16 kHz float32."""
    return [read_wav(EN / name, SR) for name in USERS]


def onset(x: np.ndarray) -> int:
    """First sample of the first 10 ms frame within 30 dB of the clip's loudest frame."""
    n = len(x) // 160
    rms = np.sqrt((x[: n * 160].reshape(n, 160) ** 2).mean(axis=1) + 1e-12)
    return int(np.argmax(rms > rms.max() * 10 ** (-30 / 20))) * 160


@dataclass
class Trial:
    far: np.ndarray  # what the speaker played
    mic: np.ndarray  # echo + user + noise
    echo: np.ndarray  # the echo alone (with the noise)
    user_at: int  # sample where the user's voice starts
    delay_ms: int
    gain_db: float
    rt60_s: float


def room_echo(far: np.ndarray, rng: np.random.Generator, delay_ms: int, gain_db: float, rt60_s: float) -> np.ndarray:
    """The speaker's sound at the mic: delayed, attenuated, through an exponentially decaying noise RIR."""
    n = int(rt60_s * SR)
    rir = rng.standard_normal(n) * np.exp(-6.9 * np.arange(n) / n)  # -60 dB at rt60
    rir[0] += 4.0  # the direct path
    rir /= np.sqrt((rir**2).sum())
    wet = np.convolve(far, rir)[: len(far)] * 10 ** (gain_db / 20)
    return np.concatenate([np.zeros(delay_ms * SR // 1000), wet])[: len(far)].astype(np.float32)


def make_trial(rng: np.random.Generator, jarvis: list[np.ndarray], users: list[np.ndarray]) -> Trial:
    """One rig: Jarvis talks for ~8 s; the user starts 2.5-4 s in, at -26 to -20 dBFS."""
    order = rng.permutation(len(jarvis))
    gap = np.zeros(SR // 5, np.float32)
    far = np.concatenate([np.concatenate([jarvis[i], gap]) for i in order])[: 8 * SR]
    delay_ms, gain_db, rt60 = int(rng.integers(30, 121)), float(rng.uniform(-20, -6)), float(rng.uniform(0.1, 0.4))
    echo = room_echo(far, rng, delay_ms, gain_db, rt60)
    echo += (rng.standard_normal(len(far)) * 10 ** (-60 / 20)).astype(np.float32)
    user = users[int(rng.integers(len(users)))]
    user = user / (np.sqrt((user[user != 0] ** 2).mean()) + 1e-9) * 10 ** (rng.uniform(-26, -20) / 20)
    start = int(rng.uniform(2.5, 4.0) * SR)
    mic = echo.copy()
    end = min(len(mic), start + len(user))
    mic[start:end] += user[: end - start].astype(np.float32)
    return Trial(far, mic, echo, start + onset(user), delay_ms, gain_db, rt60)


def run_aec(far: np.ndarray, mic: np.ndarray, delay_ms: int = 0) -> np.ndarray:
    """The mic through a fresh EchoCanceller, block by block as the capture path would."""
    ec = EchoCanceller(SR, delay_ms=delay_ms)
    out = []
    for i in range(0, len(mic), BLOCK):
        ec.far(far[i : i + BLOCK])
        out.append(ec.near(mic[i : i + BLOCK]))
    ec.close()
    return np.concatenate(out)


def vad_starts(x: np.ndarray) -> list[int]:
    """Samples at which the project's VAD (defaults of audio.vad, webrtcvad) starts an utterance."""
    cfg = VADSettings()
    machine, classify = VadMachine(cfg, SR), WebRtcClassifier(cfg.aggressiveness, SR)
    n = machine.frame_len
    starts = []
    for i in range(0, len(x) - n + 1, n):
        frame = x[i : i + n]
        if machine.push(frame, classify(frame)).started:
            starts.append(i + n)
    return starts


def erle_db(mic: np.ndarray, out: np.ndarray) -> float:
    """Echo return loss enhancement: mic power over output power, in dB."""
    return float(10 * np.log10((mic**2).mean() / ((out**2).mean() + 1e-20)))


def score(trial: Trial, out: np.ndarray) -> dict:
    """ERLE and VAD on the echo-only stretch, and barge-in latency after the user's onset."""
    u, s1 = trial.user_at, SR
    starts = vad_starts(out)
    echo_starts = [s for s in starts if s < u]
    after = [s for s in starts if s >= u]
    latency = (after[0] - u) * 1000 / SR if after else None
    return {
        "erle_db": round(erle_db(trial.mic[:u], out[:u]), 1),
        "erle_after_1s_db": round(erle_db(trial.mic[s1:u], out[s1:u]), 1),
        "vad_on_echo": bool(echo_starts),
        "vad_on_echo_after_1s": any(s >= s1 for s in echo_starts),
        "bargein_ms": None if latency is None else round(latency),
    }


def summary(rows: list[dict]) -> dict:
    """Means and rates over the trials."""
    lat = [r["bargein_ms"] for r in rows if r["bargein_ms"] is not None]
    return {
        "erle_db_mean": round(statistics.mean(r["erle_db"] for r in rows), 1),
        "erle_db_min": min(r["erle_db"] for r in rows),
        "erle_after_1s_db_mean": round(statistics.mean(r["erle_after_1s_db"] for r in rows), 1),
        "erle_after_1s_db_min": min(r["erle_after_1s_db"] for r in rows),
        "vad_on_echo_rate": round(sum(r["vad_on_echo"] for r in rows) / len(rows), 3),
        "vad_on_echo_after_1s_rate": round(sum(r["vad_on_echo_after_1s"] for r in rows) / len(rows), 3),
        "bargein_within_300ms_rate": round(sum(1 for x in lat if x <= 300) / len(rows), 3),
        "bargein_any_rate": round(len(lat) / len(rows), 3),
        "bargein_ms": {"p50": pct(lat, 50), "p90": pct(lat, 90), "max": max(lat) if lat else None},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    jarvis, users = jarvis_speech(), user_speech()
    names = ("user_alone", "no_aec", "aec", "aec_estimated_delay")
    rows: dict[str, list[dict]] = {name: [] for name in names}
    delays, aec_s, audio_s = [], 0.0, 0.0
    for _ in range(args.trials):
        t = make_trial(rng, jarvis, users)
        rows["user_alone"].append(score(t, t.mic - t.echo))  # the VAD's own latency, no echo at all
        rows["no_aec"].append(score(t, t.mic))
        t0 = time.perf_counter()
        rows["aec"].append(score(t, run_aec(t.far, t.mic)) | {"delay_ms": t.delay_ms, "gain_db": round(t.gain_db, 1)})
        aec_s += time.perf_counter() - t0
        audio_s += len(t.mic) / SR
        probe = 2 * SR  # the first 2 s of Jarvis's speech, before the user talks
        est, conf = estimate_delay(t.far[:probe], t.mic[:probe], SR)
        delays.append({"true_ms": t.delay_ms, "estimated_ms": est, "confidence": round(conf, 1)})
        rows["aec_estimated_delay"].append(score(t, run_aec(t.far, t.mic, delay_ms=est)))
    errors = [abs(d["estimated_ms"] - d["true_ms"]) for d in delays]
    sums = {name: summary(r) for name, r in rows.items()}
    for name in ("aec", "aec_estimated_delay"):  # latency the echo and its cancelling add to the VAD's own
        added = [
            a["bargein_ms"] - b["bargein_ms"]
            for a, b in zip(rows[name], rows["user_alone"], strict=True)
            if a["bargein_ms"] is not None and b["bargein_ms"] is not None
        ]
        sums[name]["bargein_added_ms"] = {"p50": pct(added, 50), "p90": pct(added, 90), "max": max(added, default=None)}
    emit(
        {
            "bench": "echo_cancel",
            "library": "livekit.rtc.AudioProcessingModule (WebRTC AEC3)",
            "trials": args.trials,
            "rig": "Piper joe echo, delay 30-120 ms, gain -6..-20 dB, RT60 0.1-0.4 s, -60 dBFS noise; "
            "LibriVox user at -26..-20 dBFS from 2.5-4 s; webrtcvad agg 2, 30 ms frames, start 150 ms",
            "summary": sums,
            "delay_estimate": {
                "abs_error_ms_p50": pct(errors, 50),
                "abs_error_ms_max": max(errors),
                "within_10ms_rate": round(sum(e <= 10 for e in errors) / len(errors), 3),
            },
            "aec_cost_rtf": round(aec_s / audio_s, 4),
            "trials_detail": {"aec": rows["aec"], "delays": delays},
        }
    )


if __name__ == "__main__":
    main()
