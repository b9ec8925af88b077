"""Long-term memory against real ChromaDB with the real default embedder (USE multilingual), in both modes:

- ``local``: a persistent ChromaDB folder in a temp directory;
- ``server``: a real ``chroma run`` server on a free localhost port (restarted to prove persistence).

Same tests, same code path after the client is made.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from devsupport.paths import DATA, MODELS
from jarvis.config import MemorySettings
from jarvis.memory.service import MemoryService
from jarvis.redact import MARK
from tests.support.chroma_server import ChromaServer

EMBEDDER = MODELS / MemorySettings().embedder.name  # the default (tests/memory/test_memory_bilingual.py)
PAIRS = json.loads((DATA / "memory_pairs.json").read_text(encoding="utf-8"))


class Backend:
    """Makes MemoryServices on one store per test, in the local or the server mode."""

    def __init__(self, mode: str, root: Path, server: ChromaServer | None) -> None:
        self.mode, self.root, self.server = mode, root, server
        self.open: list[MemoryService] = []

    def service(self, name: str, **settings: object) -> MemoryService:
        """A new service on store ``name`` (a folder, or a collection on the server)."""
        if self.mode == "local":
            base = MemorySettings(path=self.root / name, embedder=EMBEDDER)
        else:
            assert self.server is not None
            base = MemorySettings(server=self.server.url, collection=name, embedder=EMBEDDER)
        svc = MemoryService(base.model_copy(update=settings), session="test-session")
        self.open.append(svc)
        return svc

    def restart(self) -> None:
        """Close every service; the server mode also restarts the server process."""
        for svc in self.open:
            svc.close()
        self.open.clear()
        if self.server is not None:
            self.server.restart()


@pytest.fixture(scope="module", params=["local", "server"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    root = tmp_path_factory.mktemp(f"memory-{request.param}")
    server = None
    if request.param == "server":
        server = ChromaServer(root / "server-data")
        server.start()
    b = Backend(request.param, root, server)
    try:
        yield b
    finally:
        b.restart()
        if server is not None:
            server.stop()


def test_recall_at_3_across_restart(backend: Backend, capsys: pytest.CaptureFixture) -> None:
    """>= 30 paraphrased questions find their fact in the top 3 after a restart (recall@3 >= 0.9)."""
    svc = backend.service("recall")
    fact_ids = [svc.add(fact) for fact, _ in PAIRS["pairs"]]
    for turn in PAIRS["distractors"]:
        svc.add(turn, source="keyboard", kind="turn")
    assert all(fact_ids) and len(set(fact_ids)) == len(PAIRS["pairs"]) >= 30
    backend.restart()

    svc = backend.service("recall")
    assert svc.count() == len(PAIRS["pairs"]) + len(PAIRS["distractors"])
    top3 = used = 0
    for fid, (_, question) in zip(fact_ids, PAIRS["pairs"], strict=True):
        hits = svc.search(question, k=3)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        top3 += fid in [h.id for h in hits]
        used += fid in [h.id for h in svc.recall_hits(question)]
    n = len(PAIRS["pairs"])
    with capsys.disabled():
        print(f"\n[{backend.mode}] recall@3 = {top3 / n:.3f}; in the prompt block = {used / n:.3f} (n={n})")
    assert top3 / n >= 0.9
    assert used / n >= 0.8  # threshold + token budget still keep most right facts


def test_near_duplicates_are_not_stored_twice(backend: Backend) -> None:
    svc = backend.service("dedup")
    first = svc.add("My dog is called Biscuit")
    assert first is not None
    assert svc.add("My dog is called Biscuit") is None
    assert svc.add("my dog is called biscuit!") is None
    other = svc.add("My cat is called Miso")
    assert other is not None and other != first
    assert svc.count() == 2
    assert svc.get(first).metadata["source"] == "explicit"


def test_secrets_are_redacted_before_storing(backend: Backend, tmp_path: Path) -> None:
    svc = backend.service("redact")
    secret = "sk-proj-Zx81kLmnopQRstuVWxyz0123456789"
    mid = svc.add(f"My OpenAI key is {secret} and my wifi password is hunter22")
    mem = svc.get(mid)
    assert secret not in mem.text and "hunter22" not in mem.text
    assert mem.text == f"My OpenAI key is {MARK} and my wifi password is {MARK}"
    assert mem.metadata["redacted"] == 2
    turn = svc.remember_turn(f"remember password: {secret}", "Sure, I will keep that safe.")
    assert secret not in svc.get(turn).text
    assert all(secret not in h.text for h in svc.search("OpenAI key", k=5))
    out = tmp_path / "export.jsonl"
    svc.export(out)
    assert secret not in out.read_text(encoding="utf-8") and "hunter22" not in out.read_text(encoding="utf-8")


def test_forget_removes_a_memory(backend: Backend) -> None:
    svc = backend.service("forget")
    dog = svc.add("My dog is called Biscuit")
    cat = svc.add("My cat Miso is afraid of the vacuum cleaner")
    svc.add("I was born in Lisbon")
    found = svc.forget_candidates("what is my dog's name")
    assert found and found[0].id == dog
    assert svc.forget_candidates(cat) == [svc.get(cat)]  # an exact id is that memory only
    assert svc.delete([dog]) == 1
    assert svc.delete([dog, "no-such-id"]) == 0
    assert svc.get(dog) is None
    assert dog not in [h.id for h in svc.search("What is my dog called?", k=5)]
    backend.restart()
    svc = backend.service("forget")
    assert svc.get(dog) is None and svc.count() == 2
    assert svc.forget_candidates("quantum chromodynamics lecture notes") == []


def test_export_import_round_trip_is_lossless(backend: Backend, tmp_path: Path) -> None:
    src = backend.service("export-src")
    src.add("My daughter Emma turns seven in March", language="en")
    src.add("Mi comida favorita es el risotto de setas", source="voice", language="es")
    src.remember_turn("What's the capital of Australia?", "Canberra.", "keyboard", "en", "qwen-0.5b")
    first = tmp_path / "a.jsonl"
    assert src.export(first) == 3
    rows = [json.loads(line) for line in first.read_text(encoding="utf-8").splitlines()]
    assert {r["metadata"]["source"] for r in rows} == {"explicit", "voice", "keyboard"}
    assert rows[2]["metadata"]["model"] == "qwen-0.5b" and rows[2]["metadata"]["kind"] == "turn"

    dst = backend.service("export-dst")
    assert dst.import_(first) == 3
    assert dst.import_(first) == 0  # same ids: nothing new
    second = tmp_path / "b.jsonl"
    assert dst.export(second) == 3
    assert second.read_bytes() == first.read_bytes()
    hits = dst.search("When is my kid's birthday?", k=1)  # embeddings were rebuilt on import
    assert hits and hits[0].text.startswith("My daughter Emma")


def test_list_is_newest_first(backend: Backend) -> None:
    svc = backend.service("listing")
    ids = [svc.add(text) for text in ("I like tea", "My car is a blue Corolla", "I run on Sundays")]
    assert [h.id for h in svc.list(10)] == ids[::-1]
    assert [h.id for h in svc.list(2)] == ids[:0:-1]
    meta = svc.list(1)[0].metadata
    assert meta["kind"] == "fact" and meta["session"] == "test-session" and meta["time"] > 1.6e9
