"""A reply that is being spoken is held back and written once, when the speaker is done with it."""

from __future__ import annotations

import json
from pathlib import Path

from jarvis.history import Conversation, Turn


def lines(conv: Conversation) -> list[dict]:
    return [json.loads(line) for line in conv.path.read_text().splitlines()]


def test_a_held_reply_is_in_the_conversation_at_once_and_on_disk_once_saved(tmp_path: Path) -> None:
    conv = Conversation.new(tmp_path)
    conv.add(Turn("user", "hello", turn_id=1))
    conv.add(Turn("assistant", "hi there", turn_id=1), save=False)
    assert [t.content for t in conv.turns] == ["hello", "hi there"]  # the next prompt has it
    assert [t.content for t in Conversation.load(conv.path).turns] == ["hello"]
    assert conv.save(1) is True
    assert conv.save(1) is False  # never twice
    assert [(r["role"], r["content"]) for r in lines(conv)] == [("user", "hello"), ("assistant", "hi there")]


def test_a_held_reply_cut_by_the_user_is_written_once_as_heard(tmp_path: Path) -> None:
    conv = Conversation.new(tmp_path)
    conv.add(Turn("user", "tell me a story", turn_id=1))
    conv.add(Turn("assistant", "Once upon a time there was a dragon.", turn_id=1), save=False)
    conv.amend_assistant(1, "Once upon a time")
    conv.amend_assistant(1, "Once upon a time")  # the same cut told twice (player and voice loop)
    conv.save(1)
    records = lines(conv)
    assert [r["type"] for r in records] == ["turn", "turn"]  # no amend line
    assert (records[1]["content"], records[1]["interrupted"]) == ("Once upon a time", True)


def test_a_question_typed_while_the_reply_played_comes_back_after_it(tmp_path: Path) -> None:
    conv = Conversation.new(tmp_path)
    conv.add(Turn("user", "first", turn_id=1))
    conv.add(Turn("assistant", "first answer", turn_id=1), save=False)
    conv.add(Turn("user", "second", turn_id=2))  # typed while the first answer still plays
    conv.save(1)
    assert [t.content for t in Conversation.load(conv.path).turns] == ["first", "first answer", "second"]


def test_clear_and_shutdown_write_what_is_held(tmp_path: Path) -> None:
    conv = Conversation.new(tmp_path)
    conv.add(Turn("user", "a", turn_id=1))
    conv.add(Turn("assistant", "b", turn_id=1), save=False)
    conv.clear()  # the held reply belongs before the marker
    conv.add(Turn("user", "c", turn_id=2))
    conv.add(Turn("assistant", "d", turn_id=2), save=False)
    conv.save_all()
    assert [r["type"] for r in lines(conv)] == ["turn", "turn", "clear", "turn", "turn"]
    assert [t.content for t in Conversation.load(conv.path).turns] == ["c", "d"]
