"""Is Jarvis quiet? A bus observer that lets background work (memory translations) run only then.

Quiet means: no turn in progress (the last status is "idle"), Jarvis is not speaking, and no event
of a turn (a transcript, a token, the user starting to speak, a key press that opens the
microphone...) for ``quiet_s`` seconds. Ambient events (microphone levels of silence, wake-word
scores, model loads) do not count. While background work runs inside :meth:`IdleWatch.stopping`,
the first sign of a turn sets its stop event, so a turn waits one token at most.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from jarvis.audio.events import AudioDrops, MicLevel, SpeakingChanged, WakeScore
from jarvis.messages import ModelLoadProgress, StatusChange

QUIET_S = 3.0
_AMBIENT = (AudioDrops, ModelLoadProgress, WakeScore)
_TALKING = ("starting", "speaking", "stopping")  # VAD states: the user is speaking


class IdleWatch:
    """Subscribe it to the assistant's bus; ask :meth:`busy`, wait with :meth:`wait_quiet`."""

    def __init__(self, quiet_s: float = QUIET_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.quiet_s = quiet_s
        self.clock = clock
        self._lock = threading.Lock()
        self._last = clock() - quiet_s  # quiet from the start
        self._status = "idle"
        self._speaking = False
        self._stops: set[threading.Event] = set()

    def __call__(self, event: Any) -> None:
        """Bus observer: note what ``event`` says about activity (returns at once)."""
        if isinstance(event, _AMBIENT):
            return
        if isinstance(event, MicLevel) and event.vad_state not in _TALKING:
            return
        with self._lock:
            if isinstance(event, StatusChange):
                self._status = event.state
            elif isinstance(event, SpeakingChanged):
                self._speaking = event.speaking
            self._last = self.clock()
            stops = list(self._stops)
        for stop in stops:
            stop.set()

    def busy(self) -> bool:
        """True while a turn runs, Jarvis speaks, or something happened in the last ``quiet_s``."""
        with self._lock:
            return self._status != "idle" or self._speaking or self.clock() - self._last < self.quiet_s

    def wait_quiet(self, stop: threading.Event, poll_s: float = 0.25) -> bool:
        """Block until quiet (True) or until ``stop`` is set (False)."""
        while self.busy():
            if stop.wait(poll_s):
                return False
        return not stop.is_set()

    @contextmanager
    def stopping(self, event: threading.Event) -> Iterator[threading.Event]:
        """Within the block, the first sign of activity sets ``event`` (at once if already busy)."""
        with self._lock:
            self._stops.add(event)
        try:
            if self.busy():
                event.set()
            yield event
        finally:
            with self._lock:
                self._stops.discard(event)
