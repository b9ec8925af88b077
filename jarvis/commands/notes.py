"""One-line notes on stderr for what a headless turn does without, e.g. long-term memory.

The TUI shows a memory failure as a notification; a headless ``jarvis ask`` used to say it only in
the log file. :class:`MemoryOffNote` is a bus observer that says it once, on stderr.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from jarvis.messages import MemoryHits, StageError

_PREFIX = "long-term memory is off: "


class MemoryOffNote:
    """Bus observer: the first memory failure of a run becomes one ``note:`` line on stderr."""

    def __init__(self) -> None:
        self.said: str | None = None
        self._lock = threading.Lock()

    def __call__(self, event: Any) -> None:
        """Look at one published event."""
        if isinstance(event, StageError) and event.stage == "memory":
            why = event.message + (f" (hint: {event.hint})" if event.hint else "")
        elif isinstance(event, MemoryHits) and event.error:
            why = event.error
        else:
            return
        with self._lock:
            if self.said is not None:
                return
            self.said = why.removeprefix(_PREFIX)
        sys.stderr.write(f"note: answering without long-term memory: {self.said}\n")
        sys.stderr.flush()
