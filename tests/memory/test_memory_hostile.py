"""Memory stays whole and small whatever is thrown at it (issue 23, "Safe with its data").

- A memory added or forgotten from a second process while a first process re-indexes the store
  is kept (or stays forgotten) afterwards, and a second reindex meanwhile is refused cleanly.
  Real processes, real ChromaDB, the real embedder; the reindexing process stops inside its
  rebuild (a progress hook that waits for a line on stdin), so nothing depends on timing.
- Text has a bound: a 10 MB one-line import and a 200 KB ``memory add`` finish in well under 1 GB
  of memory (measured with ``resource.getrusage`` in a subprocess that gives up at 1 GB), and the
  stored memory is cut with a note that says how much was left out.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from devsupport.config import write_config
from devsupport.paths import MODELS, ROOT
from jarvis.cli import main
from jarvis.config import MemorySettings
from jarvis.errors import MemoryStoreError
from jarvis.memory.service import MemoryService
from jarvis.memory.transfer import MAX_CHARS, fit_text, read_jsonl
from tests.support.chroma_server import ChromaServer

USE = MODELS / MemorySettings().embedder.name

REINDEXER = """
import sys
from pathlib import Path
from jarvis.config import MemorySettings
from jarvis.errors import MemoryStoreError
from jarvis.memory.service import MemoryService
settings = MemorySettings(path=Path({path!r}), embedder=Path({emb!r}), server={server!r})
svc = MemoryService(settings, session="reindexer")
def hook(done, total):
    if done == 0:  # inside the rebuild: the old collection has been read, the new one is being filled
        print("rebuilding", total, flush=True)
        sys.stdin.readline()  # the test adds, forgets and reindexes from other processes meanwhile
print("done", *svc.reindex(progress=hook), flush=True)
svc.close()
"""

# Runs `jarvis ARGS...` in a process that gives up (exit 3) as soon as its memory passes 1 GB,
# then prints its peak resident size (kB). It is started by a small Python process in between:
# Linux carries the peak of the process that forks over exec, and pytest may be large.
LAUNCH = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"
WATCHED = """
import os, resource, sys, threading, time
LIMIT = 1 << 30
def watch():
    page = os.sysconf("SC_PAGE_SIZE")
    while True:
        with open("/proc/self/statm") as f:
            if int(f.read().split()[1]) * page > LIMIT:
                print("over 1 GB", flush=True)
                os._exit(3)
        time.sleep(0.05)
threading.Thread(target=watch, daemon=True).start()
from jarvis.cli import main
rc = main(sys.argv[1:])
print("peak_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
sys.exit(rc)
"""


def _config(tmp_path: Path, server: str = "") -> tuple[str, Path]:
    store = tmp_path / "vs"
    body = f'enabled = true\npath = "{store}"\nembedder = "{USE}"\nserver = "{server}"'
    return str(write_config(tmp_path, memory=body)), store


def _cli(capsys: pytest.CaptureFixture, cfg: str, *args: str) -> tuple[int, str, str]:
    rc = main(["--config", cfg, "memory", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def _seed(store: Path, n: int, server: str = "") -> list[str]:
    svc = MemoryService(MemorySettings(path=store, embedder=USE, server=server), session="seed")
    try:
        return [svc.add(f"Seed fact {i}: locker {i} holds item {i * 7 % 13} in room {i % 17}.") for i in range(n)]
    finally:
        svc.close()


class _Reindexer:
    """A process that re-indexes ``store`` and stops inside the rebuild until :meth:`finish`."""

    def __init__(self, store: Path, server: str = "") -> None:
        code = textwrap.dedent(REINDEXER.format(path=str(store), emb=str(USE), server=server))
        self.proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def __enter__(self) -> _Reindexer:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("rebuilding"), (line, self.proc.stderr.read() if self.proc.stderr else "")
        return self

    def finish(self) -> str:
        out, err = self.proc.communicate("go\n", timeout=120)
        assert self.proc.returncode == 0, err
        return out

    def __exit__(self, *exc: Any) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def test_add_and_forget_during_a_reindex_are_kept(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cfg, store = _config(tmp_path)
    seeds = _seed(store, 20)
    with _Reindexer(store) as reindexer:
        rc, out, err = _cli(capsys, cfg, "add", "My gym locker code is 4471")
        assert rc == 0 and out.startswith("remembered "), err
        added = out.split()[1]
        rc, out, err = _cli(capsys, cfg, "forget", "--yes", seeds[3])
        assert rc == 0 and "forgot 1 memory" in out, err
        assert "export" not in err
        assert reindexer.finish().split()[:2] == ["done", "20"]  # 20 seeds - 1 forgotten + 1 added
    rc, out, _ = _cli(capsys, cfg, "list", "--json", "-n", "100")
    ids = {row["id"]: row["text"] for row in json.loads(out)}
    assert ids.get(added) == "My gym locker code is 4471"  # the memory added meanwhile is there
    assert seeds[3] not in ids and len(ids) == 20  # the one forgotten meanwhile stays forgotten
    rc, out, _ = _cli(capsys, cfg, "search", "--json", "-k", "1", "what is the code of my gym locker")
    assert json.loads(out)[0]["id"] == added  # and it is found with the new vectors


def test_a_second_reindex_is_refused_while_one_runs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cfg, store = _config(tmp_path)
    _seed(store, 5)
    with _Reindexer(store) as reindexer:
        rc, out, err = _cli(capsys, cfg, "reindex")
        assert rc == 2 and out == "" and "Traceback" not in err
        assert "a reindex is already running" in err and "hint: wait for it to finish" in err
        assert reindexer.finish().split()[:2] == ["done", "5"]
    rc, out, _ = _cli(capsys, cfg, "reindex")  # once it is over, reindex runs again
    assert rc == 0 and out.startswith("re-embedded 5 memories")


def test_during_a_reindex_to_a_new_embedder_writes_are_told_to_wait(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """The old vectors cannot take the new embedder's: searching or adding waits for the reindex."""
    cfg, store = _config(tmp_path)
    old = MemoryService(MemorySettings(path=store, embedder=MODELS / "all-MiniLM-L6-v2"), session="old")
    try:
        kept = old.add("My dog is called Rex.")
    finally:
        old.close()
    with _Reindexer(store) as reindexer:
        rc, out, err = _cli(capsys, cfg, "add", "My cat is called Tom")
        assert rc == 2 and out == "" and "is being re-embedded" in err and "hint: wait for the reindex" in err
        assert reindexer.finish().split()[1:] == ["1", "all-MiniLM-L6-v2"]
    rc, out, _ = _cli(capsys, cfg, "add", "My cat is called Tom")  # and then it works
    assert rc == 0 and out.startswith("remembered ")
    assert {r["id"] for r in _stored(capsys, cfg)} == {kept, out.split()[1]}


def test_on_a_server_a_second_reindex_is_refused_and_writes_are_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """With memory.server, other processes write to the server directly, not through the reindexer."""
    server = ChromaServer(tmp_path / "server-data")
    server.start()
    try:
        cfg, store = _config(tmp_path, server.url)
        seeds = _seed(store, 6, server.url)
        with _Reindexer(store, server.url) as reindexer:
            rc, out, err = _cli(capsys, cfg, "reindex")
            assert rc == 2 and "a reindex is already running" in err and "hint: wait for it to finish" in err
            rc, out, err = _cli(capsys, cfg, "add", "My gym locker code is 4471")
            assert rc == 0 and out.startswith("remembered "), err
            added = out.split()[1]
            rc, out, err = _cli(capsys, cfg, "forget", "--yes", seeds[0])
            assert rc == 0 and "forgot 1 memory" in out, err
            assert reindexer.finish().split()[:2] == ["done", "6"]
        rows = {r["id"] for r in json.loads(_cli(capsys, cfg, "list", "--json")[1])}
        assert added in rows and seeds[0] not in rows and len(rows) == 6
    finally:
        server.stop()


def _watched(cfg: str, *args: str) -> tuple[int, str, str, int]:
    cmd = [sys.executable, "-c", LAUNCH, sys.executable, "-c", WATCHED, "--config", cfg, "memory", *args]
    proc = subprocess.run(cmd, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    peak = [int(line.split()[1]) for line in proc.stdout.splitlines() if line.startswith("peak_kb")]
    assert proc.returncode != 3, f"memory passed 1 GB: {proc.stdout[-300:]}"
    return proc.returncode, proc.stdout, proc.stderr, peak[0] * 1024 if peak else -1


def _left_out(err: str) -> int:
    found = re.search(r"([\d,]+) characters were left out", err)
    assert found, err
    return int(found.group(1).replace(",", ""))


def _stored(capsys: pytest.CaptureFixture, cfg: str) -> list[dict]:
    rc, out, _ = _cli(capsys, cfg, "list", "--json")
    assert rc == 0
    return json.loads(out)


def test_a_ten_megabyte_line_imports_cut_and_small(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cfg, _ = _config(tmp_path)
    words = "the quick brown fox jumps over the lazy dog and keeps running far away "
    text = "START my sister's wedding is in June. " + words * (10_000_000 // len(words))
    file = tmp_path / "huge.jsonl"
    file.write_text(json.dumps({"id": "huge", "text": text}) + "\n" + json.dumps({"text": "I like tea."}) + "\n")
    assert file.stat().st_size > 10_000_000
    rc, out, err, peak = _watched(cfg, "import", str(file))
    assert rc == 0, err
    assert "imported 2 new memories" in out and 0 < peak < 1 << 30
    assert "note:" in err and _left_out(err) >= len(text) - MAX_CHARS  # says how much was cut
    rows = {r["id"]: r for r in _stored(capsys, cfg)}
    kept = rows["huge"]["text"]
    assert kept.startswith("START my sister's wedding") and len(kept) <= MAX_CHARS
    assert rows["huge"]["metadata"]["cut"] >= len(text) - MAX_CHARS


def test_a_200_kb_add_is_cut_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cfg, _ = _config(tmp_path)
    words = ["Remember", "this:", "my", "passport", "number", "is", "in", "the", "blue", "folder."]
    words += ["filler"] * (200_000 // 7)
    rc, out, err, peak = _watched(cfg, "add", *words)
    assert rc == 0 and out.startswith("remembered "), err
    assert 0 < peak < 1 << 30
    assert "note:" in err and _left_out(err) >= len(" ".join(words)) - MAX_CHARS
    (row,) = _stored(capsys, cfg)
    assert row["text"].startswith("Remember this: my passport number") and len(row["text"]) <= MAX_CHARS


class _CountingEmbedder:
    """A tiny deterministic embedder that records the longest text it was given."""

    name, dim, min_similarity, path = "counting", 8, 0.3, Path("counting")

    def __init__(self) -> None:
        self.longest = 0

    def encode(self, texts: list[str]) -> Any:
        self.longest = max([self.longest, *map(len, texts)])
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i, hash(t) % self.dim] = 1.0
        return out

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)


def test_a_huge_turn_and_question_stay_within_the_window(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    emb = _CountingEmbedder()
    svc = MemoryService(MemorySettings(path=tmp_path / "vs", store_turns=True), embedder=emb)  # type: ignore[arg-type]
    try:
        question = "What did I say about " + "the garden " * 20_000
        with caplog.at_level("WARNING", logger="jarvis.notice"):
            new_id = svc.remember_turn(question, "You said it needs water.")
        assert new_id is not None
        stored = svc.get(new_id)
        assert stored is not None and len(stored.text) <= MAX_CHARS and stored.text.startswith("User: What did")
        assert any("left out" in r.getMessage() for r in caplog.records)
        svc.search(question)
        assert emb.longest <= MAX_CHARS  # neither storing nor searching embeds more than the window
    finally:
        svc.close()


def test_a_secret_the_cut_runs_through_is_redacted_whole() -> None:
    text = "x " * (MAX_CHARS // 2 - 10) + "my token=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789 " + "y " * 5000
    kept, redacted, dropped = fit_text(text)
    assert redacted == 1 and "sk-proj" not in kept and "abcdefgh" not in kept
    assert len(kept) <= MAX_CHARS and kept.endswith("…") and dropped >= len(text) - MAX_CHARS
    assert fit_text("short fact") == ("short fact", 0, 0)


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("[" * 100_000 + "]" * 100_000, "not valid JSON (nested too deeply)"),
        (json.dumps({"text": "t", "metadata": {"k": "v" * 5000}}), "metadata 'k' is longer than"),
        (json.dumps({"text": "t", "metadata": {f"k{i}": i for i in range(100)}}), "'metadata' has more than 64 keys"),
    ],
    ids=["nested", "long-metadata", "many-keys"],
)
def test_hostile_import_lines_are_refused_by_number(tmp_path: Path, line: str, what: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"text": "fine"}) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(MemoryStoreError) as err:
        read_jsonl(path)
    assert f"bad.jsonl:2: {what}" in err.value.message and err.value.hint


def test_a_line_longer_than_the_limit_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("jarvis.memory.transfer.MAX_LINE", 1000)
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps({"text": "fine"}) + "\n" + json.dumps({"text": "z" * 5000}) + "\n")
    with pytest.raises(MemoryStoreError, match=r"long.jsonl:2: the line is longer than"):
        read_jsonl(path)
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "a", "text": "with a BOM\u2028and a line separator"}).encode()
                     + b"\n")
    assert [r.text for r in read_jsonl(path)] == ["with a BOM\u2028and a line separator"]
