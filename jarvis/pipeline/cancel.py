"""CancelScope: a generation counter that tells stages which work is stale after a barge-in."""

from __future__ import annotations

import threading


class CancelScope:
    """Thread-safe generation counter.

    Work is tagged with the generation current when it started; :meth:`cancel` bumps the
    counter, and every stage drops items whose generation is older than :attr:`generation`.
    """

    def __init__(self) -> None:
        self._gen = 0
        self._lock = threading.Lock()

    @property
    def generation(self) -> int:
        """The current generation."""
        return self._gen

    def cancel(self) -> int:
        """Make all earlier work stale; returns the new generation."""
        with self._lock:
            self._gen += 1
            return self._gen

    def is_stale(self, generation: int) -> bool:
        """True when ``generation`` was cancelled."""
        return generation < self._gen
