"""Where everything a turn says goes: the voice's reply queue first, then the observers on the bus.

The outlet exists before the assistant does, so the parts that speak on their own (a tool's rung
timer, the tutor's spoken correction) can be built first and handed to the assistant whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jarvis.pipeline.queues import REPLY_PIECES, ReplyPiece
from jarvis.pipeline.stage import EventBus


class Outlet:
    """The assistant's one way out.

    Args:
        bus: the observers' bus (a new one when None).

    ``reply`` is the voice's reply queue (``put``, never blocks), set by
    :func:`jarvis.assembly.build_voice` while a voice runs; None without one.
    """

    def __init__(self, bus: EventBus | None = None) -> None:
        self.bus = bus or EventBus()
        self.reply: Callable[[ReplyPiece], None] | None = None

    def emit(self, event: Any) -> None:
        """Hand on an event of a turn: what Jarvis says (a :data:`~jarvis.pipeline.queues.ReplyPiece`)
        goes first onto the reply queue; every event then goes to the observers on the bus."""
        reply = self.reply
        if reply is not None and isinstance(event, REPLY_PIECES):
            reply(event)
        self.bus.publish(event)
