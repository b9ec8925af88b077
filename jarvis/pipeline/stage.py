"""Stage: one thread, one bounded input queue, typed messages in; events out on the bus.

A stage catches its own exceptions per item, publishes a :class:`StageError` and keeps running.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from jarvis.errors import JarvisError
from jarvis.messages import StageError
from jarvis.pipeline.queues import Channel

log = logging.getLogger(__name__)

_STOP = object()
Observer = Callable[[Any], None]


class EventBus:
    """Fan-out of pipeline events to observers. Observers must return at once (never block)."""

    def __init__(self) -> None:
        self._observers: list[Observer] = []
        self._lock = threading.Lock()

    def subscribe(self, fn: Observer) -> None:
        """Add an observer called with every event."""
        with self._lock:
            self._observers.append(fn)

    def unsubscribe(self, fn: Observer) -> None:
        """Remove an observer (no error when absent)."""
        with self._lock:
            if fn in self._observers:
                self._observers.remove(fn)

    def publish(self, event: Any) -> None:
        """Give ``event`` to every observer; an observer that raises is logged, not fatal."""
        with self._lock:
            observers = list(self._observers)
        for fn in observers:
            try:
                fn(event)
            except Exception:  # pragma: no cover - observer bug
                log.exception("observer %r failed on %r", fn, type(event).__name__)


class Stage:
    """Base class: override :meth:`process` to handle one input item in the stage's thread.

    Its input is a named queue (:class:`~jarvis.pipeline.queues.Channel`, given as ``inbox`` when the
    graph names it); a stage hands its results on itself (into the next stage's queue) and tells the
    observers on the bus.
    """

    name = "stage"

    def __init__(self, bus: EventBus, maxsize: int = 64, inbox: Channel | None = None) -> None:
        self.inbox: Channel = inbox if inbox is not None else Channel(self.name, maxsize)
        self.bus = bus
        self._thread = threading.Thread(target=self._run, name=f"jarvis-{self.name}", daemon=True)

    def start(self) -> Stage:
        """Start the stage thread."""
        self._thread.start()
        return self

    def put(self, item: Any, timeout: float | None = None) -> None:
        """Queue an item (blocks while the queue is full, up to ``timeout``)."""
        self.inbox.put(item, timeout=timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to finish after the queued items, and wait for it."""
        if self._thread.is_alive():
            self.inbox.put(_STOP)
            self._thread.join(timeout)

    def process(self, item: Any) -> None:
        """Handle one item (raise JarvisError for an expected failure: it becomes a StageError)."""
        raise NotImplementedError

    def _run(self) -> None:
        while True:
            item = self.inbox.get()
            if item is _STOP:
                return
            try:
                self.process(item)
            except JarvisError as exc:
                turn_id = getattr(item, "turn_id", 0)
                self.bus.publish(StageError(self.name, exc.message, exc.hint, turn_id, exc.with_traceback(None)))
            except Exception as exc:
                log.exception("stage %s failed", self.name)
                self.bus.publish(
                    StageError(self.name, f"{type(exc).__name__}: {exc}", "see the log file (jarvis doctor)")
                )
