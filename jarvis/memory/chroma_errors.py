"""ChromaDB failures as errors a person can act on, and the memory.server URL check. Stdlib only."""

from __future__ import annotations

import errno
from urllib.parse import urlparse

from jarvis.errors import MemoryStoreError

_CORRUPT_HINTS = ("malformed", "not a database", "corrupt", "no such table", "hnsw", "segment", "decode")


def parse_server(url: str) -> tuple[str, int, bool]:
    """``http(s)://host:port`` -> (host, port, ssl). Raises MemoryStoreError on a bad URL."""
    parsed = urlparse(url.strip() if "://" in url else f"http://{url.strip()}")
    try:
        port = parsed.port
        bad_port = False
    except ValueError:
        port, bad_port = None, True
    if bad_port or parsed.scheme not in ("http", "https") or not parsed.hostname or (
        parsed.path not in ("", "/")
    ):
        raise MemoryStoreError(
            f"bad memory.server value {url!r}",
            'use "http://host:port", e.g. "http://127.0.0.1:8000" (empty: the local folder)',
        )
    ssl = parsed.scheme == "https"
    return parsed.hostname, port or (443 if ssl else 8000), ssl


def describe_failure(action: str, exc: Exception, location: str, server: bool) -> MemoryStoreError:
    """A MemoryStoreError with a hint for a failure of ChromaDB while doing ``action``."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    short = text if len(text) <= 200 else text[:197] + "..."
    low = text.lower()
    full = isinstance(exc, OSError) and exc.errno == errno.ENOSPC
    if full or "no space" in low or "disk full" in low:
        return MemoryStoreError(
            f"cannot {action} in {location}: the disk is full", "free some disk space and retry"
        )
    if server:
        return MemoryStoreError(
            f"memory server {location}: cannot {action}: {short}",
            "check that the ChromaDB server is running and reachable (`chroma run --port N`)",
        )
    if isinstance(exc, PermissionError) or "permission denied" in low or "readonly" in low or (
        "read-only" in low
    ):
        return MemoryStoreError(
            f"memory folder {location} is not writable: {short}",
            "check the folder's permissions, or set memory.path to a folder you can write",
        )
    if any(h in low for h in _CORRUPT_HINTS):
        return MemoryStoreError(
            f"memory store {location} looks corrupt ({action} failed: {short})",
            "move the folder aside (nothing is deleted) and restart to begin a fresh store; "
            "restore facts with `jarvis memory import` from an export",
        )
    return MemoryStoreError(
        f"memory store {location}: cannot {action}: {short}",
        "see the log file; if it persists, move the folder aside and restore from an export",
    )
