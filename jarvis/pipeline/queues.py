"""The named, typed queues that join the stages of the voice pipeline.

A turn travels through queues only (the event bus is for observers: UI, metrics, recorder, idle
watch)::

    microphone -> [VAD] -> utterances -> [STT] -> turns -> [LLM] -> reply -> [TTS] -> speech -> [playback]

Typed turns join at ``turns``. Each queue is bounded; :meth:`Channel.offer` never blocks (a full
queue drops the item and counts it). :mod:`jarvis.assembly` builds the graph (``build_voice``).
"""

from __future__ import annotations

import logging
import queue
from typing import Generic, TypeVar

from jarvis.messages import Announcement, Filler, ReplyDone, TokenDelta, Transcript

log = logging.getLogger(__name__)

T = TypeVar("T")

# What the ``reply`` queue carries: a turn's header (its transcript: language, timeline), the reply as
# it streams, its end; and what Jarvis says outside a reply (a filler, a rung timer).
ReplyPiece = Transcript | TokenDelta | ReplyDone | Filler | Announcement
REPLY_PIECES = (Transcript, TokenDelta, ReplyDone, Filler, Announcement)


class Channel(queue.Queue, Generic[T]):
    """A bounded queue with a name (what flows in it), and a count of what it dropped.

    Args:
        name: what flows (``utterances``, ``turns``, ``reply``, ``speech``).
        maxsize: how many items may wait.
    """

    def __init__(self, name: str, maxsize: int) -> None:
        super().__init__(maxsize=maxsize)
        self.name = name
        self.dropped = 0

    def offer(self, item: T) -> bool:
        """Queue ``item`` without blocking; False (dropped, counted, logged) when the queue is full."""
        try:
            self.put_nowait(item)
        except queue.Full:
            self.dropped += 1
            log.warning("the %s queue is full (%d): an item was dropped", self.name, self.maxsize)
            return False
        return True

    def __repr__(self) -> str:
        return f"Channel({self.name!r}, {self.qsize()}/{self.maxsize})"
