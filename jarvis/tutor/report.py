"""``jarvis stats --profile NAME``: a tutor profile's sessions over time."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from jarvis.tutor.sessions import read_sessions


def profile_report(data_dir: Path, profile: str) -> dict[str, Any]:
    """Totals and one row per session (turns, words, corrections by kind, off-topic turns)."""
    sessions = read_sessions(data_dir, profile)
    kinds: Counter[str] = Counter()
    for s in sessions:
        kinds.update(s.get("corrections", {}))
    return {
        "profile": profile,
        "sessions": len(sessions),
        "turns": sum(s.get("turns", 0) for s in sessions),
        "words": sum(s.get("words", 0) for s in sessions),
        "corrections": dict(kinds),
        "scenario": sessions[-1].get("scenario", "") if sessions else "",
        "history": [
            {k: s.get(k) for k in ("started", "turns", "words", "corrections", "off_topic", "level")} for s in sessions
        ],
    }


def report_lines(report: dict[str, Any]) -> list[str]:
    """The report as lines for the terminal."""
    import time

    if not report["sessions"]:
        return [f"no tutor sessions saved for profile '{report['profile']}'"]
    lines = [
        f"profile {report['profile']}: {report['sessions']} session(s), {report['turns']} turns, "
        f"{report['words']} words spoken",
        f"scenario: {report['scenario']}",
        "corrections: " + (", ".join(f"{k} {n}" for k, n in sorted(report["corrections"].items())) or "none"),
    ]
    for row in report["history"]:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(row["started"] or 0))
        fixes = ", ".join(f"{k} {n}" for k, n in sorted((row["corrections"] or {}).items())) or "none"
        lines.append(
            f"  {when}  {row['turns']} turns  {row['words']} words  corrections: {fixes}  off topic: {row['off_topic']}"
        )
    return lines
