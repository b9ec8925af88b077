"""Kokoro (82M, ONNX) through kokoro-onnx: many languages, espeak-ng phonemes shipped by espeakng-loader."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from jarvis.errors import ConfigError, ModelLoadError, ModelNotFound
from jarvis.tts.base import TextToSpeech, cpu_session

log = logging.getLogger(__name__)

# Our language codes -> the espeak-ng language names Kokoro's phonemiser takes.
ESPEAK_LANG = {
    "en": "en-us",
    "es": "es",
    "fr": "fr-fr",
    "it": "it",
    "pt": "pt-br",
    "hi": "hi",
    "ja": "ja",
    "zh": "cmn",
    "de": "de",
}


class KokoroTTS(TextToSpeech):
    """Kokoro with one voice style, speaking whatever language it is asked for.

    Args:
        model_path: ``kokoro-*.onnx``.
        voices_path: the ``voices.npz`` holding the styles.
        voice: the style name (one of the keys of ``voices.npz``).
        speed: 1.0 is normal pace.
        threads: onnxruntime intra-op threads (0 = library default).

    Raises:
        ModelNotFound: a file is missing.
        ConfigError: ``voice`` is not in ``voices.npz`` (the message lists the styles there).
        ModelLoadError: onnxruntime or kokoro-onnx refused the files.
    """

    name = "kokoro"
    languages = tuple(ESPEAK_LANG)

    def __init__(
        self, model_path: Path, voices_path: Path, voice: str, speed: float = 1.0, threads: int = 0
    ) -> None:
        model_path, voices_path = Path(model_path), Path(voices_path)
        for p in (model_path, voices_path):
            if not p.is_file():
                raise ModelNotFound(
                    f"Kokoro file not found: {p}",
                    "run ./install.sh to fetch the voices, or set tts.kokoro_model / tts.kokoro_voices",
                )
        t0 = time.monotonic()
        try:
            from kokoro_onnx import Kokoro

            self._kokoro: Any = Kokoro.from_session(cpu_session(model_path, threads), str(voices_path))
        except ImportError as exc:  # pragma: no cover - dependencies of the package
            from jarvis.errors import MissingDependency

            raise MissingDependency(f"{exc.name} is not installed", "run ./install.sh") from exc
        except Exception as exc:
            raise ModelLoadError(
                f"cannot load Kokoro from {model_path.name}: {exc}", "run ./install.sh to restore the files"
            ) from None
        styles = self._kokoro.get_voices()
        if voice not in styles:
            raise ConfigError(
                f"tts.kokoro_voice '{voice}' is not in {voices_path.name}",
                f"use one of: {', '.join(styles)}",
            )
        self.voice = voice
        self.speed = speed
        self.sample_rate = 24000
        self.load_seconds = time.monotonic() - t0

    def synthesize(self, text: str, language: str | None = None) -> Any:
        """Speak ``text`` in ``language`` (default English)."""
        import numpy as np

        text = text.strip()
        if not text:
            return np.zeros(0, dtype=np.float32)
        lang = ESPEAK_LANG.get((language or "en").lower().split("-")[0], "en-us")
        try:
            audio, rate = self._kokoro.create(text, voice=self.voice, speed=self.speed, lang=lang)
        except Exception as exc:
            raise ModelLoadError(f"Kokoro failed to speak: {exc}", "see the log file for details") from None
        self.sample_rate = int(rate)
        return np.clip(np.asarray(audio, dtype=np.float32).reshape(-1), -1.0, 1.0)

    def close(self) -> None:
        """Drop the onnxruntime session."""
        self._kokoro = None
