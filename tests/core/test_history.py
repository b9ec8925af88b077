"""Conversation history: saved as it happens, resumable, trimmed to a token budget."""

from __future__ import annotations

from pathlib import Path

from jarvis.history import Conversation, Turn
from jarvis.llm.prompt import prompt_messages


def count(text: str) -> int:
    return len(text.split())


def test_every_turn_is_on_disk_immediately(tmp_path: Path):
    conv = Conversation.new(tmp_path)
    conv.add(Turn("user", "first question"))
    # A second reader sees it at once: nothing waits for the reply or for shutdown.
    assert [t.content for t in Conversation.load(conv.path).turns] == ["first question"]


def test_resume_last_and_torn_line(tmp_path: Path):
    old = Conversation.new(tmp_path)
    old.add(Turn("user", "old"))
    newer = Conversation(tmp_path / "99999999-999999-1.jsonl")
    newer.add(Turn("user", "hello"))
    newer.add(Turn("assistant", "hi there", model="m"))
    with newer.path.open("a") as f:
        f.write('{"type": "turn", "role": "user", "cont')  # crash mid-write
    resumed = Conversation.resume_last(tmp_path)
    assert resumed.path == newer.path
    assert [(t.role, t.content) for t in resumed.turns] == [("user", "hello"), ("assistant", "hi there")]


def test_clear_is_remembered_across_restart(tmp_path: Path):
    conv = Conversation.new(tmp_path)
    conv.add(Turn("user", "a"))
    conv.clear()
    conv.add(Turn("user", "b"))
    assert [t.content for t in Conversation.load(conv.path).turns] == ["b"]


def test_budget_drops_oldest_keeps_system_and_question(tmp_path: Path):
    conv = Conversation.new(tmp_path)
    for i in range(10):
        conv.add(Turn("user", f"question {i} " + "word " * 10))
        conv.add(Turn("assistant", f"answer {i} " + "word " * 10))
    msgs = prompt_messages(conv.turns, "system prompt here", 80, count, "new question")
    assert msgs[0].role == "system" and msgs[0].content == "system prompt here"
    assert msgs[-1].content == "new question"
    kept = [m.content.split()[1] for m in msgs[1:-1]]
    assert kept and kept[-1] == "9"  # the newest turns survive
    assert "0" not in kept  # the oldest went first
    assert msgs[1].role == "user"  # never starts with an orphan assistant reply
    total = sum(count(m.content) + 4 for m in msgs)
    assert total <= 80


def test_tiny_budget_still_has_system_and_question(tmp_path: Path):
    conv = Conversation.new(tmp_path)
    conv.add(Turn("user", "long " * 100))
    msgs = prompt_messages(conv.turns, "sys", 5, count, "q")
    assert [m.role for m in msgs] == ["system", "user"] and msgs[-1].content == "q"


def test_a_secret_is_redacted_on_disk_as_memory_redacts_it(tmp_path: Path):
    from jarvis.redact import redact

    said = "my password is hunter2-Blue and my key is sk-proj-abcdefghijklmnop0123456789"
    conv = Conversation.new(tmp_path)
    conv.add(Turn("user", said))
    conv.add(Turn("assistant", "Noted, the password is hunter2-Blue.", turn_id=1))
    conv.amend_assistant(1, "Noted: sk-proj-abcdefghijklmnop0123456789", interrupted=True)
    on_disk = conv.path.read_text()
    assert "hunter2-Blue" not in on_disk and "sk-proj-abcdefghijklmnop" not in on_disk
    assert Conversation.load(conv.path).turns[0].content == redact(said)[0]  # what `memory add` keeps
    assert conv.turns[0].content == said  # this session still answers about what was typed


def test_files_are_private_and_old_ones_are_tightened(tmp_path: Path):
    folder = tmp_path / "data" / "conversations"
    conv = Conversation.new(folder)
    assert not folder.exists()  # nothing on disk before the first message
    conv.add(Turn("user", "hello"))
    assert conv.path.stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700 and folder.parent.stat().st_mode & 0o777 == 0o700
    old = folder / "00000000-000000-1.jsonl"
    old.write_text('{"type": "turn", "role": "user", "content": "old"}\n')
    old.chmod(0o644)
    folder.chmod(0o755)
    Conversation.load(old).add(Turn("user", "again"))
    assert old.stat().st_mode & 0o777 == 0o600 and folder.stat().st_mode & 0o777 == 0o700


def test_undecodable_text_is_saved_and_a_failed_write_leaves_no_empty_file(tmp_path: Path):
    """`head -c 2000 /dev/urandom | jarvis ask` once crashed mid-write and left an empty file."""
    conv = Conversation.new(tmp_path)
    conv.add(Turn("user", "caf\udce9 ok"))  # how Python carries a byte that is not UTF-8
    assert Conversation.load(conv.path).turns[0].content == "caf\ufffd ok"
    other = Conversation(tmp_path / "99999999-999999-2.jsonl")
    try:
        other.add(Turn("user", "x", meta={"bad": object()}))
    except TypeError:
        pass
    assert not other.path.exists()


def test_resume_skips_empty_and_corrupt_files_with_a_notice(tmp_path: Path, caplog):
    import os

    good = Conversation(tmp_path / "20240101-000000-1.jsonl")
    good.add(Turn("user", "the real one"))
    empty = tmp_path / "20240101-000001-2.jsonl"
    empty.touch()
    junk = tmp_path / "20240101-000002-3.jsonl"
    junk.write_bytes(os.urandom(3000).replace(b"\n", b" ") + b'\n[1, 2]\n"text"\n{"role": "user"}\n')
    for age, path in enumerate((junk, empty, good.path)):
        os.utime(path, (1_000_000 - age, 1_000_000 - age))  # junk newest, then empty, then good
    with caplog.at_level("WARNING", logger="jarvis.notice"):
        resumed = Conversation.resume_last(tmp_path)
    assert resumed.path == good.path and [t.content for t in resumed.turns] == ["the real one"]
    notes = [r.getMessage() for r in caplog.records]
    assert any(junk.name in n and "no readable conversation" in n for n in notes)
    assert any(empty.name in n and "empty" in n for n in notes)
    assert junk.exists() and empty.exists()  # skipped, never deleted
