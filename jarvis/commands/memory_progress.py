"""Progress of long commands (``memory import``, ``memory reindex``) on stderr.

On a terminal: a rich progress bar. Elsewhere (a pipe, a log file, CI): a plain line every few
seconds, and nothing at all for work that ends within the first seconds. Work in steps (an import
checks the file, then stores it) passes each step's name to ``update``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

QUIET_S = 2.0  # plain mode: say nothing for work shorter than this
EVERY_S = 5.0  # plain mode: then one line this often


class Update(Protocol):
    """``update(done, total)``, or ``update(done, total, step)`` to name the step now under way."""

    def __call__(self, done: int, total: int, step: str | None = None) -> None: ...


@contextmanager
def progress_bar(label: str) -> Iterator[Update]:
    """Yield ``update(done, total[, step])`` that shows how far ``label`` (or ``step``) has got."""
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True)) as bar:
            task = bar.add_task(label, total=None)

            def update(done: int, total: int, step: str | None = None) -> None:
                bar.update(task, completed=done, total=total, description=step or label)

            yield update
        return

    began = time.monotonic()
    last: list[float] = []  # when the last line was printed

    def plain(done: int, total: int, step: str | None = None) -> None:
        now = time.monotonic()
        if now - began >= QUIET_S and (not last or now - last[-1] >= EVERY_S or done == total):
            last[:] = [now]
            pct = f" ({100 * done // total}%)" if total else ""
            print(f"{step or label}: {done}/{total}{pct}", file=sys.stderr, flush=True)

    yield plain
