"""The conversation: turns kept on disk as they happen (prompts are built in :mod:`jarvis.llm.prompt`).

Each conversation is a JSON-lines file in ``<data_dir>/conversations/``; every message is appended
and flushed the moment it exists (the user's text before the model even starts), so a crash loses
nothing typed. The file is created with the first message (never empty), readable only by its
owner (0600 in a 0700 folder), and secrets are redacted on disk as long-term memory redacts them
(:func:`jarvis.redact.redact`); the live conversation keeps the text as typed, so the
current session can still answer about it. ``Conversation.resume_last`` reopens the newest file
that holds a conversation, skipping empty or unreadable ones with a notice.

A reply that is being spoken is held back (``add(..., save=False)``) and written once by
:meth:`Conversation.save` when the speaker is done with it: all of it, or only the heard part after
a barge-in. It is in the live conversation at once (the next prompt has it), and the file is read
back in the order the turns happened, so a question typed while the reply still played stays after it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from jarvis.errors import StorageError
from jarvis.notices import notice
from jarvis.private import open_private, private_dir
from jarvis.redact import redact
from jarvis.text import clean_text

ROLES = ("user", "assistant")


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
        self._unsaved: dict[int, Turn] = {}  # replies held back while they are spoken, by turn id

    @classmethod
    def new(cls, folder: Path) -> Conversation:
        """A fresh conversation named by the current time (the file appears with the first message)."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = folder / f"{stamp}-{os.getpid()}.jsonl"
        return cls(path)

    @classmethod
    def load(cls, path: Path) -> Conversation:
        """Read a saved conversation; torn (crash mid-write) or foreign lines are skipped.

        Raises:
            OSError: the file cannot be read.
        """
        return cls(path, _read(path)[0])

    @classmethod
    def resume_last(cls, folder: Path) -> Conversation:
        """The newest saved conversation, or a new one when there is none.

        Empty or unreadable files are skipped with a notice (they are left on disk, untouched).
        """
        files = sorted(folder.glob("*.jsonl"), key=_mtime, reverse=True) if folder.is_dir() else []
        for path in files:
            try:
                turns, records = _read(path)
            except OSError as exc:
                notice(f"skipped conversation {path.name}: cannot read it ({exc.strerror or exc})")
                continue
            if records:
                return cls(path, turns)
            what = "it is empty" if _size(path) == 0 else "it holds no readable conversation"
            notice(f"skipped conversation {path.name}: {what}")
        return cls.new(folder)

    def _append_line(self, record: dict[str, Any]) -> None:
        """Write one record; the line is built before the file is touched, so a bad record creates nothing.

        Raises:
            StorageError: the folder or the file cannot be written (disk full, no permission).
        """
        line = json.dumps(record, ensure_ascii=False) + "\n"
        try:
            private_dir(self.path.parent)
            with open_private(self.path, "a") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise StorageError(
                f"cannot save the conversation to {self.path}: {exc.strerror or exc}",
                "free some disk space, or set general.data_dir to a folder you can write",
            ) from None

    def add(self, turn: Turn, save: bool = True) -> Turn:
        """Append a turn and save it at once (secrets redacted on disk only).

        ``save`` False (a reply the speaker is still saying): it is in :attr:`turns` now and written
        by :meth:`save` (or :meth:`save_all`) later.
        """
        turn.content = clean_text(turn.content)
        with self._lock:
            self.turns.append(turn)
            if save:
                self._append_line(_record(turn))
            else:
                self._unsaved[turn.turn_id] = turn
        return turn

    def save(self, turn_id: int) -> bool:
        """Write the reply of ``turn_id`` held back by ``add(..., save=False)``, as it stands now.

        Returns False when no reply of that turn waits (already written, or never held back).

        Raises:
            StorageError: the file cannot be written (the reply stays held back).
        """
        with self._lock:
            turn = self._unsaved.get(turn_id)
            if turn is None:
                return False
            self._append_line(_record(turn))
            del self._unsaved[turn_id]
            return True

    def save_all(self) -> None:
        """Write every reply still held back (at shutdown). Raises StorageError like :meth:`save`."""
        with self._lock:
            self._save_held()

    def _save_held(self) -> None:
        """Write the held-back replies in the order they happened (the lock is held)."""
        for turn_id, turn in sorted(self._unsaved.items(), key=lambda kv: kv[1].time):
            self._append_line(_record(turn))
            del self._unsaved[turn_id]

    def amend_assistant(self, turn_id: int, content: str, interrupted: bool = True) -> Turn | None:
        """Replace the text of turn ``turn_id``'s reply (barge-in keeps only what was heard).

        Returns the amended turn, or None when that reply is not in the conversation (yet).
        """
        with self._lock:
            turn = _reply_of(self.turns, turn_id)
            if turn is None:
                return None
            content = clean_text(content)
            if (turn.content, turn.interrupted) == (content, interrupted):
                return turn  # nothing changed: nothing to write
            turn.content, turn.interrupted = content, interrupted
            if self._unsaved.get(turn_id) is turn:
                return turn  # not written yet: it is written once, as amended
            self._append_line(
                {"type": "amend", "turn_id": turn_id, "content": _redacted(turn.content),
                 "interrupted": interrupted, "time": time.time()}
            )
            return turn

    def clear(self) -> None:
        """Start over (the file keeps a marker; earlier lines stay on disk)."""
        with self._lock:
            self._save_held()  # replies still being spoken belong before the marker
            self.turns = []
            self._append_line({"type": "clear", "time": time.time()})


def _record(turn: Turn) -> dict[str, Any]:
    """The line that stores ``turn`` (secrets redacted)."""
    return {"type": "turn", **asdict(turn), "content": _redacted(turn.content)}


def _redacted(text: str) -> str:
    """What the file keeps of ``text``: secrets replaced by ``[redacted]``."""
    return redact(text)[0]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _turn(raw: dict[str, Any]) -> Turn | None:
    """A Turn from one stored record, or None when the record is not a usable turn."""
    if raw.get("role") not in ROLES or not isinstance(raw.get("content"), str):
        return None
    try:
        return Turn(**{k: v for k, v in raw.items() if k in Turn.__dataclass_fields__ and k != "type"})
    except TypeError:
        return None


def _in_order(turns: list[Turn]) -> list[Turn]:
    """``turns`` in the order they happened: a reply written when the speaker finished it comes back
    before a question typed while it played (stable: turns of the same moment keep the file's order)."""
    if not all(isinstance(t.time, (int, float)) for t in turns):
        return turns  # a foreign file: as it stands
    return sorted(turns, key=lambda t: t.time)


def _read(path: Path) -> tuple[list[Turn], int]:
    """The turns in a conversation file and how many records were recognised (0: not a conversation).

    Raises:
        OSError: the file cannot be read.
    """
    turns: list[Turn] = []
    records = 0
    for line in path.read_bytes().decode("utf-8", errors="replace").splitlines():
        try:
            raw = json.loads(line)
        except ValueError:
            continue
        if not isinstance(raw, dict):
            continue
        kind = raw.get("type")
        if kind == "clear":
            turns, records = [], records + 1
        elif kind == "amend":
            old = _reply_of(turns, raw.get("turn_id"))
            if old is not None and isinstance(raw.get("content"), str):
                old.content, old.interrupted = raw["content"], bool(raw.get("interrupted", True))
                records += 1
        elif (turn := _turn(raw)) is not None:
            turns.append(turn)
            records += 1
    return _in_order(turns), records
