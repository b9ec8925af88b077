"""Steps of a long headless command on stderr (stdout stays clean for the result and ``--json``).

On a terminal a live status line (rich) shows the current step and its counter; when stderr is a
pipe or a file each step is one plain ``... `` line and counters are not repeated. (For a known
amount of work with a bar, see :mod:`jarvis.commands.memory_progress`.)
"""

from __future__ import annotations

import sys
import time
from typing import Any


class Steps:
    """Say what a long command is doing.

    Args:
        enabled: False makes every call a no-op.
        min_interval_s: on a terminal, the shortest time between two redraws of the counter.
    """

    def __init__(self, enabled: bool = True, min_interval_s: float = 0.2) -> None:
        self.enabled = enabled
        self.min_interval_s = min_interval_s
        self._status: Any = None
        self._console: Any = None
        self._last = 0.0
        self._step = ""
        if enabled:
            from rich.console import Console

            self._console = Console(file=sys.stderr, highlight=False, soft_wrap=True)

    @property
    def live(self) -> bool:
        """True when stderr is a terminal (a live line is drawn)."""
        return self._console is not None and self._console.is_terminal

    def step(self, text: str) -> None:
        """A new step: a new line (pipe) or the live line's new text (terminal)."""
        if not self.enabled:
            return
        self._step = text
        if self.live:
            if self._status is None:
                self._status = self._console.status(text)
                self._status.start()
            else:
                self._status.update(text)
        else:
            sys.stderr.write(f"... {text}\n")
            sys.stderr.flush()

    def count(self, detail: str) -> None:
        """Update the current step's counter (terminal only; a pipe gets no flood of lines)."""
        if not self.live or self._status is None:
            return
        now = time.monotonic()
        if now - self._last >= self.min_interval_s:
            self._last = now
            self._status.update(f"{self._step} {detail}")

    def close(self) -> None:
        """Remove the live line."""
        if self._status is not None:
            self._status.stop()
            self._status = None

    def __enter__(self) -> Steps:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
