"""EventRecorder: keeps every event published on a bus and waits for the one you need.

Headless commands, benchmarks and tests observe a running Jarvis through it instead of reaching
into stage internals.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from jarvis.pipeline.stage import EventBus

E = TypeVar("E")


class EventRecorder:
    """Subscribes to ``bus`` at once and records every event, in order. Thread safe.

    Use as a context manager (or call :meth:`close`) to unsubscribe.
    """

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.events: list[Any] = []
        self._changed = threading.Condition()
        bus.subscribe(self._record)

    def _record(self, event: Any) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def of(self, kind: type[E]) -> list[E]:
        """The recorded events of one type, in order."""
        with self._changed:
            return [e for e in self.events if isinstance(e, kind)]

    def first(self, kind: type[E], where: Callable[[E], bool] = lambda e: True) -> E | None:
        """The first recorded event of ``kind`` that matches ``where`` (None: not yet)."""
        return next((e for e in self.of(kind) if where(e)), None)

    def wait_for(
        self, kind: type[E], where: Callable[[E], bool] = lambda e: True, timeout: float = 60.0,
        give_up: Callable[[], bool] = lambda: False,
    ) -> E | None:
        """Wait until an event of ``kind`` matching ``where`` is recorded; None on timeout or ``give_up()``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((e for e in self.events if isinstance(e, kind) and where(e)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or give_up():
                    return None
                self._changed.wait(min(left, 0.05))

    def close(self) -> None:
        """Stop recording."""
        self.bus.unsubscribe(self._record)

    def __enter__(self) -> EventRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
