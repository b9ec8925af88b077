"""Sharing a locked memory folder with a second Jarvis process, through the process that holds it.

Only one process may open a ChromaDB folder (:mod:`jarvis.memory.lock`). The owner serves its open
store on a Unix socket next to the lock (``<folder>/.jarvis.sock``, mode 0600, so only the same user
can reach it); a second process that finds the folder locked connects there and gets a
:class:`RemoteStore` that forwards every read and write to the owner. One writer, fresh reads,
no extra server to start or stop: when the owner exits, the socket goes with it and the next
process opens the folder itself. Frames are length-prefixed pickles between processes of the same
user (the socket's permissions keep everyone else out).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import socket
import struct
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from jarvis.errors import JarvisError, MemoryStoreError
from jarvis.memory.base import MemoryStore, Metadata, Progress, Record

log = logging.getLogger(__name__)

SOCKET_NAME = ".jarvis.sock"
CALLS = frozenset({"add", "query", "get", "all_metadata", "delete", "count"})
TIMEOUT_S = 30.0
_HEADER = struct.Struct("!I")


def socket_path(folder: Path) -> Path:
    """Where the owner of ``folder`` listens (a short path under the temp dir when too long)."""
    path = Path(folder).resolve() / SOCKET_NAME
    if len(os.fsencode(path)) <= 100:
        return path
    digest = hashlib.sha1(os.fsencode(path)).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"jarvis-{os.getuid()}-{digest}.sock"


def _send(sock: socket.socket, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(data)) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return bytes(buf)


def _recv(sock: socket.socket) -> Any:
    (size,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
    return pickle.loads(_recv_exact(sock, size))


class StoreServer:
    """Serves ``store`` on the socket of ``folder`` until :meth:`close` (a daemon thread)."""

    def __init__(self, store: MemoryStore, folder: Path) -> None:
        self.store = store
        self.path = socket_path(folder)
        self._closed = threading.Event()
        try:
            self.path.unlink()  # a stale socket of a dead owner (we hold the lock now)
        except FileNotFoundError:
            pass
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            self._sock.bind(str(self.path))
        finally:
            os.umask(old)
        self._sock.listen(8)
        self._thread = threading.Thread(target=self._accept, name="memory-share", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), name="memory-share-conn", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            while not self._closed.is_set():
                try:
                    method, args = _recv(conn)
                except (ConnectionError, OSError, EOFError, pickle.UnpicklingError, ValueError):
                    return
                try:
                    if method not in CALLS:
                        raise MemoryStoreError(f"the memory owner does not serve {method!r}",
                                               "close the other Jarvis and retry")
                    reply: tuple = ("ok", getattr(self.store, method)(*args))
                except JarvisError as exc:
                    reply = ("err", exc.message, exc.hint)
                except Exception as exc:  # noqa: BLE001 - report, keep serving
                    reply = ("err", f"memory owner failed: {exc}", "retry; see the other Jarvis's log")
                try:
                    _send(conn, reply)
                except OSError:
                    return

    def close(self) -> None:
        """Stop serving and remove the socket. Safe to call twice."""
        if self._closed.is_set():
            return
        self._closed.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        try:
            self.path.unlink()
        except OSError:
            pass


def serve(store: MemoryStore, folder: Path) -> StoreServer | None:
    """Start sharing ``store``; None (logged) when the socket cannot be made."""
    try:
        return StoreServer(store, folder)
    except OSError as exc:
        log.warning("cannot share the memory store with other Jarvis processes: %s", exc)
        return None


class RemoteStore(MemoryStore):
    """A memory store held by another Jarvis process, reached through its socket."""

    def __init__(self, folder: Path) -> None:
        self.path = socket_path(folder)
        self.location = f"{folder} (through the Jarvis process that has it open)"
        self.built_with: tuple[str, int] | None = None
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(TIMEOUT_S)
        try:
            self._sock.connect(str(self.path))
        except OSError:
            self._sock.close()
            raise

    def _call(self, method: str, *args: Any) -> Any:
        with self._lock:
            try:
                _send(self._sock, (method, args))
                reply = _recv(self._sock)
            except (OSError, ConnectionError, EOFError, pickle.UnpicklingError) as exc:
                raise MemoryStoreError(
                    f"lost the Jarvis process that holds the memory store: {exc}",
                    "retry: with that Jarvis closed, this one opens the folder itself",
                ) from None
        if reply[0] == "err":
            raise MemoryStoreError(reply[1], reply[2])
        return reply[1]

    def add(self, ids: Sequence[str], texts: Sequence[str], embeddings: Any,
            metadatas: Sequence[Metadata]) -> None:
        """Add records through the owner."""
        self._call("add", list(ids), list(texts), embeddings, list(metadatas))

    def query(self, embedding: Any, k: int) -> list[Record]:
        """Nearest records, searched by the owner."""
        return self._call("query", embedding, k)

    def get(self, ids: Sequence[str]) -> list[Record]:
        """Records by id."""
        return self._call("get", list(ids))

    def all_metadata(self) -> list[tuple[str, Metadata]]:
        """Every record's id and metadata."""
        return self._call("all_metadata")

    def delete(self, ids: Sequence[str]) -> int:
        """Delete records through the owner."""
        return self._call("delete", list(ids))

    def rebuild(self, embed: Callable[[list[str]], Any], progress: Progress | None = None) -> int:
        """Not served: a rebuild needs the folder to itself."""
        raise MemoryStoreError("the memory store is open in another Jarvis process",
                               "close the other Jarvis, then rebuild the memory")

    def count(self) -> int:
        """How many records the store holds."""
        return self._call("count")

    def close(self) -> None:
        """Disconnect (the owner keeps the store open)."""
        self._sock.close()


def connect(folder: Path) -> RemoteStore | None:
    """The store of the process that holds ``folder``, or None when none serves it."""
    try:
        return RemoteStore(folder)
    except OSError:
        return None
