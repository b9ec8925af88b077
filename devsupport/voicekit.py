"""Shared pieces of the voice tests: a test config with voices on, and STT/TTS models loaded once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from devsupport.config import write_config
from devsupport.paths import FIXTURES, MODELS

EN = FIXTURES / "speech" / "en"
QUESTION = EN / "librivox-0880.wav"  # "he was not an ill disposed young man" (3 s)


def voice_config(
    folder: Path, llm: str = "", audio: str = "", stt_model: str = "whisper-tiny.en", extra: str = "", **sections: str,
) -> Path:
    """A config with the smallest LLM, a fast recogniser and the real voices (``extra`` is appended,
    e.g. ``[[profiles]]``; ``sections`` replace whole sections, as in :func:`write_config`)."""
    m = MODELS
    return write_config(
        folder,
        extra,
        default="smollm2-135m",
        llm=llm or 'system_prompt = "You are a helpful assistant. Answer briefly."\n'
        "max_tokens = 40\ntemperature = 0.0\nseed = 7\nhistory_tokens = 1024",
        tts=f'enabled = true\npiper_model = "{m}/piper/en_US-joe-medium.onnx"\n'
        f'kokoro_model = "{m}/kokoro/kokoro-v1.0.int8.onnx"\nkokoro_voices = "{m}/kokoro/voices.npz"\n'
        f'kokoro_styles = "{m}/kokoro/styles"',
        stt=f'model = "{m}/{stt_model}"\nlanguage = "en"',
        audio=audio or 'input_device = ""\noutput_device = ""',
        **sections,
    )


@lru_cache(maxsize=2)
def voice_models(stt_model: str = "whisper-tiny.en"):
    """(SpeechToText, VoiceSet) loaded once per test process."""
    from jarvis.config import load_settings
    from jarvis.stt import load_stt
    from jarvis.tts.voices import VoiceSet

    folder = Path("/tmp") / f"jarvis-voicekit-{stt_model}"
    folder.mkdir(exist_ok=True)
    settings = load_settings(voice_config(folder, stt_model=stt_model))
    voices = VoiceSet(settings.tts)
    voices.preload(("en",))
    return load_stt(settings), voices
