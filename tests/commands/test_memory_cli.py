"""`jarvis memory add | search | list | forget | export | import` through the real CLI entry point,
with a real ChromaDB folder and the real embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devsupport.config import write_config
from devsupport.paths import MODELS
from jarvis.cli import main

EMBEDDER = MODELS / "all-MiniLM-L6-v2"


def config(folder: Path, store: str = "vs", extra: str = "") -> str:
    folder.mkdir(parents=True, exist_ok=True)
    section = f'enabled = true\npath = "{folder / store}"\nembedder = "{EMBEDDER}"\n{extra}'
    return str(write_config(folder, memory=section))


def run(capsys: pytest.CaptureFixture, cfg: str, *args: str) -> tuple[int, str, str]:
    rc = main(["--config", cfg, "memory", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_memory_commands(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cfg = config(tmp_path / "a")
    rc, out, _ = run(capsys, cfg, "add", "My", "dog", "is", "called", "Biscuit")
    assert rc == 0 and out.startswith("remembered ")
    dog = out.split()[1]
    rc, out, _ = run(capsys, cfg, "add", "--json", "My dog is called Biscuit")
    assert rc == 0 and json.loads(out) == {"id": None, "duplicate": True}
    rc, out, _ = run(capsys, cfg, "add", "--json", "I was born in Lisbon")
    born = json.loads(out)["id"]
    run(capsys, cfg, "add", "My api_key=abc123secret456 is for the weather service")

    rc, out, _ = run(capsys, cfg, "search", "--json", "-k", "2", "what's my dog's name")
    rows = json.loads(out)
    assert rc == 0 and len(rows) == 2 and rows[0]["id"] == dog
    assert set(rows[0]) == {"id", "text", "score", "metadata"} and rows[0]["score"] > rows[1]["score"]
    assert rows[0]["metadata"]["source"] == "explicit"

    rc, out, _ = run(capsys, cfg, "list", "--json")
    listed = json.loads(out)
    assert [r["text"] for r in listed][1:] == ["I was born in Lisbon", "My dog is called Biscuit"]
    assert "abc123secret456" not in out and "[redacted]" in listed[0]["text"]
    rc, out, _ = run(capsys, cfg, "list")
    assert rc == 0 and "(3 memories in" in out and dog in out

    rc, out, err = run(capsys, cfg, "forget", "dog")  # stdin is not a terminal: refuses without --yes
    assert rc == 2 and "add --yes" in err
    rc, out, _ = run(capsys, cfg, "forget", "--yes", "what is my dog called")
    assert rc == 0 and "forgot 1 memory" in out
    rc, out, _ = run(capsys, cfg, "forget", "--yes", "differential equations homework")
    assert rc == 1 and "nothing deleted" in out
    rc, out, _ = run(capsys, cfg, "forget", "--yes", born)
    assert rc == 0 and "forgot 1 memory" in out

    from jarvis.llm.answer_cache import AnswerCache  # a cached answer is dropped with no memory to forget

    answers = AnswerCache(tmp_path / "a" / "data")
    answers.put("Who wrote Don Quixote?", "en", "Edgar Allan Poe wrote it.", "qwen-1.5b", "m")
    answers.put("Who painted the Mona Lisa?", "en", "Leonardo da Vinci.", "qwen-1.5b", "m")
    rc, out, _ = run(capsys, cfg, "forget", "--yes", "quixote")
    assert rc == 0 and "dropped 1 cached answer" in out and "nothing deleted" in out
    assert answers.get("Who wrote Don Quixote?", "en", "m") is None
    assert answers.get("Who painted the Mona Lisa?", "en", "m") is not None

    rc, out, _ = run(capsys, cfg, "search", "--json", "dog")
    assert [r["id"] for r in json.loads(out)] == [json.loads(run(capsys, cfg, "list", "--json")[1])[0]["id"]]


def test_export_import_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src, dst = config(tmp_path / "src"), config(tmp_path / "dst")
    run(capsys, src, "add", "My cat Miso is afraid of the vacuum cleaner")
    run(capsys, src, "add", "I take vitamin D every morning")
    file = tmp_path / "mem.jsonl"
    rc, out, _ = run(capsys, src, "export", str(file))
    assert rc == 0 and "exported 2 memories" in out and len(file.read_text().splitlines()) == 2
    rc, out, _ = run(capsys, dst, "import", str(file))
    assert rc == 0 and "imported 2 new memories" in out
    assert run(capsys, dst, "list", "--json")[1] == run(capsys, src, "list", "--json")[1]

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\nnot json\n')
    rc, out, err = run(capsys, dst, "import", str(bad))
    assert rc == 2 and f"error: {bad}:2: not valid JSON" in err and "hint:" in err and "Traceback" not in err

    off = config(tmp_path / "off", extra="")
    Path(off).write_text(Path(off).read_text().replace("[memory]\nenabled = true", "[memory]\nenabled = false"))
    rc, _, err = run(capsys, off, "list")
    assert rc == 2 and "disabled" in err

    down = config(tmp_path / "down", extra='server = "http://127.0.0.1:9"')
    rc, _, err = run(capsys, down, "search", "dog")
    assert rc == 2 and "unreachable" in err and "hint:" in err


def test_reindex_after_changing_the_embedder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    store = tmp_path / "vs"
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old = str(write_config(tmp_path / "old", memory=f'enabled = true\npath = "{store}"\nembedder = "{EMBEDDER}"'))
    new_embedder = MODELS / "use-multilingual-v3"
    new = str(write_config(tmp_path / "new", memory=f'enabled = true\npath = "{store}"\nembedder = "{new_embedder}"'))
    run(capsys, old, "add", "My brother Tom lives in Toronto")
    run(capsys, old, "add", "Mi gato se llama Bigotes")
    before = json.loads(run(capsys, old, "list", "--json")[1])

    rc, out, err = run(capsys, new, "search", "¿Dónde vive mi hermano?")
    assert rc == 2 and out == "" and "Traceback" not in err
    assert "error: memory in" in err and "was built with embedder all-MiniLM-L6-v2 (384-d)" in err
    assert "hint: run `jarvis memory reindex`" in err

    rc, out, _ = run(capsys, new, "reindex", "--json")
    assert rc == 0
    assert {k: v for k, v in json.loads(out).items() if k != "seconds"} == {
        "reindexed": 2, "embedder": "use-multilingual-v3", "was": "all-MiniLM-L6-v2"
    }
    assert json.loads(run(capsys, new, "list", "--json")[1]) == before  # same ids, texts, metadata
    rc, out, _ = run(capsys, new, "search", "--json", "-k", "1", "¿Dónde vive mi hermano?")
    assert rc == 0 and json.loads(out)[0]["text"] == "My brother Tom lives in Toronto"
    rc, out, _ = run(capsys, new, "reindex")  # again: same embedder, still works
    assert rc == 0 and out.startswith("re-embedded 2 memories with use-multilingual-v3 in ")
    rc, _, err = run(capsys, old, "list")  # the old embedder is the stranger now
    assert rc == 2 and "was built with embedder use-multilingual-v3" in err
