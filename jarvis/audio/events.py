"""Audio events published on ``assistant.bus`` for the TUI (and tests). Stdlib only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ListenMode = Literal["off", "ptt", "hands_free", "wake_word"]


@dataclass(frozen=True)
class MicLevel:
    """Microphone level of the latest block (high rate: the UI keeps only the newest)."""

    rms_db: float
    peak: float
    vad_state: str  # quiet | starting | speaking | stopping
    clipping: bool = False


@dataclass(frozen=True)
class ListeningChanged:
    """Listening mode changed: push-to-talk open/closed, hands-free or wake word on, or off (no microphone)."""

    mode: ListenMode
    active: bool


@dataclass(frozen=True)
class AudioDrops:
    """Total audio blocks dropped so far because a queue was full (callbacks never block)."""

    count: int


@dataclass(frozen=True)
class SpeakingChanged:
    """Jarvis started or stopped playing speech."""

    speaking: bool


@dataclass(frozen=True)
class HeardText:
    """What the user actually heard of a reply (all of it, or the part before a barge-in)."""

    turn_id: int
    text: str
    interrupted: bool


@dataclass(frozen=True)
class VoiceReady:
    """Speech recognition, the end-of-turn model and the voices are loaded and warm (or failed: ``ok`` False)."""

    seconds: float  # from the voice pipeline's start
    ok: bool = True


@dataclass(frozen=True)
class WakeScore:
    """The wake-word model's newest score, one per 80 ms heard (high rate: the UI keeps only the newest)."""

    score: float
    threshold: float
    awake: bool  # speech now is a turn without the wake word (just woken, or the follow-up window)


@dataclass(frozen=True)
class WakeDetected:
    """The wake word was heard ("hey jarvis"): Jarvis listens for the question."""

    score: float
    time_s: float  # where in the input it fired, in seconds from the start of listening


@dataclass(frozen=True)
class MicLost:
    """The microphone stopped delivering audio (unplugged, or the sound server went away).

    Listening pauses (what was being said is finished as an utterance) and the device is opened
    again with back-off until it delivers audio; then :class:`MicBack` follows.
    """

    device: str
    reason: str


@dataclass(frozen=True)
class MicBack:
    """The lost microphone delivers audio again; listening goes on in the mode it was in."""

    device: str
    seconds: float  # how long it was gone
    attempts: int  # how many times it was opened again before it answered


@dataclass(frozen=True)
class SpeakerLost:
    """The speaker stopped playing (unplugged, or the sound server went away).

    What was queued is dropped (the replies stay in the chat), new speech is not queued, and the
    device is opened again with back-off; then :class:`SpeakerBack` follows.
    """

    device: str
    reason: str


@dataclass(frozen=True)
class SpeakerBack:
    """The lost speaker opened again; the next replies are spoken."""

    device: str
    seconds: float  # how long it was gone
    attempts: int  # how many times it was opened again


@dataclass(frozen=True)
class BargeInPause:
    """A provisional barge-in (:mod:`jarvis.audio.barge_in`): Jarvis paused its voice at the first
    sign of the user talking over it (``"paused"``), and how that ended: ``"confirmed"`` (the VAD
    heard speech start: the reply was cut off) or ``"resumed"`` (a false alarm: the voice played on
    from where it paused, nothing lost)."""

    state: Literal["paused", "confirmed", "resumed"]
    held_ms: int = 0  # how long the voice was held, in microphone time (0 when it just paused)
    said: str = ""  # resumed: what was heard over the voice (a backchannel such as "Mm-hmm."), if anything


@dataclass(frozen=True)
class OtherVoice:
    """Speech that was not the enrolled owner's voice (``audio.only_my_voice``): no turn, no barge-in."""

    score: float  # cosine to the owner's voiceprint (under ``audio.speaker.threshold``)
    seconds: float  # how long the utterance was
