"""Echo cancellation live: Jarvis's own voice looped back into its microphone through PulseAudio.

The rig is the tests' PulseAudio daemon (``tests/support/pulse.py``): ``module-loopback`` from the
speaker's monitor into the microphone (delay 30-60 ms, gain 0.3-0.6, a -60 dBFS noise floor), like
a laptop's open speakers. The real :class:`~jarvis.pipeline.voice_loop.VoiceLoop` listens hands-free
on the virtual devices through sounddevice; each trial hands its player a long reply (Jarvis's
Piper voice, ~9 s, synthesised once) as the TTS stage would, and a user (a LibriVox clip) starts
talking over it 2.5-4 s in (``paplay`` into the microphone). One voice loop per rig (one room per
session), its first 3 s of speech not scored; utterances are not transcribed.

Two conditions on the same rigs:

* ``aec`` -- ``audio.speakers = "open"`` with echo cancellation (the default);
* ``raw`` -- no echo cancellation and no muting (``speakers = "headset"``): what the VAD hears.

Per trial, in stream samples (no thread timing enters them):

* ``erle_db`` -- the raw microphone over the canceller's output on the echo-only stretch;
* ``echo_alone_vad`` -- the VAD started, or was in an utterance, on the echo alone (before the user);
* ``echo_alone_cut`` -- Jarvis's reply was cut off before the user spoke (its own echo interrupted it);
* ``barged_in`` / ``bargein_ms`` -- the user cut the reply off, and how long after the user's first
  voiced 10 ms (found by cross-correlating the raw microphone with the clip); target 300 ms.
  ``vad_alone_ms`` is the same VAD's own start latency on that clip with no echo at all, and
  ``bargein_added_ms`` what the echo and its cancelling add to it.

    .venv/bin/python bench/echo_live.py [--trials 24] [--raw-trials N] [--resample speex-float-5] [--seed 7]

``--resample`` is the daemon's resampler (``speex-float-1`` is PulseAudio's own default). Prints
one JSON document. Needs pulseaudio and pulseaudio-utils (installed by install.sh).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.common import emit, pct  # noqa: E402
from bench.echo_cancel import EN, USERS, erle_db, jarvis_speech, onset, vad_starts  # noqa: E402
from jarvis.audio.devices import AudioInput, SoundDeviceInput  # noqa: E402
from jarvis.audio.echo_cancel import estimate_delay  # noqa: E402
from jarvis.audio.events import HeardText, MicLevel, SpeakingChanged  # noqa: E402
from jarvis.audio.wavio import read_wav  # noqa: E402
from jarvis.config import load_settings  # noqa: E402
from jarvis.messages import SpeechChunk  # noqa: E402
from jarvis.pipeline.runner import Assistant  # noqa: E402
from jarvis.pipeline.voice_loop import VoiceLoop  # noqa: E402
from tests.support import pulse  # noqa: E402
from tests.support.config import write_config  # noqa: E402
from tests.support.voicekit import voice_models  # noqa: E402

SR = 16000
REPLY_S = 9.0
TARGET_MS = 300
RIGS = ((40, 0.5), (30, 0.6), (60, 0.4), (50, 0.3))  # (delay ms, linear gain) of the loopback


class RecordingInput(AudioInput):
    """The live microphone, keeping every raw block it hands out (what the room sent, before any AEC)."""

    live = True

    def __init__(self, source: SoundDeviceInput) -> None:
        self.source = source
        self.name, self.sample_rate, self.block_frames = source.name, source.sample_rate, source.block_frames
        self.blocks: list[np.ndarray] = []
        self.lock = threading.Lock()

    @property
    def drops(self) -> int:  # type: ignore[override]
        return self.source.drops

    @property
    def block_time(self) -> float | None:  # type: ignore[override]
        return self.source.block_time

    @property
    def overflows(self) -> int:
        return self.source.overflows

    def start(self) -> None:
        self.source.start()

    def read(self, timeout: float = 0.1) -> Any | None:
        block = self.source.read(timeout)
        if block is not None:
            with self.lock:
                self.blocks.append(np.asarray(block, np.float32).copy())
        return block

    def audio(self) -> np.ndarray:
        with self.lock:
            return np.concatenate(self.blocks) if self.blocks else np.zeros(0, np.float32)

    def close(self) -> None:
        self.source.close()


class Session:
    """A voice loop on the rig, its microphone recorded, VAD starts and barge-ins noted in stream samples."""

    def __init__(self, folder: Path, speakers: str, stt: Any, voices: Any) -> None:
        m = ROOT / "models"
        cfg = write_config(
            folder,
            default="smollm2-135m",
            tts=f'enabled = true\npiper_model = "{m}/piper/en_US-joe-medium.onnx"\n'
            f'kokoro_model = "{m}/kokoro/kokoro-v1.0.int8.onnx"\nkokoro_voices = "{m}/kokoro/voices.npz"',
            audio=f'input_device = "pulse"\noutput_device = "pulse"\nmode = "hands_free"\nspeakers = "{speakers}"',
            **{"audio.turn": "enabled = false\npartial_every_ms = 0"},
        )
        self.assistant = Assistant(load_settings(cfg)).start()
        self.mic = RecordingInput(SoundDeviceInput("pulse", SR, 30))
        self.loop = VoiceLoop(self.assistant, input=self.mic, stt=stt, voices=voices).start()
        seg = self.loop.segmenter
        assert seg is not None
        seg.emit = lambda utt: None  # utterances are not turns here: nothing is transcribed or answered
        self.starts: list[int] = []
        hook = seg.on_speech_start

        def started() -> None:
            self.starts.append(seg.position)
            if hook is not None:
                hook()

        seg.on_speech_start = started
        self.cancelled: list[np.ndarray] = []  # the canceller's output (ERLE is measured on it)
        if self.loop.echo is not None:
            self.loop.echo.tap = lambda raw, ref, cancelled, heard: self.cancelled.append(cancelled.copy())
        self.events: list[tuple[int, Any]] = []  # (stream position when seen, event)
        self.states: list[tuple[int, str]] = []  # (stream position after the block, VAD state)
        self.assistant.bus.subscribe(self._seen)

    def _seen(self, event: Any) -> None:
        seg = self.loop.segmenter
        if seg is None:
            return
        if isinstance(event, MicLevel):  # published by the VAD thread right after each block
            self.states.append((seg.position, event.vad_state))
        elif isinstance(event, (SpeakingChanged, HeardText)):
            self.events.append((seg.position, event))

    @property
    def position(self) -> int:
        return self.loop.segmenter.position if self.loop.segmenter is not None else 0

    def speak(self, audio: np.ndarray, turn_id: int) -> None:
        """Hand the player a whole reply, as the TTS stage would."""
        player = self.loop.player
        assert player is not None
        player.put(SpeechChunk(audio, SR, "reply", turn_id, self.assistant.cancel.generation))
        player.end_turn(turn_id)

    def quiet(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.loop.speaking and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.loop.stop()
        self.assistant.shutdown()


def user_onset(raw: np.ndarray, clip: np.ndarray, near: int) -> int:
    """Stream sample of the user's first voiced 10 ms: where the clip sits in the raw mic (GCC-PHAT)."""
    window = raw[near : near + len(clip) + 2 * SR]
    probe = np.zeros(len(window), np.float32)
    probe[: len(clip)] = clip[: len(window)]
    lag_ms, _ = estimate_delay(probe, window, SR, max_ms=2000)
    return near + lag_ms * SR // 1000 + onset(clip)


def vad_alone_ms(clip: np.ndarray, rng: np.random.Generator) -> float:
    """The VAD's own latency on the clip with no echo at all: its start after the clip's onset (ms).

    The same VAD settings over 1 s of the rig's -60 dBFS noise, then the clip in that noise; the
    barge-in delay minus this is what the echo and its cancelling add.
    """
    pad = np.concatenate([np.zeros(SR, np.float32), clip])
    pad = pad + (rng.standard_normal(len(pad)) * 1e-3).astype(np.float32)
    at = SR + onset(clip)
    starts = [s for s in vad_starts(pad) if s >= at]
    return round((starts[0] - at) * 1000 / SR) if starts else float("nan")


def trial(sess: Session, reply: np.ndarray, clip: np.ndarray, clip_path: Path, after_s: float, turn_id: int) -> dict:
    """One reply with the user talking over it; scored in stream samples."""
    deadline = time.monotonic() + 35  # the last utterance has ended (at most audio.vad.max_utterance_s)
    while sess.loop.segmenter is not None and sess.loop.segmenter.state not in ("quiet", "off"):
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    sess.events.clear()
    sess.states.clear()
    n_starts = len(sess.starts)
    sess.speak(reply, turn_id)
    deadline = time.monotonic() + 10
    while not any(isinstance(e, SpeakingChanged) and e.speaking for _, e in sess.events):
        if time.monotonic() > deadline:
            raise RuntimeError("the player did not start")
        time.sleep(0.005)
    spoke_at = next(p for p, e in sess.events if isinstance(e, SpeakingChanged) and e.speaking)
    time.sleep(after_s)
    near = sess.position
    pulse.pulse_server().play(clip_path, wait=True)
    time.sleep(1.5)
    sess.quiet()
    time.sleep(0.5)
    raw = sess.mic.audio()
    user_at = user_onset(raw, clip, near)
    starts = sess.starts[n_starts:]
    echo_from = spoke_at + SR // 10  # the echo is in the mic from here on
    # the VAD took the echo for speech: it started, or it was (still) in an utterance, before the user spoke
    voiced = [p for p, state in sess.states if echo_from <= p < user_at and state == "speaking"]
    on_echo = sorted({*(s for s in starts if echo_from <= s < user_at), *voiced[:1]})
    cut = [p for p, e in sess.events if isinstance(e, HeardText) and e.turn_id == turn_id and e.interrupted]
    cut_on_echo = bool(cut) and cut[0] < user_at  # Jarvis's own echo cut the reply off
    by_user = bool(cut) and not cut_on_echo
    row: dict = {
        "echo_alone_vad": bool(on_echo),
        "echo_alone_vad_after_s": round((on_echo[0] - spoke_at) / SR, 2) if on_echo else None,
        "echo_alone_cut": cut_on_echo,
        "barged_in": by_user,
        "bargein_ms": round((cut[0] - user_at) * 1000 / SR) if by_user else None,  # user's first word -> cut
    }
    if sess.cancelled:
        cancelled = np.concatenate(sess.cancelled)
        a, b = echo_from, min(user_at, len(cancelled), len(raw))
        if b - a > SR // 2:
            row["erle_db"] = round(erle_db(raw[a:b], cancelled[a:b]), 1)
    return row


def run_condition(speakers: str, trials: int, rng: np.random.Generator, jarvis: list, users: list) -> list[dict]:
    """``trials`` trials spread over the rigs; a fresh voice loop per rig (one room per session, as on a
    laptop: an echo path that changes mid-session makes AEC3 leak until it re-converges)."""
    server = pulse.pulse_server()
    stt, voices = voice_models()
    rows: list[dict] = []
    per_rig = -(-trials // len(RIGS))
    baseline = [vad_alone_ms(u, np.random.default_rng(0)) for u in users]
    cancellers = []
    for r, (delay_ms, gain) in enumerate(RIGS):
        with server.loopback(delay_ms, gain):
            folder = Path(tempfile.mkdtemp(prefix=f"jarvis-bench-echo-live-{speakers}-"))
            sess = Session(folder, speakers, stt, voices)
            try:
                time.sleep(2.0)  # the streams start
                sess.speak(np.concatenate(jarvis)[: 3 * SR], 10 + r)  # the first words of the session: not scored
                sess.quiet()
                time.sleep(1.0)
                for _ in range(per_rig):
                    if len(rows) >= trials:
                        break
                    order = rng.permutation(len(jarvis))
                    gap = np.zeros(SR // 5, np.float32)
                    reply = np.concatenate([np.concatenate([jarvis[i], gap]) for i in order])[: int(REPLY_S * SR)]
                    k = int(rng.integers(len(users)))
                    row = trial(sess, reply, users[k], EN / USERS[k], float(rng.uniform(2.5, 4.0)), 100 + len(rows))
                    alone = baseline[k]
                    added = None if row["bargein_ms"] is None else row["bargein_ms"] - alone
                    rows.append(row | {"bargein_added_ms": added, "vad_alone_ms": alone, "delay_ms": delay_ms,
                                       "gain": gain, "user": USERS[k]})
                if sess.loop.echo is not None:
                    stats = sess.loop.echo.stats
                    fields = {k: getattr(stats, k) for k in stats.__dataclass_fields__}
                    cancellers.append({"rig": [delay_ms, gain]} | fields)
            finally:
                sess.close()
    if cancellers:
        rows.append({"canceller": cancellers})
    return rows


def summary(rows: list[dict]) -> dict:
    """Rates and percentiles over the trials."""
    n = len(rows)
    lat = [r["bargein_ms"] for r in rows if r["bargein_ms"] is not None]
    added = [r["bargein_added_ms"] for r in rows if r["bargein_added_ms"] is not None]
    erle = [r["erle_db"] for r in rows if r.get("erle_db") is not None]
    out = {
        "trials": n,
        "echo_alone_vad_rate": round(sum(r["echo_alone_vad"] for r in rows) / n, 3),
        "echo_alone_cut_rate": round(sum(r["echo_alone_cut"] for r in rows) / n, 3),
        "barged_in_rate": round(sum(r["barged_in"] for r in rows) / n, 3),
        "bargein_within_300ms_rate": round(sum(1 for x in lat if x <= TARGET_MS) / n, 3),
        "bargein_ms": {"p50": pct(lat, 50), "p90": pct(lat, 90), "max": max(lat) if lat else None},
        "bargein_added_ms": {"p50": pct(added, 50), "p90": pct(added, 90), "max": max(added) if added else None},
        "bargein_added_within_300ms_rate": round(sum(1 for x in added if x <= TARGET_MS) / n, 3),
    }
    if erle:
        out["erle_db"] = {"mean": round(statistics.mean(erle), 1), "min": min(erle), "p50": pct(erle, 50)}
    triggered = [r["echo_alone_vad_after_s"] for r in rows if r["echo_alone_vad_after_s"] is not None]
    if triggered:
        out["echo_alone_vad_after_s_p50"] = pct(triggered, 50)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--raw-trials", type=int, default=None, help="trials without AEC (default: --trials)")
    parser.add_argument("--resample", default=pulse.RESAMPLE_METHOD, help="PulseAudio's resample-method")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    why = pulse.available()
    if why is not None:
        sys.exit(f"echo_live bench needs PulseAudio: {why}")
    pulse.RESAMPLE_METHOD = args.resample
    pulse.pulse_server()
    jarvis = jarvis_speech()
    users = [read_wav(EN / name, SR) for name in USERS]
    results = {}
    for name, speakers, n in (("aec", "open", args.trials), ("raw", "headset", args.raw_trials or args.trials)):
        rows = run_condition(speakers, n, np.random.default_rng(args.seed), jarvis, users)
        extra = [r for r in rows if "canceller" in r]
        rows = [r for r in rows if "canceller" not in r]
        results[name] = {"summary": summary(rows), "trials": rows} | (extra[0] if extra else {})
    emit(
        {
            "bench": "echo_live",
            "rig": "PulseAudio module-loopback speaker monitor -> mic (delay/gain per trial group), -60 dBFS mic "
            f"noise, resample-method {args.resample}; VoiceLoop hands-free through sounddevice; Piper joe reply "
            f"{REPLY_S:.0f} s; LibriVox user from 2.5-4 s; webrtcvad agg 2, 30 ms frames, start 150 ms",
            "target_bargein_ms": TARGET_MS,
            "summary": {name: r["summary"] for name, r in results.items()},
            "canceller": results["aec"].get("canceller"),
            "trials": {name: r["trials"] for name, r in results.items()},
        }
    )


if __name__ == "__main__":
    main()
