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
