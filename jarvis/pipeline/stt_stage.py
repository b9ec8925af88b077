"""The STT stage: an utterance in, a voice turn submitted to the assistant out.

An utterance said over Jarvis's reply while it is held (``Utterance.held``) is a turn only when its
words ask for the floor (:func:`~jarvis.pipeline.floor.asks_for_floor`): then the reply is cut (the
barge-in) before the turn is submitted; a backchannel or a cough lets the reply play on instead.

It also transcribes speech that is still going on (:meth:`SttStage.speculate`): live partial
transcripts for the voice panel, and the decode the end-of-turn judge makes of the utterance so
far, which becomes the turn's transcript when the turn ends there (no decode after the end).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jarvis.audio.events import OtherVoice
from jarvis.audio.wake_word import strip_wake_phrase
from jarvis.errors import EmptyInput
from jarvis.messages import PartialTranscript, StatusChange, TurnTimings, Utterance
from jarvis.pipeline.floor import asks_for_floor
from jarvis.pipeline.queues import Channel
from jarvis.pipeline.stage import Stage

if TYPE_CHECKING:
    from jarvis.audio.speaker_id import OwnerCheck
    from jarvis.pipeline.runner import Assistant
    from jarvis.stt.base import SpeechToText, SttResult

NO_WORDS_HINT = "speak closer to the microphone, or raise the VAD aggressiveness in audio.vad"


def has_words(text: str) -> bool:
    """True when the transcript holds at least one letter or digit (not just '...' or '[Music]')."""
    stripped = text.strip()
    if not stripped or (stripped.startswith(("[", "(")) and stripped.endswith(("]", ")"))):
        return False
    return any(ch.isalnum() for ch in stripped)


@dataclass(frozen=True)
class _SoFar:
    """Speech still going on, to transcribe now: the result goes to ``done`` and, if ``show``, the bus."""

    audio: Any
    done: Future
    show: bool
    generation: int


_NEWEST_HIDDEN = object()  # in the queue: decode the newest hidden request (``SttStage._hidden``)


class SttStage(Stage):
    """Utterance -> transcript -> ``assistant.submit_text`` (a voice turn carrying its timeline).

    Args:
        assistant: receives the turns (its ``turns`` queue).
        recogniser: returns the loaded speech recogniser (may wait for a background load).
        on_submitted: called after a turn was submitted (the voice is busy from then on).
        inbox: the ``utterances`` queue it reads (a new one when None).
        settle: ``settle(floor, said)`` for an utterance said over the held reply: cut it (``floor``)
            or let it play on (the echo guard's :meth:`~jarvis.pipeline.echo_guard.EchoGuard.settle`).
        owner: the enrolled owner's voice check (``audio.only_my_voice``); another voice's utterance
            is no turn and cuts no reply (None: every voice counts).
    """

    name = "stt"

    def __init__(
        self, assistant: Assistant, recogniser: Callable[[], SpeechToText], on_submitted: Callable[[], None],
        inbox: Channel | None = None, settle: Callable[[bool, str], None] | None = None,
        owner: OwnerCheck | None = None,
    ) -> None:
        super().__init__(assistant.bus, maxsize=8, inbox=inbox)
        self.assistant = assistant
        self.recogniser = recogniser
        self.on_submitted = on_submitted
        self.settle = settle
        self.owner = owner
        self._partial: Future | None = None
        self._hidden: _SoFar | None = None  # the newest judge's request, not started yet
        self._lock = threading.Lock()

    def speculate(self, audio: Any, show: bool = False) -> Future:
        """Transcribe ``audio`` (speech still going on) in this stage's thread; returns the future result.

        ``show`` publishes the text as a :class:`PartialTranscript`. A shown partial is skipped (the
        future is cancelled) while the previous one is still being decoded: partials never queue up.
        A hidden one (for the end-of-turn judge) replaces the previous one still waiting (one place
        in the queue holds the newest): only the newest audio is worth decoding. Never blocks the
        caller (the VAD thread): on a machine too busy to keep up, the future is cancelled instead;
        blocking here once stopped the microphone being read until hundreds of blocks were dropped
        and the turn never ended.
        """
        done: Future = Future()
        request = _SoFar(audio, done, show, self.assistant.cancel.generation)
        if show:
            if self._partial is not None and not self._partial.done():
                done.cancel()
                return done
            self._partial = done
        else:
            with self._lock:
                older, self._hidden = self._hidden, request
            if older is not None:  # not started yet: this one takes its place in the queue
                older.done.cancel()
                return done
            request = _NEWEST_HIDDEN
        try:
            self.inbox.put_nowait(request)
        except queue.Full:
            done.cancel()
            with self._lock:
                if self._hidden is not None and self._hidden.done is done:
                    self._hidden = None
        return done

    def _language(self) -> str | None:
        return self.assistant.settings.stt.language or None

    def process(self, item: Utterance | _SoFar) -> None:
        """Transcribe one utterance and submit it. Raises EmptyInput for silence or noise."""
        if item is _NEWEST_HIDDEN:
            with self._lock:
                item, self._hidden = self._hidden, None
            if item is not None:
                self._so_far(item)
            return
        if isinstance(item, _SoFar):
            self._so_far(item)
            return
        if self.owner is not None and not self._owners(item):
            return
        result: SttResult | None = item.transcript
        if item.held and self.settle is not None:
            result = self._over_reply(item)
            if result is None:  # a backchannel, a cough: the reply plays on; nothing to answer
                return
        if result is None:
            stt = self.recogniser()
            self.bus.publish(StatusChange("transcribing"))
            stt.prefer = self.assistant.last_language
            result = stt.transcribe(item.audio, language=self._language())
        text = result.text.strip()
        if item.wake:  # "hey jarvis, what time is it?" -> "what time is it?"
            text = strip_wake_phrase(text)
            if not has_words(text):  # the wake word alone: the question comes next (the gate is open)
                self.bus.publish(StatusChange("idle"))
                return
        if not has_words(text):
            self.bus.publish(StatusChange("idle"))
            raise EmptyInput("heard no words (silence or noise only); nothing was sent", NO_WORDS_HINT)
        timings = TurnTimings(started=item.speech_end)
        timings.mark("speech_end", item.speech_end)
        if item.ended:
            timings.mark("turn_end", item.ended)
        timings.mark("transcript_ready")
        self.assistant.submit_text(text, "voice", result.language, timings=timings, recognition=result)
        self.on_submitted()

    def _owners(self, item: Utterance) -> bool:
        """Is ``item`` the owner's voice? Another voice's is dropped here (a held reply plays on)."""
        assert self.owner is not None
        score = self.owner.score(item.audio)
        if score >= self.owner.threshold:
            return True
        if item.held and self.settle is not None:
            self.settle(False, "")
        self.bus.publish(OtherVoice(round(score, 2), round(len(item.audio) / item.sample_rate, 1)))
        return False

    def _over_reply(self, item: Utterance) -> SttResult | None:
        """Hear an utterance said over the held reply and settle the hold: the result when it asks
        for the floor (the reply is cut), None when the reply plays on.

        It is decoded again in the reply's language, whatever the end-of-turn judge heard: a short
        word is too little audio to tell the language by (whisper-base took Kokoro's "Vale" for
        English, "Bye."), and the listener answers in the language Jarvis is speaking.
        """
        assert self.settle is not None
        stt = self.recogniser()
        stt.prefer = self.assistant.last_language
        try:
            # quick: the short path alone (~0.2 s; the full path's second tries took 1-3 s of the
            # reply held for a "mm-hmm"); what it cannot make out is no bid for the floor
            result = stt.transcribe(item.audio, language=self._language() or self.assistant.last_language,
                                    quick=True)
        except Exception:
            self.settle(False, "")  # a failed decode must not leave the reply held
            raise
        text = result.text.strip()
        floor = asks_for_floor(text)
        self.settle(floor, text)
        if floor:
            self.bus.publish(StatusChange("transcribing"))
        return result if floor else None

    def _so_far(self, item: _SoFar) -> None:
        if not item.done.set_running_or_notify_cancel():
            return
        try:
            result = self.recogniser().transcribe(item.audio, language=self._language(), quick=True)
        except Exception as exc:  # the caller decides; a failed partial is not an error to show
            item.done.set_exception(exc)
            return
        item.done.set_result(result)
        if item.show and has_words(result.text):
            self.bus.publish(PartialTranscript(result.text.strip(), result.language, item.generation))
