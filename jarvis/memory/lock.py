"""Exclusive, advisory locks on a memory folder, so two processes never write it (or rebuild it) at once.

- :class:`StoreLock`: ``flock`` on ``<folder>/.jarvis.lock``, held by the process that has the folder
  open (others reach it through :mod:`jarvis.memory.share`).
- :class:`ReindexLock`: ``flock`` on ``<folder>/.jarvis.reindex``, held for the whole of a
  ``jarvis memory reindex``, so a second one is refused with "a reindex is already running" even
  while the first is still loading its model.

Each file holds its owner's pid; the kernel drops the lock when the process dies, so a crash never
leaves a stale lock behind.
"""

from __future__ import annotations

import os
from pathlib import Path

from jarvis.errors import MemoryStoreError

LOCK_NAME = ".jarvis.lock"
REINDEX_NAME = ".jarvis.reindex"


class StoreInUse(MemoryStoreError):
    """Another process holds the folder (see :mod:`jarvis.memory.share` to reach it)."""


class ReindexRunning(MemoryStoreError):
    """A reindex of this store is under way (in this process or another one)."""

    def __init__(self, location: str, who: str = "") -> None:
        super().__init__(
            f"a reindex is already running on memory {location}{who}",
            "wait for it to finish (memories added or forgotten meanwhile are kept), then run it "
            "again only if memory.embedder changed since it started",
        )


class StoreLock:
    """Holds the lock of one folder from :meth:`acquire` to :meth:`release`."""

    NAME = LOCK_NAME

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / self.NAME
        self._fd: int | None = None

    def _busy(self, who: str) -> MemoryStoreError:
        return StoreInUse(
            f"memory store {self.folder} is in use by another Jarvis process{who}",
            "close the other Jarvis (TUI or command) and retry, or share memory through a "
            "ChromaDB server (memory.server)",
        )

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
                f"memory folder {self.folder} is not writable: {exc.strerror or exc}",
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
            raise self._busy(f" (pid {owner})" if owner.isdigit() else "") from None
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


class ReindexLock(StoreLock):
    """Held while a reindex runs; a second one meets :class:`ReindexRunning`."""

    NAME = REINDEX_NAME

    def _busy(self, who: str) -> MemoryStoreError:
        return ReindexRunning(str(self.folder), who)
