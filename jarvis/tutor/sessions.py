"""Tutor sessions on disk: one JSON file per session under ``<data_dir>/tutor/<profile>/``.

Each file holds the scenario and a summary (turns, words spoken by the learner, corrections by
kind, off-topic turns); it is rewritten after every learner turn, so a session cut short is kept.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from jarvis.errors import StorageError


@dataclass
class TutorSession:
    """The running summary of one tutor session."""

    profile: str
    scenario: str
    language: str
    level: str
    started: float = field(default_factory=time.time)
    turns: int = 0
    words: int = 0
    corrections: dict[str, int] = field(default_factory=dict)
    off_topic: int = 0
    examples: list[dict[str, str]] = field(default_factory=list)  # the last few corrections

    def add_turn(self, text: str, corrections: list[Any], off_topic: bool) -> None:
        """Count one learner turn."""
        self.turns += 1
        self.words += len(text.split())
        counts = Counter(self.corrections)
        counts.update(c.kind for c in corrections)
        self.corrections = dict(counts)
        self.off_topic += int(off_topic)
        new = [{"kind": c.kind, "wrong": c.wrong, "right": c.right} for c in corrections]
        self.examples = (self.examples + new)[-10:]


def session_folder(data_dir: Path, profile: str) -> Path:
    """Where ``profile``'s sessions are saved."""
    return data_dir / "tutor" / profile


def save_session(data_dir: Path, session: TutorSession) -> Path:
    """Write ``session`` (named by its start time); raises StorageError when the disk refuses."""
    folder = session_folder(data_dir, session.profile)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(session.started))
    path = folder / f"{stamp}-{int(session.started * 1000) % 1000:03d}.json"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(session) | {"ended": time.time()}, ensure_ascii=False, indent=1), "utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise StorageError(
            f"cannot save the tutor session: {exc}", f"check free space and permissions of {folder}"
        ) from None
    return path


def read_sessions(data_dir: Path, profile: str) -> list[dict[str, Any]]:
    """``profile``'s saved sessions, oldest first (unreadable files are skipped)."""
    out = []
    for path in sorted(session_folder(data_dir, profile).glob("*.json")):
        try:
            out.append(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError):
            continue
    return out
