"""The speech-to-text contract: float32 mono 16 kHz samples in, an :class:`SttResult` out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class SttResult:
    """What a recogniser heard in one utterance.

    ``language`` is the language code used or detected (None when unknown),
    ``language_probability`` the detector's confidence (1.0 when the language was fixed),
    ``audio_s`` the length of the audio and ``seconds`` the time the recognition took; ``logprob``
    how sure the decoder was of its words (mean log-probability per token, 0 is certain).
    """

    text: str
    language: str | None
    language_probability: float
    audio_s: float
    seconds: float
    logprob: float | None = None  # the decoder's mean log-probability per token (None: not known)

    @property
    def real_time_factor(self) -> float:
        """Recognition time divided by audio length (below 1 is faster than real time)."""
        return self.seconds / self.audio_s if self.audio_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain fields plus the real-time factor, for ``--json`` output and metrics."""
        out = asdict(self)
        out["real_time_factor"] = round(self.real_time_factor, 4)
        return out


class SpeechToText(ABC):
    """A speech recogniser; one instance is used from one thread at a time."""

    name: str = "stt"
    device: str = "cpu"
    #: The language the conversation is in (set before each utterance): a recogniser that detects
    #: the language may lean an unsure detection to it. None: no lean.
    prefer: str | None = None

    @abstractmethod
    def transcribe(self, audio: Any, language: str | None = None, quick: bool = False) -> SttResult:
        """Recognise one utterance.

        Args:
            audio: numpy float32 mono samples at 16 kHz, values in [-1, 1].
            language: a language code ("en", "es", ...) to force, or None to detect it.
            quick: one fast pass only, for speech still going on (partials, end-of-turn checks):
                the text may be empty where a full pass would find words.

        Returns:
            The text (stripped, possibly empty for silence), the language and timings.

        Raises:
            AudioFormatError: the array is not 1-D audio.
            ModelLoadError: the backend failed while recognising.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the model; the instance must not be used afterwards."""
