"""Is the learner still in the scenario? Cosine similarity of the turn to the scenario (the memory embedder)."""

from __future__ import annotations

from typing import Any, Protocol

MIN_WORDS = 4  # shorter turns are answers to the last reply ("la cuenta, por favor")
# Similarities of on-topic turns vary from one scenario to another (an English scenario and Spanish
# turns score lower), so after two on-topic turns a turn is also off topic when it falls well below
# what this learner's on-topic turns scored (measured: on topic 0.22 and 0.29, off topic 0.18).
RELATIVE = 0.8


class Encoder(Protocol):
    """Anything with ``encode(texts) -> L2-normalised vectors`` (:class:`jarvis.memory.embedder.Embedder`)."""

    def encode(self, texts: list[str]) -> Any:
        """One normalised vector per text."""
        ...


class TopicGuard:
    """Compares each learner turn with the scenario (and the learner's recent on-topic turns).

    Args:
        encoder: the sentence embedder.
        scenario: the scenario text.
        below: a turn less similar than this (cosine) to the scenario is off topic.
    """

    def __init__(self, encoder: Encoder, scenario: str, below: float) -> None:
        self.encoder = encoder
        self.scenario = scenario
        self.below = below
        self._anchors: Any = None
        self._on_topic: list[float] = []  # similarities of the turns judged on topic so far

    def similarity(self, text: str, context: list[str] | None = None) -> float:
        """The highest cosine similarity of ``text`` to the scenario or to ``context`` (recent on-topic turns)."""
        import numpy as np

        if self._anchors is None:
            self._anchors = np.asarray(self.encoder.encode([self.scenario]), dtype=np.float32)
        anchors = self._anchors
        if context:
            anchors = np.vstack([anchors, np.asarray(self.encoder.encode(context), dtype=np.float32)])
        vec = np.asarray(self.encoder.encode([text]), dtype=np.float32)[0]
        return float(np.max(anchors @ vec))

    def off_topic(self, text: str, context: list[str] | None = None) -> tuple[bool, float]:
        """(off topic?, similarity) of a learner turn; a short answer ("sí, gracias") is never off topic."""
        sim = self.similarity(text, context)
        seen = self._on_topic
        low = sim < self.below or (len(seen) >= 2 and sim < RELATIVE * sum(seen) / len(seen))
        off = low and len(text.split()) >= MIN_WORDS
        if not off:
            seen.append(sim)
        return off, sim
