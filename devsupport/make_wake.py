"""Make the wake-word fixtures in ``tests/fixtures/wake`` (run once; the WAVs are committed).

``positive/``: 24 spoken "hey jarvis, <question>" utterances, each said whole in one breath by Piper
(joe, speeds 0.85-1.2) or Kokoro (af_heart, am_michael, bf_emma, em_alex speaking English; speeds
0.85-1.2), mixed with noise (white, pink, brown, hum, babble from the lecture fixture) at 10-20 dB
SNR. ``hard_negative/``: sentences that sound close but hold no "hey jarvis" (same voices, clean).
``wake.json`` records each clip's text, voice, speed, noise, SNR, where "hey" starts and where
"jarvis" ends: whisper's word timestamp, moved to the start of the pause after the word when there
is one within 250 ms. Everything is 16 kHz mono int16. Synthetic speech (and openWakeWord's model
was trained on synthetic speech): these measure misses across voices and speeds, not accuracy on
human voices.

    .venv/bin/python -m devsupport.make_wake
"""

from __future__ import annotations

import json

import numpy as np

from devsupport.paths import FIXTURES, MODELS
from jarvis.audio.wavio import read_wav, resample, write_wav

OUT = FIXTURES / "wake"
RATE = 16000
QUESTIONS = (
    "Hey Jarvis, what time is it?",
    "Hey Jarvis, what's the weather like today?",
    "Hey Jarvis, set a timer for ten minutes.",
    "Hey Jarvis, how far away is the moon?",
    "Hey Jarvis, tell me a joke.",
    "Hey Jarvis what is the capital of France?",
    "Hey Jarvis, play some music.",
    "Hey Jarvis, remind me to call my mother.",
    "Hey Jarvis, how many legs does a spider have?",
    "Hey Jarvis, turn off the lights.",
    "Hey, Jarvis. What's on my calendar?",
    "Hey Jarvis, who wrote Pride and Prejudice?",
    "Hey Jarvis, convert five miles to kilometres.",
    "Hey Jarvis, what day is it tomorrow?",
    "Hey Jarvis how do I boil an egg?",
    "Hey Jarvis, read me the news.",
    "Hey Jarvis, what is two plus two?",
    "Hey Jarvis, spell the word necessary.",
    "Hey Jarvis, when does the sun set?",
    "Hey Jarvis, open the garage door.",
    "Hey Jarvis, what should I cook tonight?",
    "Hey Jarvis, how tall is Mount Everest?",
    "Hey Jarvis, stop.",
    "Hey Jarvis, translate good morning into Spanish.",
)
# (engine, style, speed) for each question in turn
VOICES = (
    ("piper", "joe", 1.0), ("kokoro", "af_heart", 1.0), ("kokoro", "am_michael", 1.0), ("kokoro", "bf_emma", 1.0),
    ("piper", "joe", 0.85), ("kokoro", "af_heart", 1.2), ("kokoro", "am_michael", 0.85), ("kokoro", "em_alex", 1.0),
    ("piper", "joe", 1.2), ("kokoro", "bf_emma", 0.9), ("kokoro", "af_heart", 0.85), ("kokoro", "em_alex", 1.15),
    ("piper", "joe", 0.9), ("kokoro", "am_michael", 1.2), ("kokoro", "bf_emma", 1.1), ("kokoro", "af_heart", 1.1),
    ("piper", "joe", 1.1), ("kokoro", "em_alex", 0.9), ("kokoro", "bf_emma", 1.2), ("kokoro", "am_michael", 1.1),
    ("piper", "joe", 1.0), ("kokoro", "af_heart", 0.95), ("kokoro", "em_alex", 1.05), ("piper", "joe", 1.15),
)
NOISES = ("white", "pink", "brown", "hum", "babble")
SNRS = (10.0, 12.5, 15.0, 17.5, 20.0)
HARD_NEGATIVES = (
    ("piper", "joe", 1.0, "Hey Travis, can you pass me the salt?"),
    ("kokoro", "af_heart", 1.0, "Harvey's jars are on the shelf by the door."),
    ("kokoro", "am_michael", 1.0, "Hey, are you still there? I can't hear you."),
    ("piper", "joe", 1.0, "The service starts at nine, so hurry up."),
    ("kokoro", "bf_emma", 1.0, "Say, Marvin, what's the time?"),
)


class Voices:
    """Piper and Kokoro engines at a given style and speed, made on demand."""

    def __init__(self) -> None:
        self._engines: dict[tuple[str, str, float], object] = {}

    def say(self, engine: str, style: str, speed: float, text: str) -> np.ndarray:
        """``text`` spoken at 16 kHz float32."""
        key = (engine, style, speed)
        if key not in self._engines:
            if engine == "piper":
                from jarvis.tts.piper_backend import PiperTTS

                self._engines[key] = PiperTTS(MODELS / "piper" / "en_US-joe-medium.onnx", speed=speed)
            else:
                from jarvis.tts.kokoro_backend import KokoroTTS

                k = MODELS / "kokoro"
                self._engines[key] = KokoroTTS(
                    k / "kokoro-v1.0.int8.onnx", k / "voices.npz", style, speed=speed,
                    styles_dir=k / "styles", voice_for={"en": style},
                )
        tts = self._engines[key]
        audio = tts.synthesize(text, "en")  # type: ignore[attr-defined]
        return resample(audio, tts.sample_rate, RATE)  # type: ignore[attr-defined]


def trim(audio: np.ndarray, floor_db: float = -45.0) -> np.ndarray:
    """Cut leading and trailing near-silence (10 ms frames under ``floor_db`` of the peak)."""
    frames = np.abs(audio[: len(audio) // 160 * 160]).reshape(-1, 160).max(axis=1)
    loud = np.nonzero(frames > np.abs(audio).max() * 10 ** (floor_db / 20))[0]
    return audio[loud[0] * 160 : (loud[-1] + 1) * 160] if len(loud) else audio


def noise(kind: str, n: int, rng: np.random.Generator, babble: np.ndarray) -> np.ndarray:
    """``n`` samples of unit-RMS noise of ``kind``."""
    if kind == "babble":  # four stretches of the lecture on top of each other
        starts = rng.integers(0, len(babble) - n, 4)
        out = sum(babble[s : s + n] for s in starts)
    elif kind == "hum":  # mains hum with harmonics plus a little fan hiss
        t = np.arange(n) / RATE
        out = sum(np.sin(2 * np.pi * 50 * h * t + rng.uniform(0, 6)) / h for h in (1, 2, 3, 5))
        out = out + 0.3 * rng.standard_normal(n)
    else:
        spec = np.fft.rfft(rng.standard_normal(n))
        f = np.maximum(np.fft.rfftfreq(n, 1 / RATE), 20.0)
        spec *= {"white": 1.0, "pink": 1 / np.sqrt(f), "brown": 1 / f}[kind]
        out = np.fft.irfft(spec, n)
    out = np.asarray(out, np.float64)
    return (out / (np.sqrt(np.mean(out**2)) + 1e-12)).astype(np.float32)


def speech_power(audio: np.ndarray) -> float:
    """Mean power over the voiced 10 ms frames (those within 30 dB of the loudest)."""
    frames = audio[: len(audio) // 160 * 160].reshape(-1, 160).astype(np.float64)
    power = (frames**2).mean(axis=1)
    return float(power[power > power.max() * 1e-3].mean())


def jarvis_end(whisper: object, audio: np.ndarray) -> tuple[float, str]:
    """Where the word "jarvis" ends in clean ``audio`` (seconds) and how it was found."""
    segments, _ = whisper.transcribe(audio, language="en", word_timestamps=True)  # type: ignore[attr-defined]
    words = [w for s in segments for w in s.words or []]
    hit = next((w for w in words if "jarv" in w.word.lower()), None) or words[min(1, len(words) - 1)]
    t = float(hit.end)
    # the start of a pause of >= 60 ms within 250 ms of whisper's estimate, if there is one
    env = np.abs(audio[: len(audio) // 160 * 160]).reshape(-1, 160).max(axis=1)
    quiet = env < env.max() * 10 ** (-35 / 20)
    lo, hi = max(0, int((t - 0.25) * 100)), min(len(quiet) - 6, int((t + 0.25) * 100))
    for i in range(lo, hi):
        if quiet[i : i + 6].all() and not quiet[i - 1]:
            return i / 100, f"pause after '{hit.word.strip()}'"
    return t, f"whisper end of '{hit.word.strip()}'"


def main() -> None:
    """Write every fixture WAV and ``wake.json``."""
    from faster_whisper import WhisperModel

    rng = np.random.default_rng(12)
    voices = Voices()
    whisper = WhisperModel(str(MODELS / "whisper-base"), device="cpu", compute_type="int8")
    babble = read_wav(FIXTURES / "speech" / "en" / "lecture-60s.wav")
    babble = babble / (np.sqrt(np.mean(babble**2)) + 1e-9)
    lead = int(0.4 * RATE)
    records: dict[str, list[dict]] = {"positive": [], "hard_negative": []}
    for i, (text, (engine, style, speed)) in enumerate(zip(QUESTIONS, VOICES, strict=True)):
        clean = trim(voices.say(engine, style, speed, text))
        end_s, how = jarvis_end(whisper, clean)
        kind, snr = NOISES[i % len(NOISES)], SNRS[(2 * i + i // 5) % len(SNRS)]
        body = np.concatenate([np.zeros(lead, np.float32), clean, np.zeros(lead, np.float32)])
        scale = np.sqrt(speech_power(clean) / 10 ** (snr / 10))
        mixed = body + scale * noise(kind, len(body), rng, babble)
        gain = 10 ** (rng.uniform(-12, -3) / 20) / np.abs(mixed).max()  # peak at -12..-3 dBFS
        name = f"hey-jarvis-{i + 1:02d}-{style}-{speed:g}.wav"
        write_wav(OUT / "positive" / name, mixed * gain, RATE)
        records["positive"].append({
            "file": f"positive/{name}", "text": text, "engine": engine, "voice": style, "speed": speed,
            "noise": kind, "snr_db": snr, "speech_start_s": lead / RATE, "jarvis_end_s": round(lead / RATE + end_s, 3),
            "jarvis_end_from": how,
        })
        print(f"{name}: jarvis ends {lead / RATE + end_s:.2f} s ({how}), {kind} noise {snr} dB", flush=True)
    for i, (engine, style, speed, text) in enumerate(HARD_NEGATIVES):
        clean = trim(voices.say(engine, style, speed, text))
        body = np.concatenate([np.zeros(lead, np.float32), clean, np.zeros(lead, np.float32)])
        name = f"near-{i + 1:02d}-{style}.wav"
        write_wav(OUT / "hard_negative" / name, body * (0.5 / np.abs(body).max()), RATE)
        records["hard_negative"].append({"file": f"hard_negative/{name}", "text": text, "voice": style})
    (OUT / "wake.json").write_text(json.dumps(records, indent=1) + "\n")


if __name__ == "__main__":
    main()

