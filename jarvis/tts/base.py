"""The text-to-speech contract: text in, float32 mono samples at ``sample_rate`` out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class TextToSpeech(ABC):
    """One voice engine (Piper, Kokoro); used from one thread at a time."""

    name: str = "tts"
    sample_rate: int = 22050
    languages: tuple[str, ...] = ()

    @abstractmethod
    def synthesize(self, text: str, language: str | None = None) -> Any:
        """Speak ``text``.

        Args:
            text: plain speakable text (run it through ``chunker.speakable`` first).
            language: a language code ("en", "es", ...) or None for the voice's own language.

        Returns:
            numpy float32 mono samples at :attr:`sample_rate`, in [-1, 1]; empty for empty text.

        Raises:
            ModelLoadError: the engine failed on this text.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the model; the instance must not be used afterwards."""

