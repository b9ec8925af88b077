"""Give the memory a turn freed back to the system (glibc's ``malloc_trim``), so RSS does not creep.

Whisper (CTranslate2), the voices (onnxruntime) and llama.cpp allocate and free large buffers in
several threads each turn. glibc keeps what they free inside its heaps, so the resident size stays
at the high-water mark of every heap that ever held a turn's buffers; ``malloc_trim(0)`` returns
the free pages. bench/soak.py (smollm2, whisper tiny, Piper; mixed typed and voice turns) settles
at a median RSS of ~600 MB without it and ~550-585 MB with it; a voice turn alone leaves 15-20 MB
that a trim gives back. :func:`trim_heap` is called when a turn is over (a few ms) and is a no-op
where there is no glibc (macOS, musl) or when ``ENABLED`` is False (``soak.py --no-trim`` compares).
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

ENABLED = True
MIN_INTERVAL_S = 0.5  # turns that end closer together than this share one trim

_lock = threading.Lock()
_last = 0.0
_trim: Callable[[int], int] | None = None
_resolved = False


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none."""
    global _trim, _resolved
    if not _resolved:
        _resolved = True
        try:
            fn = ctypes.CDLL(None).malloc_trim
            fn.argtypes, fn.restype = [ctypes.c_size_t], ctypes.c_int
            _trim = fn
        except (OSError, AttributeError):
            log.debug("malloc_trim is not available: freed memory stays with the allocator")
    return _trim


def trim_heap() -> bool:
    """Return free heap pages to the system now; False when skipped (off, no glibc, just done, or
    another thread is trimming). Safe from any thread; never raises."""
    global _last
    if not ENABLED:
        return False
    fn = _malloc_trim()
    if fn is None or not _lock.acquire(blocking=False):
        return False
    try:
        now = time.monotonic()
        if now - _last < MIN_INTERVAL_S:
            return False
        fn(0)
        _last = time.monotonic()
        log.debug("heap trimmed in %.1f ms", (_last - now) * 1000)
        return True
    finally:
        _lock.release()
