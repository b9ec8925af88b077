"""Semantic end of turn: has the speaker finished, judged from how the speech sounds.

:class:`TurnEndModel` runs Smart Turn v3.2 (an int8 ONNX audio classifier, BSD-2, taken out of the
``pipecat-ai`` wheel by ``install.sh``) on the last 8 s of an utterance: Whisper-style 80-bin log-mel
features in, the probability that the turn is complete out. The VAD asks it after a short silence
(``audio.turn.check_ms``); "complete" ends the turn at once, "not yet" keeps listening up to
``audio.turn.max_silence_ms``. Intonation carries what silence length cannot: "what is the capital
of..." trails off differently from "...of France?".
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jarvis.errors import MissingDependency, ModelLoadError, ModelNotFound
from jarvis.onnx_session import cpu_session

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
WINDOW_S = 8  # the model sees the last 8 s (800 feature frames), zero-padded on the left
_NORM_EPS = 1e-7


# English and Spanish words no sentence ends with (articles, prepositions, conjunctions, possessives):
# a partial transcript ending on one means the speaker paused mid-sentence.
UNFINISHED_WORDS = frozenset(
    """a an the of to in on at for from with by into onto than and or but nor because my your our their
    el la los las un una unos unas de del al en con por para sin sobre entre y e o u ni pero porque
    mi mis tu tus su sus nuestro nuestra""".split()
)


@dataclass(frozen=True)
class TurnVerdict:
    """Whether the turn is over, the model's probability, and the transcript of the judged audio if one was made."""

    complete: bool
    probability: float = 0.0
    transcript: Any = field(default=None, compare=False, repr=False)


def ends_unfinished(text: str) -> bool:
    """True when ``text`` (a partial transcript) ends on a word no sentence ends with."""
    words = text.strip().split()
    if not words:
        return False
    last = words[-1].strip(".,;:!?¿¡\"'()…-").lower()
    return last in UNFINISHED_WORDS


class TurnEndModel:
    """Smart Turn v3.x: P(the speaker has finished) from the end of an utterance.

    Args:
        path: the ONNX file.
        threads: CPU threads for onnxruntime (1 keeps the cores free for the other stages).

    Raises:
        ModelNotFound: the file is missing.
        ModelLoadError: onnxruntime refused it.
    """

    def __init__(self, path: Path, threads: int = 1) -> None:
        path = Path(path)
        if not path.is_file():
            raise ModelNotFound(
                f"end-of-turn model not found: {path}",
                "run ./install.sh (it takes the file from the pipecat-ai wheel), or set audio.turn.enabled = false",
            )
        try:
            from faster_whisper.feature_extractor import FeatureExtractor
        except ImportError:  # pragma: no cover - a dependency of the package
            raise MissingDependency("faster-whisper is not installed", "run ./install.sh") from None
        try:
            self._session = cpu_session(path, max(1, threads))
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelLoadError(
                f"cannot load the end-of-turn model {path.name}: {exc}", "run ./install.sh again"
            ) from None
        self._input = self._session.get_inputs()[0].name
        self._features = FeatureExtractor(feature_size=80, sampling_rate=SAMPLE_RATE, chunk_length=WINDOW_S)
        self.path = path
        self.last_seconds = 0.0

    def features(self, audio: Any) -> Any:
        """(1, 80, 800) float32 log-mel features of the last 8 s of ``audio`` (16 kHz float32 mono)."""
        import numpy as np

        samples = np.asarray(audio, dtype=np.float32)
        n = WINDOW_S * SAMPLE_RATE
        samples = samples[-n:]
        if samples.size < n:
            samples = np.concatenate([np.zeros(n - samples.size, np.float32), samples])
        # normalised over the whole padded window, as the model was used in training
        samples = ((samples - samples.mean()) / np.sqrt(samples.var() + _NORM_EPS)).astype(np.float32)
        mel = self._features(samples, padding=0)[:, : WINDOW_S * 100]
        return mel[None, :, :].astype(np.float32)

    def probability(self, audio: Any) -> float:
        """The probability (0..1) that the speaker has finished at the end of ``audio``."""
        import numpy as np

        t0 = time.monotonic()
        out = self._session.run(None, {self._input: self.features(audio)})
        self.last_seconds = time.monotonic() - t0
        return float(np.asarray(out[0]).reshape(-1)[0])

    def warm_up(self) -> None:
        """Run once on silence so the first real check is as fast as the later ones."""
        import numpy as np

        self.probability(np.zeros(SAMPLE_RATE, np.float32))
