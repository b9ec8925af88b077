"""Waiting for something that happens in another thread (a device lost, a stream back)."""

from __future__ import annotations

import time
from collections.abc import Callable


def until(cond: Callable[[], object], timeout: float = 30.0) -> bool:
    """Wait for ``cond()`` to hold (True) or ``timeout`` seconds to pass (False)."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True
