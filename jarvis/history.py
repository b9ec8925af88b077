"""The conversation: turns kept on disk as they happen (prompts are built in :mod:`jarvis.llm.prompt`).

Each conversation is a JSON-lines file in ``<data_dir>/conversations/``; every message is appended
and flushed the moment it exists (the user's text before the model even starts), so a crash loses
nothing typed. ``Conversation.resume_last`` reopens the newest file.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Turn:
    """One message of the conversation as stored."""

    role: str  # user | assistant
    content: str
    time: float = field(default_factory=time.time)
    source: str = "keyboard"
    model: str | None = None
    interrupted: bool = False
    meta: dict[str, Any] = field(default_factory=dict)
    turn_id: int = 0  # the assistant's turn number in the session that wrote it (0: unknown)


def _reply_of(turns: list[Turn], turn_id: int | None) -> Turn | None:
    """The newest assistant turn with ``turn_id`` (None: the newest assistant turn, as old files say)."""
    for turn in reversed(turns):
        if turn.role == "assistant" and (turn_id is None or turn.turn_id == turn_id):
            return turn
    return None


class Conversation:
    """An append-only conversation saved to ``path``."""

    def __init__(self, path: Path, turns: list[Turn] | None = None) -> None:
        self.path = path
        self.turns: list[Turn] = turns or []
        self._lock = threading.Lock()

    @classmethod
    def new(cls, folder: Path) -> Conversation:
        """A fresh conversation file named by the current time."""
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = folder / f"{stamp}-{os.getpid()}.jsonl"
        return cls(path)

    @classmethod
    def load(cls, path: Path) -> Conversation:
        """Read a saved conversation; a torn last line (crash mid-write) is skipped."""
        turns = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                raw = json.loads(line)
            except ValueError:
                continue
            if raw.get("type") == "clear":
                turns = []
                continue
            if raw.get("type") == "amend":
                old = _reply_of(turns, raw.get("turn_id"))
                if old is not None:
                    old.content, old.interrupted = raw.get("content", ""), raw.get("interrupted", True)
                continue
            raw.pop("type", None)
            turns.append(Turn(**{k: v for k, v in raw.items() if k in Turn.__dataclass_fields__}))
        return cls(path, turns)

    @classmethod
    def resume_last(cls, folder: Path) -> Conversation:
        """The newest saved conversation, or a new one when there is none."""
        files = sorted(folder.glob("*.jsonl"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []
        return cls.load(files[-1]) if files else cls.new(folder)

    def _append_line(self, record: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def add(self, turn: Turn) -> Turn:
        """Append a turn and save it at once."""
        with self._lock:
            self.turns.append(turn)
            self._append_line({"type": "turn", **asdict(turn)})
        return turn

    def amend_assistant(self, turn_id: int, content: str, interrupted: bool = True) -> Turn | None:
        """Replace the text of turn ``turn_id``'s reply (barge-in keeps only what was heard).

        Returns the amended turn, or None when that reply is not in the conversation (yet).
        """
        with self._lock:
            turn = _reply_of(self.turns, turn_id)
            if turn is None:
                return None
            turn.content, turn.interrupted = content, interrupted
            self._append_line(
                {"type": "amend", "turn_id": turn_id, "content": content, "interrupted": interrupted,
                 "time": time.time()}
            )
            return turn

    def clear(self) -> None:
        """Start over (the file keeps a marker; earlier lines stay on disk)."""
        with self._lock:
            self.turns = []
            self._append_line({"type": "clear", "time": time.time()})
