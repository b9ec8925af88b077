"""What the assistant answers with, besides its models: one value, built by :mod:`jarvis.assembly`
at start-up and again at each profile switch (:func:`jarvis.assembly.assistant_parts`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from jarvis.llm.answer_cache import AnswerCache
    from jarvis.llm.router import Router
    from jarvis.messages import MemoryHits, ReplyDone, Transcript, TurnRecord
    from jarvis.tools.toolbox import Toolbox


class TurnMemory(Protocol):
    """What a turn needs of long-term memory (:class:`jarvis.memory.MemoryService` is one)."""

    def recall_for_turn(self, text: str, turn_id: int = 0) -> MemoryHits:
        """The memories for one turn (``error`` set when memory is off)."""
        ...

    def remember_turn(
        self, user_text: str, reply: str, source: str = "keyboard", language: str | None = None,
        model: str | None = None,
    ) -> str | None:
        """Store a completed turn."""
        ...


class TurnCoach(Protocol):
    """Something that shapes each turn around a practice scenario (:class:`jarvis.tutor.coach.Tutor`)."""

    language: str

    def before_reply(self, item: Transcript) -> str:
        """An extra instruction for this turn's prompt (e.g. steer back to the scenario), or ""."""
        ...

    def after_reply(self, item: Transcript, done: ReplyDone) -> None:
        """Feedback on the learner's turn (corrections), published on the bus; the session saved."""
        ...


@dataclass
class AssistantParts:
    """The assistant's parts; each is optional (None: that feature is off).

    Attributes:
        router: picks a model per turn (None: the default model answers everything).
        answers: the response cache.
        memory: long-term memory for recall and storing turns.
        store_turns: store each finished chat turn in ``memory`` (``memory.store_turns``).
        tools: the toolbox (built-ins, memory tools, MCP).
        coach: the tutor of a tutor profile (no tools, no instant answers while it coaches).
        observers: called with each closed turn's record (metrics).
    """

    router: Router | None = None
    answers: AnswerCache | None = None
    memory: TurnMemory | None = None
    store_turns: bool = False
    tools: Toolbox | None = None
    coach: TurnCoach | None = None
    observers: list[Callable[[TurnRecord], None]] = field(default_factory=list)
