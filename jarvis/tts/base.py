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


def cpu_session(model_path: Any, threads: int = 0, spin: bool = False) -> Any:
    """An onnxruntime session on the CPU with ``threads`` intra-op threads (0 = library default).

    ``spin``: idle worker threads busy-wait for the next piece of work. Off by default: these
    models run beside the language model, and a spinning thread takes a core from it. Measured
    (Kokoro, a 4-word Spanish piece, 2 threads, 2 cores): alone 0.50 s spinning vs 0.54 s not;
    beside one busy thread 0.94 s spinning vs 0.78 s not.
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads > 0:
        options.intra_op_num_threads = threads
    if not spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
