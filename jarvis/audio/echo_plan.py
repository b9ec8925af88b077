"""How Jarvis keeps from hearing itself: the echo guard chosen from ``audio.speakers`` and ``audio.echo_cancel``.

Three guards:

* ``none`` -- a headset (``speakers = "headset"``): the microphone does not hear the speaker, so it
  stays open while Jarvis speaks and the user's speech interrupts it (barge-in by voice);
* ``aec`` -- open speakers with echo cancellation (WebRTC AEC3, :mod:`jarvis.audio.echo_input`):
  the microphone stays open, Jarvis's own voice is taken out of it, and speech interrupts Jarvis;
* ``mute`` -- open speakers without it: the microphone is ignored while Jarvis speaks (no barge-in
  by voice; the talk key still interrupts).

``echo_cancel = "auto"`` (the default) uses it when it works here, ``"on"`` also reports in the
chat when it cannot, ``"off"`` never uses it. "Works here" is checked once per process: the
library imports, and the canceller takes a few frames at the capture rate. The voice pipeline and
``jarvis doctor`` both ask :func:`plan_echo`, so what the doctor says is what the loop does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from jarvis.config import AudioSettings

Guard = Literal["none", "aec", "mute"]
AEC_NAME = "WebRTC AEC3 (livekit)"
HEADSET_DEPRECATED = 'audio.headset is deprecated: use audio.speakers = "headset" or "open"'


@dataclass(frozen=True)
class EchoPlan:
    """The echo guard the voice pipeline will use, and why (one line each)."""

    speakers: str
    echo_cancel: str
    guard: Guard
    reason: str
    aec_problem: str | None = None  # why echo cancellation cannot run here (None: it can)
    notes: tuple[str, ...] = field(default_factory=tuple)  # deprecations

    @property
    def barge_in_by_voice(self) -> bool:
        """True when speech (or the wake word) may interrupt Jarvis while it speaks."""
        return self.guard != "mute"

    def as_dict(self) -> dict:
        """Plain data for ``jarvis doctor --json``."""
        return {
            "speakers": self.speakers,
            "echo_cancel": self.echo_cancel,
            "guard": self.guard,
            "barge_in_by_voice": self.barge_in_by_voice,
            "reason": self.reason,
            "aec_available": self.aec_problem is None,
            "aec_problem": self.aec_problem,
            "notes": list(self.notes),
        }


@lru_cache(maxsize=8)
def aec_problem(sample_rate: int = 16000) -> str | None:
    """None when echo cancellation works in this process at ``sample_rate``, else why not (one line)."""
    from jarvis.audio.echo_cancel import RATES, EchoCanceller, available

    if sample_rate not in RATES:
        return f"it needs audio.sample_rate 8000, 16000, 32000 or 48000 (not {sample_rate})"
    if not available():
        return "the livekit package (WebRTC audio processing) is not installed: pip install livekit"
    try:
        import numpy as np

        canceller = EchoCanceller(sample_rate)
        frame = np.zeros(sample_rate // 100 * 3, np.float32)
        canceller.far(frame)
        out = canceller.near(frame)
        canceller.close()
        if len(out) != len(frame):
            return "the canceller returned audio of the wrong length"
    except Exception as exc:  # a broken native library: any error means "not here"
        return f"the canceller does not run here: {getattr(exc, 'message', exc)}"
    return None


def plan_echo(audio: AudioSettings, check: bool = True) -> EchoPlan:
    """The echo guard for these settings (``check``: test that the canceller runs here, ~0.2 s once)."""
    notes = (HEADSET_DEPRECATED,) if audio.headset is not None else ()
    base = {"speakers": audio.speakers, "echo_cancel": audio.echo_cancel, "notes": notes}
    if audio.speakers == "headset":
        return EchoPlan(
            **base, guard="none", reason="headset: the microphone stays open and speech interrupts Jarvis"
        )
    problem = aec_problem(audio.sample_rate) if check else None
    if audio.echo_cancel == "off":
        return EchoPlan(
            **base, guard="mute", aec_problem=problem,
            reason='open speakers, audio.echo_cancel = "off": the microphone is muted while Jarvis speaks',
        )
    if problem is not None:
        return EchoPlan(
            **base, guard="mute", aec_problem=problem,
            reason=f"open speakers without echo cancellation ({problem}): the microphone is muted while Jarvis speaks",
        )
    return EchoPlan(
        **base, guard="aec",
        reason=f"open speakers with echo cancellation ({AEC_NAME}): speech interrupts Jarvis",
    )


def fallback_line(problem: str) -> tuple[str, str]:
    """(message, hint) for the one line said when echo cancellation cannot be used."""
    return (
        f"echo cancellation is off ({problem}); the microphone is muted while Jarvis speaks",
        'use a headset and set audio.speakers = "headset" to interrupt by voice, or see jarvis doctor',
    )


def doctor_section(audio: AudioSettings) -> dict:
    """What ``jarvis doctor`` says about listening: the mode, the speakers and the echo guard."""
    return {"mode": audio.mode} | plan_echo(audio).as_dict()


def doctor_lines(section: dict) -> list[str]:
    """The doctor's text for :func:`doctor_section` (one line each, a note per deprecation)."""
    lines = [
        f"  mode       {section['mode']}",
        f"  speakers   {section['speakers']} (echo_cancel = \"{section['echo_cancel']}\")",
        f"  echo       {section['guard']}: {section['reason']}",
    ]
    problem = section["aec_problem"]
    if problem and problem not in section["reason"]:
        lines.append(f"  aec        could not run here: {problem}")
    lines += [f"  note       {note}" for note in section["notes"]]
    return lines
