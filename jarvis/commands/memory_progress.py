"""Progress of long commands (``memory import``, ``memory reindex``) on stderr.

On a terminal: a rich progress bar. Elsewhere (a pipe, a log file, CI): a plain line every few
seconds, and nothing at all for work that ends within the first seconds.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

QUIET_S = 2.0  # plain mode: say nothing for work shorter than this
EVERY_S = 5.0  # plain mode: then one line this often


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """Yield ``update(done, total)`` that shows how far ``label`` has got."""
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True)) as bar:
            task = bar.add_task(label, total=None)

            def update(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            yield update
        return

    began = time.monotonic()
    last: list[float] = []  # when the last line was printed

    def plain(done: int, total: int) -> None:
        now = time.monotonic()
        if now - began >= QUIET_S and (not last or now - last[-1] >= EVERY_S or done == total):
            last[:] = [now]
            pct = f" ({100 * done // total}%)" if total else ""
            print(f"{label}: {done}/{total}{pct}", file=sys.stderr, flush=True)

    yield plain
