"""Sharing a locked memory folder with a second Jarvis process, through the process that holds it.

Only one process may open a ChromaDB folder (:mod:`jarvis.memory.lock`). The owner serves its open
store on a Unix socket; a second process that finds the folder locked connects there and gets a
:class:`RemoteStore` that forwards every read and write to the owner. One writer, fresh reads,
no extra server to start or stop: when the owner exits, the socket goes with it and the next
process opens the folder itself.

Only the same user may take part, checked three ways: the socket lives in a folder that is ours
and 0700 (``<folder>/.jarvis.sock`` in the 0700 store, or, when that path is too long for a Unix
socket, ``$XDG_RUNTIME_DIR/jarvis`` or ``<tmp>/jarvis-<uid>``, refused if someone else made it);
the socket file must be ours before we connect; and each side asks the kernel who the other is
(``SO_PEERCRED``) and hangs up on anyone else. Frames are length-prefixed JSON (never pickle), so
even a peer that got through could only send data, not code.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import stat
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
MAX_FRAME = 256 * 1024 * 1024  # a frame larger than this is refused before it is read
_HEADER = struct.Struct("!I")
_MAX_UNIX_PATH = 100


class UnsafeSocket(OSError):
    """The socket or its folder belongs to someone else or is open to others: not used."""


def _private_runtime_dir() -> Path:
    """A folder only this user can enter, for sockets whose natural path is too long.

    ``$XDG_RUNTIME_DIR/jarvis`` when the runtime dir is ours, else ``<tmp>/jarvis-<uid>``; created
    0700, and refused (UnsafeSocket) when it exists but is a link, not ours or open to others
    (another user may create the name first in a shared /tmp).
    """
    uid = os.getuid()
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    base: Path | None = None
    if runtime:
        try:
            st = os.lstat(runtime)
            if stat.S_ISDIR(st.st_mode) and st.st_uid == uid and not stat.S_IMODE(st.st_mode) & 0o077:
                base = Path(runtime) / "jarvis"
        except OSError:
            pass
    if base is None:
        base = Path(tempfile.gettempdir()) / f"jarvis-{uid}"
    try:
        os.mkdir(base, 0o700)
    except FileExistsError:
        pass
    _check_private_dir(base)
    return base


def _check_private_dir(folder: Path) -> None:
    """Raise UnsafeSocket unless ``folder`` is a real folder of ours that only we can enter."""
    st = os.lstat(folder)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & 0o077:
        raise UnsafeSocket(f"{folder} is not a private folder of this user (owner uid {st.st_uid}, "
                           f"mode {stat.S_IMODE(st.st_mode):o})")


def socket_path(folder: Path) -> Path:
    """Where the owner of ``folder`` listens (in a private runtime folder when the path is too long).

    Raises:
        UnsafeSocket: the runtime folder exists but is not this user's private folder.
    """
    path = Path(folder).resolve() / SOCKET_NAME
    if len(os.fsencode(path)) <= _MAX_UNIX_PATH:
        return path
    digest = hashlib.sha256(os.fsencode(path)).hexdigest()[:16]
    return _private_runtime_dir() / f"{digest}.sock"


def _peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process at the other end of a Unix socket (None where the OS cannot tell)."""
    opt = getattr(socket, "SO_PEERCRED", None)
    if opt is None:  # pragma: no cover - not Linux
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, opt, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid


def _same_user(sock: socket.socket) -> bool:
    uid = _peer_uid(sock)
    return uid is None or uid == os.getuid()


# ---------------------------------------------------------------- wire format (JSON, no code)
def _plain(obj: Any) -> Any:
    """JSON-ready form of what the store calls take and return (arrays, records, tuples)."""
    if isinstance(obj, Record):
        return {"__record__": [obj.id, obj.text, obj.metadata, obj.score]}
    if isinstance(obj, (list, tuple)):
        return [_plain(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return obj.tolist()
    return obj


def _revive(obj: Any) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {"__record__"}:
            rid, text, meta, score = obj["__record__"]
            return Record(str(rid), str(text), dict(meta), float(score))
        return {k: _revive(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_revive(x) for x in obj]
    return obj


def _send(sock: socket.socket, obj: Any) -> None:
    data = json.dumps(_plain(obj), allow_nan=False, separators=(",", ":")).encode("utf-8")
    sock.sendall(_HEADER.pack(len(data)) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return bytes(buf)


def _recv(sock: socket.socket) -> Any:
    (size,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes refused")
    return _revive(json.loads(_recv_exact(sock, size).decode("utf-8")))


def _array(value: Any) -> Any:
    import numpy as np

    return np.asarray(value, dtype=np.float32)


#: How the server turns each call's JSON arguments back into what the store takes.
_ARGS: dict[str, Callable[[list[Any]], tuple]] = {
    "add": lambda a: ([str(x) for x in a[0]], [str(x) for x in a[1]], _array(a[2]), [dict(m) for m in a[3]]),
    "query": lambda a: (_array(a[0]), int(a[1])),
    "get": lambda a: ([str(x) for x in a[0]],),
    "all_metadata": lambda a: (),
    "delete": lambda a: ([str(x) for x in a[0]],),
    "count": lambda a: (),
}


class StoreServer:
    """Serves ``store`` on the socket of ``folder`` until :meth:`close` (a daemon thread)."""

    def __init__(self, store: MemoryStore, folder: Path) -> None:
        self.store = store
        self.path = socket_path(folder)
        _check_private_dir(self.path.parent)
        self._closed = threading.Event()
        try:
            self.path.unlink()  # a stale socket of a dead owner (we hold the lock, the folder is ours)
        except FileNotFoundError:
            pass
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            self._sock.bind(str(self.path))
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        self._sock.listen(8)
        self._thread = threading.Thread(target=self._accept, name="memory-share", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            if not _same_user(conn):  # only this user's processes are served
                log.warning("memory share: refused a connection from uid %s", _peer_uid(conn))
                conn.close()
                continue
            threading.Thread(target=self._serve, args=(conn,), name="memory-share-conn", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            while not self._closed.is_set():
                try:
                    request = _recv(conn)
                    method, args = request["method"], request["args"]
                except (ConnectionError, OSError, ValueError, KeyError, TypeError):
                    return
                try:
                    if method not in CALLS or not isinstance(args, list):
                        raise MemoryStoreError(f"the memory owner does not serve {method!r}",
                                               "close the other Jarvis and retry")
                    reply: dict = {"ok": getattr(self.store, method)(*_ARGS[method](args))}
                except JarvisError as exc:
                    reply = {"err": [exc.message, exc.hint]}
                except Exception as exc:  # noqa: BLE001 - report, keep serving
                    reply = {"err": [f"memory owner failed: {exc}", "retry; see the other Jarvis's log"]}
                try:
                    _send(conn, reply)
                except (OSError, ValueError):
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
    """Start sharing ``store``; None (logged) when the socket cannot be made safely."""
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
        st = os.lstat(self.path)  # FileNotFoundError: nobody serves it
        if not stat.S_ISSOCK(st.st_mode) or st.st_uid != os.getuid():
            raise UnsafeSocket(f"{self.path} is not a socket of this user (owner uid {st.st_uid})")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(TIMEOUT_S)
        try:
            self._sock.connect(str(self.path))
            if not _same_user(self._sock):
                raise UnsafeSocket(f"{self.path} is served by uid {_peer_uid(self._sock)}, not this user")
        except OSError:
            self._sock.close()
            raise

    def _call(self, method: str, *args: Any) -> Any:
        with self._lock:
            try:
                _send(self._sock, {"method": method, "args": list(args)})
                reply = _recv(self._sock)
            except (OSError, ConnectionError, ValueError) as exc:
                raise MemoryStoreError(
                    f"lost the Jarvis process that holds the memory store: {exc}",
                    "retry: with that Jarvis closed, this one opens the folder itself",
                ) from None
        if not isinstance(reply, dict) or not ("ok" in reply or "err" in reply):
            raise MemoryStoreError("the Jarvis process that holds the memory store sent a bad reply",
                                   "close the other Jarvis and retry")
        if "err" in reply:
            message, hint = (list(reply["err"]) + ["", ""])[:2]
            raise MemoryStoreError(str(message), str(hint))
        return reply["ok"]

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
        return [(str(rid), dict(meta)) for rid, meta in self._call("all_metadata")]

    def delete(self, ids: Sequence[str]) -> int:
        """Delete records through the owner."""
        return int(self._call("delete", list(ids)))

    def rebuild(self, embed: Callable[[list[str]], Any], progress: Progress | None = None) -> int:
        """Not served: a rebuild needs the folder to itself."""
        raise MemoryStoreError("the memory store is open in another Jarvis process",
                               "close the other Jarvis, then rebuild the memory")

    def count(self) -> int:
        """How many records the store holds."""
        return int(self._call("count"))

    def close(self) -> None:
        """Disconnect (the owner keeps the store open)."""
        self._sock.close()


def connect(folder: Path) -> RemoteStore | None:
    """The store of the process that holds ``folder``, or None when none serves it safely."""
    try:
        return RemoteStore(folder)
    except UnsafeSocket as exc:
        log.warning("memory share: not connecting: %s", exc)
        return None
    except OSError:
        return None
