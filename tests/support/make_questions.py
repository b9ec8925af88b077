"""Make the spoken-question fixtures in ``tests/fixtures/speech/questions`` (run once; the WAVs are committed).

English questions are spoken by Piper (joe), Spanish ones by Kokoro; each ``*-pause`` file is the
same sentence said whole, with 400 ms of silence put in after the word before the last one ("What is
the capital of ... France?", found with whisper's word timestamps), so the voice does not drop as at
the end of a sentence. Synthetic speech:
these test turn taking and latency, not recognition accuracy (the LibriVox clips do that).
``es-tutor-cerveza`` is a Spanish learner's line with a gender mistake ("el cerveza") for the tutor;
whisper-base keeps the mistake when it transcribes it (checked when the file was made).

    .venv/bin/python -m tests.support.make_questions [NAME ...]   (default: every fixture)
"""

from __future__ import annotations

import sys

import numpy as np

from devsupport.paths import FIXTURES, ROOT
from jarvis.audio.wavio import read_wav, write_wav
from jarvis.config import load_settings
from jarvis.tts.voices import VoiceSet

OUT = FIXTURES / "speech" / "questions"
RATE = 16000
QUESTIONS = {
    "en-capital": ("en", "What is the capital of France?"),
    "en-spider": ("en", "How many legs does a spider have?"),
    "en-tokyo": ("en", "What time is it in Tokyo?"),
    "en-joke": ("en", "Tell me a short joke."),
    "es-capital": ("es", "¿Cuál es la capital de Francia?"),
    "es-hora": ("es", "¿Qué hora es en Madrid?"),
    "es-chiste": ("es", "Cuéntame un chiste corto."),
    "es-tutor-cerveza": ("es", "Buenas noches. Quiero el cerveza y una tortilla, por favor."),
}
PAUSED = {"en-capital-pause": "en-capital", "es-capital-pause": "es-capital"}


def _say(voices: VoiceSet, text: str, language: str) -> np.ndarray:
    import soxr

    spoken = voices.speak(text, language)
    audio = np.asarray(spoken.audio, dtype=np.float32)
    return soxr.resample(audio, spoken.sample_rate, RATE).astype(np.float32)


def main(names: list[str] | None = None) -> None:
    """Write the fixture WAVs called ``names`` (default: all) and their transcripts."""
    names = names or [*QUESTIONS, *PAUSED]
    voices = VoiceSet(load_settings(ROOT / "config.toml").tts)
    OUT.mkdir(parents=True, exist_ok=True)
    quiet = np.zeros(int(0.3 * RATE), np.float32)
    for name, (lang, text) in QUESTIONS.items():
        if name not in names:
            continue
        write_wav(OUT / f"{name}.wav", np.concatenate([quiet, _say(voices, text, lang), quiet]), RATE)
        (OUT / f"{name}.txt").write_text(text + "\n")
    voices.close()
    if not any(name in names for name in PAUSED):
        return
    from faster_whisper import WhisperModel

    whisper = WhisperModel(str(ROOT / "models" / "whisper-base"), device="cpu", compute_type="int8")
    pause = np.zeros(int(0.4 * RATE), np.float32)
    for name, whole in PAUSED.items():
        if name not in names:
            continue
        lang, text = QUESTIONS[whole]
        audio = read_wav(OUT / f"{whole}.wav")
        segments, _ = whisper.transcribe(audio, language=lang, word_timestamps=True)
        words = [w for s in segments for w in s.words or []]
        cut = int(words[-2].end * RATE)
        write_wav(OUT / f"{name}.wav", np.concatenate([audio[:cut], pause, audio[cut:]]), RATE)
        (OUT / f"{name}.txt").write_text(text + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
