"""Has the speaker finished? The end-of-turn model and the transcript so far decide together.

:class:`TurnJudge` is what the VAD thread asks after a short silence. It starts the STT stage on
the utterance so far, runs Smart Turn on the same audio meanwhile (the two use different cores),
then waits for the transcript: the turn is complete when the model says so and the transcript does
not end on a word no sentence ends with ("what is the capital of"). The transcript comes back with
the verdict, so a complete turn needs no decode after its end. Without words in the transcript (or
without a transcript in time) the turn is left to the silence limit.

Speech said over Jarvis's held reply (:mod:`jarvis.pipeline.floor`) ends at the first check: its
words decide whether it cuts the reply, and every moment of waiting is a moment of the reply held.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from jarvis.audio.turn_end import TurnEndModel, TurnVerdict, ends_unfinished
from jarvis.config import TurnSettings
from jarvis.errors import JarvisError
from jarvis.pipeline.stt_stage import has_words

log = logging.getLogger(__name__)

TRANSCRIPT_WAIT_S = 1.5  # longest wait for the decode of the utterance so far


class TurnJudge:
    """Callable ``judge(audio) -> TurnVerdict`` for :class:`~jarvis.audio.segmenter.Segmenter`.

    Args:
        settings: ``audio.turn``.
        speculate: starts a transcription of speech so far and returns its future result.
        threads: CPU threads for the model.
        held: True while Jarvis's reply is held for the speech being judged (it then ends now).

    Raises (from the call): :class:`JarvisError` when the model cannot be loaded (the VAD then
    falls back to its silence limit).
    """

    def __init__(
        self, settings: TurnSettings, speculate: Callable[[Any], Future], threads: int = 1,
        held: Callable[[], bool] = lambda: False,
    ) -> None:
        self.settings = settings
        self.held = held
        self.speculate = speculate
        self.threads = threads
        self.model: TurnEndModel | None = None
        self.error: JarvisError | None = None
        self.last: TurnVerdict | None = None
        self._loaded = threading.Event()

    def load(self) -> None:
        """Load and warm the model (call from a background thread; errors are kept for the first call)."""
        try:
            model = TurnEndModel(self.settings.model, self.threads)
            model.warm_up()
            self.model = model
        except JarvisError as exc:
            self.error = exc
        finally:
            self._loaded.set()

    @property
    def ready(self) -> bool:
        """True once the model is loaded and warm."""
        return self.model is not None

    def __call__(self, audio: Any) -> TurnVerdict:
        """Judge the utterance so far (VAD thread; takes about as long as one short decode)."""
        if self.held():  # over the held reply: end it now, its words are heard next
            self.last = TurnVerdict(True, 1.0, None)
            return self.last
        pending = self.speculate(audio)
        self._loaded.wait(30)
        if self.model is None:
            raise self.error or JarvisError("the end-of-turn model is not loaded", "see jarvis doctor")
        probability = self.model.probability(audio)
        try:
            result = pending.result(timeout=TRANSCRIPT_WAIT_S)
        except FutureTimeout:
            result = None
        except Exception:  # the turn still ends on the silence limit; the STT stage reports errors itself
            log.debug("decode while judging failed", exc_info=True)
            result = None
        text = result.text if result is not None else ""
        # no words yet (or no transcript in time): nothing to answer early; the silence limit decides,
        # and the STT stage decodes the utterance in full then
        if not has_words(text):
            result = None
        complete = probability >= self.settings.threshold and result is not None and not ends_unfinished(text)
        self.last = TurnVerdict(complete, probability, result)
        log.debug("end of turn: p=%.2f text=%r -> %s", probability, text[-40:], complete)
        return self.last
