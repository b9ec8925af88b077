"""The TTS stage: the streamed reply in (the ``reply`` queue), sentences spoken through the player out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jarvis.errors import JarvisError
from jarvis.language import guess_language
from jarvis.messages import (
    Announcement,
    Filler,
    ReplyDone,
    SpeechChunk,
    StageError,
    TokenDelta,
    Transcript,
    TurnTimings,
)
from jarvis.pipeline.cancel import CancelScope
from jarvis.pipeline.cpu_gate import CpuGate
from jarvis.pipeline.queues import Channel
from jarvis.pipeline.stage import EventBus, Stage
from jarvis.tts.chunker import SentenceChunker, speakable

if TYPE_CHECKING:
    from jarvis.audio.playback import Player
    from jarvis.config import TTSSettings
    from jarvis.tts.voices import VoiceSet

log = logging.getLogger(__name__)

VOICE_HINT = "add a voice for that language in tts.voices (config.toml)"


class TtsStage(Stage):
    """Transcript / TokenDelta / ReplyDone -> sentences -> speech -> the player.

    A turn starts with its :class:`Transcript` (its language and timeline); each sentence is
    spoken as soon as the chunker completes it (or, with ``stream`` False, the whole reply at its
    end). Marks ``first_sentence`` and ``first_speech_ready`` on the turn's timeline; the player
    marks ``first_audio_out``.

    Args:
        bus: where errors and notes are published.
        settings: the ``[tts]`` settings (clause length, default language).
        cancel: the cancel scope (stale pieces are not spoken).
        voices: returns the loaded voices (may wait for a background load).
        player: plays the chunks.
        stream: speak while the reply streams (False: after the whole reply).
        gate: held while the first piece of each reply is synthesised (``tts.first_piece_first``),
            and while a later one is when the voice is about to run dry (``voice_first_below_s``),
            so the model pauses and the voice has the cores.
        inbox: the ``reply`` queue it reads; :meth:`offer` puts into it (a new one when None).
    """

    name = "tts"

    def __init__(
        self, bus: EventBus, settings: TTSSettings, cancel: CancelScope, voices: Callable[[], VoiceSet],
        player: Player, stream: bool = True, gate: CpuGate | None = None, inbox: Channel | None = None,
    ) -> None:
        super().__init__(bus, maxsize=8192, inbox=inbox)
        self.settings = settings
        self.cancel = cancel
        self.voices = voices
        self.player = player
        self.stream = stream
        self.gate = gate if settings.first_piece_first else None
        self._spoken = 0  # pieces of the current reply spoken so far
        self._turn: int | None = None
        self._chunker = self._chunker_for(None)
        self._language: str | None = None
        self._timings: TurnTimings | None = None
        self._failed = False
        self._notes: set[str] = set()
        self._asides = 0  # turn ids for announcements: -1, -2, ...
        # the model's thread feeds a copy of the chunker to close the gate on the first piece's token
        self._claim_turn: int | None = None
        self._claim: SentenceChunker | None = None

    def _chunker_for(self, language: str | None) -> SentenceChunker:
        """A chunker whose first piece suits the engine that will speak ``language``."""
        engine = self.settings.voices.get(language or self.settings.default_language, "")
        return chunker_for_engine(self.settings, engine)

    def _begin(self, turn_id: int, language: str | None, timings: TurnTimings | None) -> None:
        self._turn = turn_id
        self._chunker = self._chunker_for(language)
        self._language, self._timings, self._failed = language, timings, False
        self._spoken = 0

    def process(self, item: Transcript | TokenDelta | ReplyDone | Filler | Announcement) -> None:
        """Speak the sentences of the streamed reply as soon as each is complete."""
        if isinstance(item, Announcement):
            self._announce(item)
            return
        if isinstance(item, Filler):
            if not self.cancel.is_stale(item.generation):
                self._say_aside(item.text, item.language, item.turn_id, item.generation)
            return
        if isinstance(item, Transcript):
            self._begin(item.turn_id, item.language, item.timings)
            return
        if item.turn_id != self._turn:  # the turn began before this stage listened
            if isinstance(item, ReplyDone):
                self._begin(item.turn_id, item.language, item.timings)
            else:
                self._begin(item.turn_id, None, None)
        stale = self.cancel.is_stale(item.generation)
        if isinstance(item, TokenDelta):
            if not stale and self.stream:
                for sentence in self._chunker.feed(item.text):
                    self._speak(sentence, item)
            elif self.gate is not None:
                self.gate.open()  # closed for a piece that will not be spoken
            return
        if not stale:
            pieces = self._chunker.flush() if self.stream else [speakable(item.text)]
            for sentence in pieces:
                self._speak(sentence, item)
        if self.gate is not None:
            self.gate.open()
        self.player.end_turn(item.turn_id)
        self._turn = None

    def _speak(self, text: str, item: TokenDelta | ReplyDone) -> None:
        if not text.strip() or self._failed:
            if self.gate is not None:
                self.gate.open()
            return
        if self._language is None:
            self._language = guess_language(text, self.settings.default_language)
        if self._timings is not None:
            self._timings.mark("first_sentence")
        try:
            if self.gate is not None and self._urgent():
                with self.gate.hold():
                    spoken = self.voices().speak(text, self._language)
            else:
                spoken = self.voices().speak(text, self._language)
            self._spoken += 1
        except JarvisError as exc:
            self._failed = True
            self.bus.publish(StageError("tts", exc.message, exc.hint, item.turn_id, exc))
            return
        if self._timings is not None:
            self._timings.mark("first_speech_ready")
        if spoken.fell_back and spoken.note and spoken.note not in self._notes:
            self._notes.add(spoken.note)
            self.bus.publish(StageError("tts", spoken.note, VOICE_HINT, item.turn_id))
        if self.cancel.is_stale(item.generation):
            return
        chunk = SpeechChunk(spoken.audio, spoken.sample_rate, text, item.turn_id, item.generation, self._timings)
        self.player.put(chunk)

    def _urgent(self) -> bool:
        """Must the model wait while this piece is synthesised? The first piece (the user waits for
        it), and any piece while the voice has less than ``voice_first_below_s`` of speech queued."""
        if self._spoken == 0:
            return True
        below = self.settings.voice_first_below_s
        return below > 0 and self.player.queued_s() < below

    def _announce(self, item: Announcement) -> None:
        """A rung timer: spoken on its own (a turn id of its own, below zero), after a short chime."""
        self._asides -= 1
        self._say_aside(item.text, item.language, self._asides, self.cancel.generation, chime=True)
        self.player.end_turn(self._asides)

    def _say_aside(self, text: str, language: str | None, turn_id: int, generation: int, chime: bool = False) -> None:
        """Speak ``text`` now, outside the reply's sentences (a filler or an announcement)."""
        try:
            spoken = self.voices().speak(text, language or guess_language(text, self.settings.default_language))
        except JarvisError as exc:
            self.bus.publish(StageError("tts", exc.message, exc.hint, turn_id, exc))
            return
        audio = spoken.audio
        if chime:
            import numpy as np

            audio = np.concatenate([chime_tone(spoken.sample_rate), audio]).astype(np.float32)
        self.player.put(SpeechChunk(audio, spoken.sample_rate, text, turn_id, generation, None))

    def offer(self, item: Any) -> None:
        """Put a piece of the reply on the ``reply`` queue without blocking the model's thread (a full
        queue drops it, logged); this is :attr:`Assistant.reply <jarvis.pipeline.runner.Assistant.reply>`."""
        if self.gate is not None and self.stream:
            self._claim_first_piece(item)
        self.inbox.offer(item)  # 8192 pieces queued: drop rather than block the model

    def _claim_first_piece(self, item: Any) -> None:
        """In the publisher's (the model's) thread: close the gate on the token that completes the
        reply's first piece, so the model waits before its next token instead of computing it
        beside the voice. The stage's thread opens it once the piece is synthesised (or dropped)."""
        if isinstance(item, Transcript):
            self._claim_turn, self._claim = item.turn_id, self._chunker_for(item.language)
        elif isinstance(item, TokenDelta) and self._claim is not None and item.turn_id == self._claim_turn:
            if self._claim.feed(item.text):
                self._claim = None
                self.gate.close()  # type: ignore[union-attr]
        elif isinstance(item, ReplyDone) and item.turn_id == self._claim_turn:
            self._claim = None


def chunker_for_engine(settings: TTSSettings, engine: str, phrase_cut: bool | None = None) -> SentenceChunker:
    """The chunker whose first piece suits ``engine`` (``tts.first_piece_words``; the phrase cut of
    ``tts.first_piece_at_phrase`` unless ``phrase_cut`` says otherwise)."""
    longest = max(1, settings.first_piece_words.get(engine, 12))
    if phrase_cut is None:
        phrase_cut = engine in settings.first_piece_at_phrase
    return SentenceChunker(settings.clause_words, max(1, longest // 2), longest,
                           first_phrase_words=max(1, longest // 2) if phrase_cut else 0)


def chime_tone(sample_rate: int) -> Any:
    """Two short rising notes (0.35 s) that say "a timer rang" before the words."""
    import numpy as np

    out = []
    for freq in (880.0, 1318.5):
        t = np.arange(int(0.15 * sample_rate)) / sample_rate
        note = 0.3 * np.sin(2 * np.pi * freq * t) * np.minimum(1.0, (0.15 - t) * 40)
        out += [note, np.zeros(int(0.025 * sample_rate))]
    return np.concatenate(out).astype(np.float32)
