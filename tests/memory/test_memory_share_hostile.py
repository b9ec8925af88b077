"""The memory share never runs another user's code and never talks to another user's socket.

Real sockets and real processes. The attacks are the ones a local user could mount: answer on the
socket path with a pickle that runs code, or create the short socket folder in a shared /tmp
before the owner does. The cross-user cases need a second uid; they run when the tests run as
root (as CI does here) and are skipped otherwise.
"""

from __future__ import annotations

import os
import pickle
import socket
import stat
import struct
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest

from jarvis.errors import MemoryStoreError
from jarvis.memory.base import MemoryStore, Record
from jarvis.memory.share import RemoteStore, UnsafeSocket, connect, serve, socket_path

NOBODY = 65534
as_root = pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as a second user")


class _Evil:
    """Unpickling this writes a file: the proof that code ran."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.write_text, (self.target, "pwned"))


def _hostile_server(path: Path, payload: bytes, ready: threading.Event) -> socket.socket:
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(path))
    srv.listen(1)

    def answer() -> None:
        ready.set()
        try:
            conn, _ = srv.accept()
        except OSError:
            return
        with conn:
            try:
                header = conn.recv(4)
                (size,) = struct.unpack("!I", header)
                conn.recv(size)
                conn.sendall(struct.pack("!I", len(payload)) + payload)
            except OSError:
                pass

    threading.Thread(target=answer, daemon=True).start()
    return srv


def test_a_pickle_from_the_socket_is_never_loaded(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    folder.mkdir(mode=0o700)
    proof = tmp_path / "proof.txt"
    ready = threading.Event()
    srv = _hostile_server(socket_path(folder), pickle.dumps(_Evil(proof)), ready)
    try:
        ready.wait(5)
        remote = connect(folder)
        assert remote is not None  # same user: it connects, but may only exchange data
        with pytest.raises(MemoryStoreError):
            remote.count()
        remote.close()
    finally:
        srv.close()
    assert not proof.exists()


class _DictStore(MemoryStore):
    """A plain in-memory store, to check the JSON wire format carries every call and result."""

    def __init__(self) -> None:
        self.rows: dict[str, Record] = {}

    def add(self, ids, texts, embeddings, metadatas) -> None:  # type: ignore[no-untyped-def]
        assert isinstance(embeddings, np.ndarray) and embeddings.dtype == np.float32
        for rid, text, meta in zip(ids, texts, metadatas, strict=True):
            self.rows[rid] = Record(rid, text, dict(meta))

    def query(self, embedding, k):  # type: ignore[no-untyped-def]
        assert isinstance(embedding, np.ndarray)
        return [Record(r.id, r.text, r.metadata, 0.5) for r in list(self.rows.values())[:k]]

    def get(self, ids):  # type: ignore[no-untyped-def]
        return [self.rows[i] for i in ids if i in self.rows]

    def all_metadata(self):  # type: ignore[no-untyped-def]
        return [(r.id, r.metadata) for r in self.rows.values()]

    def delete(self, ids):  # type: ignore[no-untyped-def]
        return sum(self.rows.pop(i, None) is not None for i in ids)

    def rebuild(self, embed, progress=None):  # type: ignore[no-untyped-def]
        return 0

    def count(self) -> int:
        return len(self.rows)

    def close(self) -> None:
        pass


def test_the_json_wire_carries_every_call(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    folder.mkdir(mode=0o700)
    server = serve(_DictStore(), folder)
    assert server is not None
    try:
        assert stat.S_IMODE(os.lstat(server.path).st_mode) == 0o600
        remote = connect(folder)
        assert remote is not None
        remote.add(["a", "b"], ["Mi perro se llama Rex.", "x"], np.ones((2, 3), np.float32),
                   [{"kind": "fact", "lang": "es"}, {"kind": "fact"}])
        assert remote.count() == 2
        hits = remote.query(np.ones(3, np.float32), 1)
        assert hits == [Record("a", "Mi perro se llama Rex.", {"kind": "fact", "lang": "es"}, 0.5)]
        assert remote.get(["b", "zz"])[0].text == "x"
        assert sorted(rid for rid, _ in remote.all_metadata()) == ["a", "b"]
        assert remote.delete(["a", "nope"]) == 1
        remote.close()
    finally:
        server.close()
    assert not server.path.exists()


def _long_folder(root: Path) -> Path:
    folder = root / ("deep-" * 25) / "store"
    folder.mkdir(parents=True, mode=0o700)
    return folder


def test_a_short_socket_folder_open_to_others_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    folder = _long_folder(tmp_path)
    squatted = tmp_path / f"jarvis-{os.getuid()}"
    squatted.mkdir()
    squatted.chmod(0o777)  # made first, open to everyone: anyone could plant a socket in it
    with pytest.raises(UnsafeSocket):
        socket_path(folder)
    assert serve(_DictStore(), folder) is None
    assert connect(folder) is None


def test_a_long_store_path_shares_through_a_private_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    folder = _long_folder(tmp_path)
    server = serve(_DictStore(), folder)
    assert server is not None
    try:
        assert server.path.parent == tmp_path / f"jarvis-{os.getuid()}"
        assert stat.S_IMODE(server.path.parent.stat().st_mode) == 0o700
        remote = connect(folder)
        assert remote is not None and remote.count() == 0
        remote.close()
    finally:
        server.close()


class Squatter:
    """Another user (uid 65534) serving a pickle that would run code, on a socket in its own folder.

    A forked child drops to that uid (no exec: root's Python may not be readable by that user).
    """

    def __init__(self, folder: Path, sock_name: str, proof: Path) -> None:
        self.path = folder / sock_name
        ready_r, ready_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the other user
            code = 1
            try:
                os.close(ready_r)
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                os.mkdir(folder, 0o700)
                srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                old = os.umask(0)
                srv.bind(str(self.path))
                os.umask(old)
                srv.listen(1)
                os.write(ready_w, b"1")
                srv.settimeout(20)
                conn, _ = srv.accept()
                conn.recv(65536)
                payload = pickle.dumps(_Evil(proof))
                conn.sendall(struct.pack("!I", len(payload)) + payload)
                conn.recv(1)
                code = 0
            except BaseException:  # noqa: BLE001 - the child reports by its exit code only
                pass
            finally:
                os._exit(code)
        os.close(ready_w)
        self.ready = os.read(ready_r, 1) == b"1"
        os.close(ready_r)

    def stop(self) -> None:
        try:
            os.kill(self.pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)


@as_root
def test_another_user_squatting_the_socket_folder_runs_no_code(monkeypatch) -> None:
    with tempfile.TemporaryDirectory(prefix="jarvis-share-test-") as shared_dir:
        shared = Path(shared_dir)
        shared.chmod(0o1777)  # a /tmp of its own: sticky, everyone may create
        monkeypatch.setattr(tempfile, "tempdir", str(shared))
        monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
        victim_home = shared / "victim"
        victim_home.mkdir(mode=0o700)
        folder = _long_folder(victim_home)
        digest_name = _expected_socket_name(folder, shared, monkeypatch)
        proof = shared / "proof"
        squatter = Squatter(shared / f"jarvis-{os.getuid()}", digest_name, proof)
        try:
            assert squatter.ready
            assert connect(folder) is None  # the folder is not ours: never connected
            assert serve(_DictStore(), folder) is None  # and nothing of ours is put there
        finally:
            squatter.stop()
        assert not proof.exists()


@as_root
def test_a_socket_served_by_another_user_is_refused() -> None:
    with tempfile.TemporaryDirectory(prefix="jarvis-share-test-") as shared_dir:
        shared = Path(shared_dir)
        shared.chmod(0o1777)
        proof = shared / "proof"
        squatter = Squatter(shared / "sock", "s", proof)
        try:
            assert squatter.ready
            planted = squatter.path
            with pytest.raises(UnsafeSocket, match="not a socket of this user"):
                _remote_at(planted)
            os.chown(planted, os.getuid(), os.getgid())  # the file looks ours, the server is not
            with pytest.raises(UnsafeSocket, match="served by uid"):
                _remote_at(planted)
        finally:
            squatter.stop()
        assert not proof.exists()


def _remote_at(path: Path) -> RemoteStore:
    remote = RemoteStore.__new__(RemoteStore)
    import jarvis.memory.share as share

    real = share.socket_path
    share.socket_path = lambda folder: path  # type: ignore[assignment]
    try:
        RemoteStore.__init__(remote, path.parent)
    finally:
        share.socket_path = real  # type: ignore[assignment]
    return remote


def _expected_socket_name(folder: Path, shared: Path, monkeypatch) -> str:
    """The socket's file name for ``folder`` (computed with a throwaway private folder)."""
    probe = shared / "probe"
    probe.mkdir(mode=0o700)
    monkeypatch.setattr(tempfile, "tempdir", str(probe))
    name = socket_path(folder).name
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    return name
