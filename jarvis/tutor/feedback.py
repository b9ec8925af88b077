"""What the tutor says about one learner turn: corrections and whether it was on topic."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Correction:
    """One mistake: ``kind`` ("grammar" or "vocabulary"), what was said, what to say, and why."""

    kind: str
    wrong: str
    right: str
    why: str = ""

    def line(self) -> str:
        """``✗ wrong → right (why)``."""
        why = f" ({self.why})" if self.why else ""
        return f"{self.wrong} → {self.right}{why}"


@dataclass(frozen=True)
class TutorFeedback:
    """Published on the bus after each learner turn in tutor mode."""

    turn_id: int
    corrections: tuple[Correction, ...] = ()
    off_topic: bool = False
    similarity: float | None = None  # the learner turn vs the scenario (None: no embedder)
    notes: tuple[str, ...] = field(default=())

    def text(self) -> str:
        """The feedback as a short note for the chat ("" when there is nothing to say)."""
        lines = [f"{c.kind}: {c.line()}" for c in self.corrections]
        if self.off_topic:
            lines.append("off topic: back to the scenario")
        return "\n".join(lines)

    def spoken(self) -> str:
        """The corrections as one short phrase to say (only the right forms)."""
        return " ".join(f"{c.right}." for c in self.corrections)
