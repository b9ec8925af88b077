"""Memory failures a user can meet: each is a MemoryStoreError with a hint, and nothing stored is lost.

Unwritable folders use ``chattr +i`` (the tests run as root, for whom permission bits do not bite);
those tests skip where the file system has no immutable flag.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from devsupport.paths import MODELS, ROOT
from jarvis.config import MemorySettings
from jarvis.errors import MemoryStoreError
from jarvis.memory.base import EmbedderMismatch
from jarvis.memory.chroma_store import ChromaStore
from jarvis.memory.lock import StoreLock
from jarvis.memory.service import MemoryService

EMBEDDER = MODELS / "all-MiniLM-L6-v2"


def service(path: Path, **kw: object) -> MemoryService:
    return MemoryService(MemorySettings(path=path, embedder=EMBEDDER).model_copy(update=kw))


def unit(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store folder with three facts, copied by tests that damage it."""
    path = tmp_path_factory.mktemp("filled") / "vs"
    svc = service(path)
    for fact in ("My dog is called Biscuit", "I was born in Lisbon", "I am allergic to peanuts"):
        assert svc.add(fact)
    svc.close()
    return path


def copy_of(filled: Path, tmp_path: Path) -> Path:
    import shutil

    dst = tmp_path / "vs"
    shutil.copytree(filled, dst)
    return dst


def texts(path: Path) -> set[str]:
    svc = service(path)
    try:
        return {h.text for h in svc.list(100)}
    finally:
        svc.close()


@pytest.fixture
def immutable() -> Iterator[list[Path]]:
    """Paths to make immutable with chattr; always made mutable again afterwards."""
    paths: list[Path] = []
    yield paths
    for p in paths:
        subprocess.run(["chattr", "-R", "-i", str(p)], capture_output=True)


def make_immutable(paths: list[Path], p: Path) -> None:
    paths.append(p)
    r = subprocess.run(["chattr", "-R", "+i", str(p)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"chattr +i is not supported here: {r.stderr.strip()}")


def test_unwritable_store_folder(filled: Path, tmp_path: Path, immutable: list[Path]) -> None:
    path = copy_of(filled, tmp_path)
    make_immutable(immutable, path)
    svc = service(path)
    with pytest.raises(MemoryStoreError) as err:
        svc.add("a new fact")
    assert "not writable" in err.value.message and str(path) in err.value.message
    assert "permissions" in err.value.hint
    subprocess.run(["chattr", "-R", "-i", str(path)], check=True)
    assert texts(path) == {"My dog is called Biscuit", "I was born in Lisbon", "I am allergic to peanuts"}


def test_uncreatable_store_folder(tmp_path: Path, immutable: list[Path]) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    make_immutable(immutable, parent)
    with pytest.raises(MemoryStoreError, match="cannot create the memory folder"):
        service(parent / "vs").search("anything")


def test_store_path_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "vs").write_text("not a folder")
    with pytest.raises(MemoryStoreError, match="is a file, not a folder") as err:
        service(tmp_path / "vs").add("x")
    assert "memory.path" in err.value.hint


def test_store_locked_by_another_process(filled: Path, tmp_path: Path) -> None:
    path = copy_of(filled, tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from jarvis.memory.lock import StoreLock
            StoreLock({str(path)!r}).acquire()
            print("locked", flush=True)
            sys.stdin.read()
        """)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        svc = service(path)
        with pytest.raises(MemoryStoreError, match="in use by another Jarvis process") as err:
            svc.search("dog")
        assert "close the other Jarvis" in err.value.hint
    finally:
        holder.communicate("", timeout=30)
    assert "My dog is called Biscuit" in texts(path)  # usable again, nothing lost


def test_corrupt_store(filled: Path, tmp_path: Path) -> None:
    path = copy_of(filled, tmp_path)
    db = path / "chroma.sqlite3"
    data = bytearray(db.read_bytes())
    data[:4096] = os.urandom(4096)
    db.write_bytes(bytes(data))
    before = {p.name: p.read_bytes() for p in path.rglob("*") if p.is_file() and p.name != ".jarvis.lock"}
    with pytest.raises(MemoryStoreError, match="looks corrupt") as err:
        service(path).search("dog")
    assert "move the folder aside" in err.value.hint
    after = {p.name: p.read_bytes() for p in path.rglob("*") if p.is_file() and p.name != ".jarvis.lock"}
    assert after == before  # nothing was deleted or rewritten


def test_server_unreachable(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once the socket is closed
    svc = MemoryService(MemorySettings(server=f"http://127.0.0.1:{port}", embedder=EMBEDDER))
    with pytest.raises(MemoryStoreError, match="unreachable") as err:
        svc.search("dog")
    assert "chroma run" in err.value.hint


def test_embedder_missing(tmp_path: Path) -> None:
    svc = MemoryService(MemorySettings(path=tmp_path / "vs", embedder=tmp_path / "no-such-model"))
    with pytest.raises(MemoryStoreError, match="embedding model not found") as err:
        svc.add("My dog is called Biscuit")
    assert "install.sh" in err.value.hint
    assert not (tmp_path / "vs").exists()  # nothing was created


def test_malformed_import_stores_nothing(filled: Path, tmp_path: Path) -> None:
    path = copy_of(filled, tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "new1", "text": "I like tea"}\n{"id": "new2", "text": 42}\n', encoding="utf-8")
    svc = service(path)
    try:
        with pytest.raises(MemoryStoreError, match=r"bad.jsonl:2: 'text' is missing"):
            svc.import_(bad)
        assert svc.count() == 3 and svc.get("new1") is None
    finally:
        svc.close()


def test_changed_embedder_is_caught(tmp_path: Path) -> None:
    store = ChromaStore(path=tmp_path / "vs", embedder_name="all-MiniLM-L6-v2", dim=384)
    store.add(["a"], ["x"], unit(1), [{"time": 1.0}])
    store.close()
    with pytest.raises(EmbedderMismatch, match="was built with embedder all-MiniLM-L6-v2") as err:
        ChromaStore(path=tmp_path / "vs", embedder_name="bge-m3", dim=1024)
    assert "jarvis memory reindex" in err.value.hint and "1 memories" in err.value.message
    with pytest.raises(EmbedderMismatch, match=r"\(384-d\), but memory.embedder is other-384 \(384-d\)"):
        ChromaStore(path=tmp_path / "vs", embedder_name="other-384", dim=384)  # same size: refused too
    again = ChromaStore(path=tmp_path / "vs", embedder_name="all-MiniLM-L6-v2", dim=384)
    assert again.count() == 1  # the failed open released the lock and lost nothing
    again.close()


WRITER = """
import sys, numpy as np
from pathlib import Path
from jarvis.memory.base import EmbedderMismatch
from jarvis.memory.chroma_store import ChromaStore
store = ChromaStore(path=Path(sys.argv[1]), embedder_name="all-MiniLM-L6-v2", dim=384)
rng = np.random.default_rng(1)
done = 0
while True:
    v = rng.standard_normal((100, 384)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    store.add([f"r{done + j}" for j in range(100)], [f"text {done + j}" for j in range(100)], v,
              [{"time": float(done + j)} for j in range(100)])
    done += 100
    print(done, flush=True)
"""


def test_interrupted_write_leaves_store_readable(tmp_path: Path) -> None:
    """A writer killed with SIGKILL mid-stream (past ChromaDB's 1000-record index flush)."""
    path = tmp_path / "vs"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    acked = 0
    assert proc.stdout is not None
    for line in proc.stdout:
        acked = int(line)
        if acked >= 1300:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    store = ChromaStore(path=path, embedder_name="all-MiniLM-L6-v2", dim=384)
    try:
        n = store.count()
        assert n >= acked  # every acknowledged write survived
        assert [r.id for r in store.get(["r0", f"r{acked - 1}"])] == ["r0", f"r{acked - 1}"]
        assert len(store.all_metadata()) == n
        assert len(store.query(unit(1, seed=7)[0], 5)) == 5
        store.add(["after"], ["still writable"], unit(1, seed=8), [{"time": 0.0}])
        assert store.count() == n + 1
    finally:
        store.close()


# ------------------------------------------------------------------------ the assistant's seams
def test_failure_is_reported_once_then_chat_goes_on(tmp_path: Path) -> None:
    svc = MemoryService(MemorySettings(path=tmp_path / "vs", embedder=tmp_path / "missing"))
    with pytest.raises(MemoryStoreError):
        svc.recall_for_turn("what is my dog's name?", turn_id=1)
    hits = svc.recall_for_turn("and my cat's?", turn_id=2)
    assert hits.hits == () and hits.turn_id == 2
    assert hits.error and hits.error.startswith("long-term memory is off: embedding model not found")
    assert svc.remember_turn("hello", "hi there") is None  # no second raise


def test_memory_comes_back_after_the_cool_down(tmp_path: Path) -> None:
    """While broken, turns skip memory without retrying; after the cool-down a fixed store works."""
    from jarvis.memory.embedder import Embedder

    svc = MemoryService(MemorySettings(path=tmp_path / "vs", embedder=tmp_path / "missing"))
    with pytest.raises(MemoryStoreError):
        svc.remember_turn("hello", "hi")
    svc.embedder = Embedder(EMBEDDER)  # the user installs the model
    assert svc.recall_for_turn("my dog?", turn_id=3).error  # still cooling down: not retried yet
    svc._retry_at = 0.0  # the cool-down has passed
    hits = svc.recall_for_turn("my dog?", turn_id=4)
    assert hits.error is None and hits.turn_id == 4
    assert svc.add("My dog is called Biscuit")
    assert svc.recall_for_turn("What is my dog's name?").hits[0].text == "My dog is called Biscuit"
    svc.close()


def test_lock_released_when_open_fails(tmp_path: Path) -> None:
    path = tmp_path / "vs"
    path.mkdir()
    (path / "chroma.sqlite3").write_bytes(os.urandom(8192))
    with pytest.raises(MemoryStoreError, match="looks corrupt"):
        ChromaStore(path=path, embedder_name="m", dim=384)
    StoreLock(path).acquire().release()  # not left held by the failed open


def test_unusable_gpu_falls_back_to_cpu() -> None:
    import torch

    from jarvis.memory.embedder import resolve_device

    assert resolve_device("cpu") == "cpu"
    expected = "cuda:0" if torch.cuda.is_available() else "cpu"
    assert resolve_device("cuda:0") == expected
    assert resolve_device("cuda:99") == "cpu"  # no machine has that GPU
