"""Typed messages that flow between pipeline stages and out to observers (the TUI, the CLI).

Every message that belongs to a turn carries ``turn_id`` and the cancel ``generation`` it was made
in, so stages can drop stale items after a barge-in. A turn's facts ride on its messages: the
:class:`Transcript` carries the language, the recogniser's details and the turn's one
:class:`TurnTimings` record (which every stage marks); :class:`ReplyDone` carries the route, the
memories used and the same timings; :class:`TurnRecord` is the finished turn for observers
(metrics). Stdlib only.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Source = Literal["keyboard", "voice", "explicit", "cli"]


@dataclass(frozen=True)
class Utterance:
    """A stretch of speech cut by the VAD: mono float32 samples at ``sample_rate``."""

    audio: Any  # numpy.ndarray, float32 mono
    sample_rate: int
    speech_end: float  # time.monotonic() when the speaker stopped
    generation: int = 0
    reason: str = ""  # how it ended: silence | max_length | flush | turn_model
    ended: float = 0.0  # time.monotonic() when the end of the turn was decided
    transcript: Any = field(default=None, compare=False, repr=False)  # an SttResult decoded while judging
    wake: bool = False  # it holds the wake word: "hey jarvis" is cut from the transcript, the rest is the question
    held: bool = False  # said over Jarvis's reply, which is held until these words decide (jarvis.pipeline.floor)


@dataclass(frozen=True)
class PartialTranscript:
    """What the speaker has said so far, while they still speak (shown live, never answered)."""

    text: str
    language: str | None = None
    generation: int = 0


@dataclass(frozen=True)
class Transcript:
    """Text of an utterance (or a typed line) ready to be answered: the start of a turn.

    ``timings`` is the turn's one timeline (stages mark moments on it as they happen);
    ``recognition`` is the speech recogniser's result for a voice turn (None when typed).
    """

    text: str
    language: str | None = None
    source: Source = "keyboard"
    turn_id: int = 0
    generation: int = 0
    timings: TurnTimings = field(default_factory=lambda: TurnTimings(), compare=False)
    recognition: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class MemoryHit:
    """One long-term memory found for a query."""

    id: str
    text: str
    score: float
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MemoryHits:
    """The memories recalled for a turn, and whether they were sent to the model."""

    hits: tuple[MemoryHit, ...] = ()
    withheld: bool = False
    error: str | None = None
    turn_id: int = 0


@dataclass(frozen=True)
class RouteDecision:
    """Which model answers a turn and why (one line)."""

    model: str
    difficulty: int
    specialty: str
    reason: str
    forced: bool = False


@dataclass(frozen=True)
class TokenDelta:
    """A piece of streamed assistant text."""

    text: str
    turn_id: int = 0
    generation: int = 0


@dataclass(frozen=True)
class GenerationStats:
    """Tokens and timings a backend reports for one reply."""

    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    time_to_first_token_s: float | None = None
    total_s: float = 0.0
    finish_reason: str = "stop"  # stop | length | interrupted | error

    @property
    def tokens_per_s(self) -> float:
        """Completion tokens per second after the first token."""
        gen = self.total_s - (self.time_to_first_token_s or 0.0)
        return self.completion_tokens / gen if gen > 0 and self.completion_tokens > 1 else 0.0


@dataclass
class TurnTimings:
    """Monotonic timestamps of the moments of a turn; missing ones stay ``None``.

    ``turn_end``: the end of the turn was decided (silence limit or end-of-turn model);
    ``first_sentence``: the chunker cut the first sentence to speak; ``first_speech_ready``: its
    audio was synthesised; ``first_audio_out``: it started playing.
    """

    started: float = field(default_factory=time.monotonic)
    speech_end: float | None = None
    turn_end: float | None = None
    transcript_ready: float | None = None
    memory_ready: float | None = None
    route_chosen: float | None = None
    first_token: float | None = None
    first_sentence: float | None = None
    first_speech_ready: float | None = None
    first_audio_out: float | None = None
    reply_done: float | None = None

    def mark(self, name: str, when: float | None = None) -> None:
        """Record moment ``name`` now (or at ``when``) unless it is already set."""
        if getattr(self, name) is None:
            setattr(self, name, time.monotonic() if when is None else when)

    def relative(self) -> dict[str, float | None]:
        """Seconds from the start of the turn (speech end when there is one) to each moment."""
        origin = self.speech_end if self.speech_end is not None else self.started
        out: dict[str, float | None] = {}
        for key, value in asdict(self).items():
            if key == "started":
                continue
            out[key] = None if value is None else round(value - origin, 4)
        return out


@dataclass(frozen=True)
class ReplyDone:
    """The end of an assistant reply: the full text, stats, timings, route and memories used.

    ``decision`` is the route that answered (after any fallback); ``memory`` the memories
    recalled for the turn; ``language`` the language the user spoke (None when typed); ``tools``
    the tool calls made (model "instant": answered by the intent matcher, no model).
    """

    text: str
    model: str
    stats: GenerationStats | None = None
    timings: TurnTimings | None = None
    interrupted: bool = False
    turn_id: int = 0
    generation: int = 0
    remote: bool = False
    cost: float = 0.0
    language: str | None = None
    decision: RouteDecision | None = None
    memory: MemoryHits | None = None
    tools: tuple[ToolUse, ...] = ()


@dataclass(frozen=True)
class TurnRecord:
    """A finished turn as turn observers (metrics) receive it.

    ``route`` is the router's first choice (``reply.decision`` is the one that answered);
    ``fallbacks`` one line per model given up; ``error`` a one-line error, if any.
    """

    reply: ReplyDone
    route: RouteDecision
    device: str = ""
    fallbacks: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class SpeechChunk:
    """Synthesised audio for one sentence of the reply (``timings``: the turn's, marked by the player)."""

    audio: Any  # numpy.ndarray, float32 mono
    sample_rate: int
    text: str
    turn_id: int = 0
    generation: int = 0
    timings: TurnTimings | None = field(default=None, compare=False)


@dataclass(frozen=True)
class StageError:
    """A stage failed on one item; it keeps running. ``cause`` is the JarvisError, when there was one."""

    stage: str
    message: str
    hint: str = ""
    turn_id: int = 0
    cause: Exception | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class StatusChange:
    """The assistant's state for the status bar (idle, loading, thinking, speaking, listening)."""

    state: str
    detail: str = ""


@dataclass(frozen=True)
class ModelLoadProgress:
    """A model is loading (``done`` False) or finished loading (``done`` True)."""

    model: str
    device: str
    done: bool = False
    error: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class ToolCall:
    """A model's (or the intent matcher's) request to run one tool with JSON arguments."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str = ""


@dataclass(frozen=True)
class ToolUse:
    """One tool call of a turn, as the chat log shows it and metrics record it.

    Metrics keep only ``name``, ``duration_s``, ``ok`` and ``source``: never the arguments or result.
    ``source`` is "instant" (the intent matcher) or the model that asked.
    """

    name: str
    arguments: dict[str, Any]
    result: str
    ok: bool = True
    duration_s: float = 0.0
    source: str = ""
    turn_id: int = 0
    generation: int = 0


@dataclass(frozen=True)
class Filler:
    """A short phrase spoken while a tool runs ("One moment…"); never part of the reply text."""

    text: str
    language: str | None = None
    turn_id: int = 0
    generation: int = 0


@dataclass(frozen=True)
class Announcement:
    """Something Jarvis says outside a turn (a timer that rings); shown and spoken."""

    text: str
    kind: str = "timer"
    language: str | None = None


@dataclass(frozen=True)
class ConfirmRequest:
    """A tool with side effects waits for the user's yes/no (answer with ``Assistant.confirm``)."""

    request_id: int
    question: str
    tool: str
    turn_id: int = 0


@dataclass(frozen=True)
class StopRequested:
    """The user said or typed "stop": whatever Jarvis is saying stops now (a barge-in)."""

    turn_id: int = 0


@dataclass(frozen=True)
class ConfirmAnswered:
    """A :class:`ConfirmRequest` got its answer (from anywhere: the dialog, a spoken yes, a timeout)."""

    request_id: int
    yes: bool
