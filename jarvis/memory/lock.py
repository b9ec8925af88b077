"""An exclusive, advisory lock on a memory folder so two processes never write it at once.

The lock is ``flock`` on ``<folder>/.jarvis.lock`` holding the owner's pid; the kernel drops it
when the process dies, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import os
from pathlib import Path

from jarvis.errors import MemoryStoreError

LOCK_NAME = ".jarvis.lock"


class StoreInUse(MemoryStoreError):
    """Another process holds the folder (see :mod:`jarvis.memory.share` to reach it)."""


class StoreLock:
    """Holds the lock of one folder from :meth:`acquire` to :meth:`release`."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> StoreLock:
        """Take the lock without waiting. Raises MemoryStoreError when another process has it."""
        if self._fd is not None:
            return self
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no locking
            return self
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise MemoryStoreError(
                f"memory folder {self.path.parent} is not writable: {exc.strerror or exc}",
                "check the folder's permissions, or set memory.path to a folder you can write",
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            owner = ""
            try:
                owner = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            except OSError:
                pass
            os.close(fd)
            who = f" (pid {owner})" if owner.isdigit() else ""
            raise StoreInUse(
                f"memory store {self.path.parent} is in use by another Jarvis process{who}",
                "close the other Jarvis (TUI or command) and retry, or share memory through a "
                "ChromaDB server (memory.server)",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Drop the lock. Safe to call twice."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.ftruncate(fd, 0)
            except OSError:
                pass
            os.close(fd)  # closing the descriptor releases the flock
