"""Difficulty bands: a turn's difficulty (1-100) named easy, medium or hard.

The router estimates the difficulty (:mod:`jarvis.llm.difficulty`); the metrics count turns per
band and ``jarvis route`` shows it. Stdlib only.
"""

from __future__ import annotations

BANDS = (("easy", 1, 30), ("medium", 31, 60), ("hard", 61, 100))


def band(difficulty: int) -> str:
    """The band (easy, medium, hard) a difficulty falls in."""
    for name, lo, hi in BANDS:
        if lo <= difficulty <= hi:
            return name
    return "hard"
