"""The speaker closes the turn: each turn's record (history line, metrics) is written once, when
the user has heard the reply.

A reply that a speaker plays is over when the player has played its last audio or cut it (a
barge-in); the player says so with :class:`~jarvis.audio.events.HeardText`. Only then is the
turn written, so the record carries ``first_audio_out`` (the player marks it) and, when the user
cut the reply, ``interrupted`` and the heard part. A turn nobody will hear (no speaker: speech
off, ``jarvis ask``; or a turn that failed before any reply) is written at reply done, in the
turn's own thread, as before.

The player plays turns in order, so when turn N is done every earlier turn still waiting is done
too (cut before it reached the player); a lost speaker ends every waiting turn (their replies stay
whole); :meth:`TurnCloser.close` writes whatever still waits. A record is never written twice.
Records closed by the player are written in the closer's own thread: bus observers never block.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from jarvis.audio.events import HeardText, SpeakerLost
from jarvis.messages import TurnRecord
from jarvis.pipeline.stage import EventBus, Stage

log = logging.getLogger(__name__)

KEEP_EARLY = 64  # turns the speaker finished before their record came, remembered at most

# Writes one closed turn: its record and, when the user cut the reply, what was heard of it.
WriteTurn = Callable[[TurnRecord, str | None], None]


class TurnCloser(Stage):
    """Holds each finished turn until the speaker is done with it, then writes it once.

    Args:
        bus: the assistant's bus (it observes :class:`HeardText` and :class:`SpeakerLost` there).
        write: writes one closed turn (the history line, the metrics): ``write(record, heard)``,
            ``heard`` the heard text when the user cut the reply, else None.

    :attr:`speaker` says whether a speaker plays the replies (the composition root sets it when
    it starts one); without one every turn is written at reply done.
    """

    name = "turn-record"

    def __init__(self, bus: EventBus, write: WriteTurn) -> None:
        super().__init__(bus, maxsize=0)
        self.write = write
        self.speaker = False
        self._lock = threading.Lock()
        self._waiting: dict[int, TurnRecord] = {}  # reply done, the speaker not done with it yet
        self._early: dict[int, HeardText] = {}  # the speaker was done before the record came
        bus.subscribe(self.observe)

    def finish(self, record: TurnRecord, spoken: bool = True) -> None:
        """The turn's reply is done: write its record now, or once the speaker is done with it.

        ``spoken`` False: no reply goes to the speaker (the turn failed before one).
        """
        turn_id = record.reply.turn_id
        with self._lock:
            heard = self._early.pop(turn_id, None)
            if spoken and self.speaker and heard is None:
                self._waiting[turn_id] = record
                return
        self._write(record, heard)

    def observe(self, event: Any) -> None:
        """Bus observer: the speaker is done with a turn (or gone). Returns at once."""
        if isinstance(event, HeardText) and event.turn_id > 0:  # below zero: an announcement
            with self._lock:
                record = self._waiting.pop(event.turn_id, None)
                if record is None:
                    self._early[event.turn_id] = event
                    while len(self._early) > KEEP_EARLY:
                        del self._early[next(iter(self._early))]
                done = [self._waiting.pop(t) for t in sorted(self._waiting) if t < event.turn_id]
            for older in done:  # cut before they reached the player: they will never play now
                self._later(older, None)
            if record is not None:
                self._later(record, event)
        elif isinstance(event, SpeakerLost):  # what it held was dropped: the replies stay whole
            for record in self._take_all():
                self._later(record, None)

    def pending(self) -> list[int]:
        """The turns whose records wait for the speaker (their ids, oldest first)."""
        with self._lock:
            return sorted(self._waiting)

    def close(self) -> None:
        """Write every turn still waiting and stop the thread (after what it has in hand)."""
        self.bus.unsubscribe(self.observe)
        self.stop(timeout=10)
        for record in self._take_all():
            self._write(record, None)

    def process(self, item: tuple[TurnRecord, HeardText | None]) -> None:
        """Write one turn the speaker closed (in this stage's thread)."""
        self._write(*item)

    # ------------------------------------------------------------------ internals
    def _take_all(self) -> list[TurnRecord]:
        with self._lock:
            records = [self._waiting[t] for t in sorted(self._waiting)]
            self._waiting.clear()
        return records

    def _later(self, record: TurnRecord, heard: HeardText | None) -> None:
        """Write in this stage's thread (at once, when it is not running)."""
        if self._thread.is_alive():
            self.put((record, heard))
        else:
            self._write(record, heard)

    def _write(self, record: TurnRecord, heard: HeardText | None) -> None:
        cut = heard is not None and heard.interrupted
        if cut and not record.reply.interrupted:
            record = replace(record, reply=replace(record.reply, interrupted=True))
        self.write(record, heard.text if cut and heard is not None else None)
