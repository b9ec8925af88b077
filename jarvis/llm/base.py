"""The contract every chat backend implements: stream text deltas, report tokens and timings."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from jarvis.messages import GenerationStats, ToolCall

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ChatMessage:
    """One message of a conversation as sent to a model.

    An assistant message may carry the ``tool_calls`` it made; a ``tool`` message carries one
    call's result (``tool_call_id`` and ``name`` say which call).
    """

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str = ""
    name: str = ""


@dataclass
class GenerationRequest:
    """What to generate: the messages and sampling settings, plus a stop switch."""

    messages: list[ChatMessage]
    max_tokens: int = 512
    temperature: float = 0.7
    top_p: float = 0.95
    seed: int = -1
    stop_event: threading.Event = field(default_factory=threading.Event)
    tools: list[dict[str, Any]] | None = None  # function schemas the model may call
    tool_calls: list[ToolCall] = field(default_factory=list)  # filled by the backend: calls it asked for
    bad_tool_calls: list[str] = field(default_factory=list)  # calls it wrote that could not be read
    language: str | None = None  # the turn's language (what the reply guard says when it drops all)
    question: str | None = None  # the user's words this turn (the reply guard drops a reply that only repeats them)

    def stop(self) -> None:
        """Ask the backend to stop generating as soon as it can."""
        self.stop_event.set()


class ChatModel(ABC):
    """A chat model that streams its reply.

    Capabilities: ``streams`` (deltas arrive as they are generated), ``supports_tools`` (it reads
    ``request.tools`` and fills ``request.tool_calls``), ``needs_key`` and
    ``key_env_var`` (cloud backends), ``is_local`` (runs in this process, uses local memory).
    """

    streams: bool = True
    supports_tools: bool = False
    needs_key: bool = False
    key_env_var: str | None = None
    is_local: bool = True

    def __init__(self, name: str) -> None:
        self.name = name
        self.last_stats: GenerationStats | None = None

    @abstractmethod
    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """Yield text deltas of the reply.

        Args:
            request: messages, sampling settings and a ``stop_event``; when the event is set the
                backend stops within one token and returns normally.
        Returns:
            An iterator of text pieces. After it is exhausted ``self.last_stats`` holds the
            :class:`GenerationStats` (``finish_reason`` "interrupted" when stopped).
        Raises:
            ModelLoadError, BackendUnavailable, NeedsKey: the model cannot answer.
        """

    def count_tokens(self, text: str) -> int:
        """Tokens in ``text`` for this model (an estimate unless the backend overrides it)."""
        return max(1, len(text) // 4) if text else 0

    def prefill(self, messages: list[ChatMessage], tools: list[dict[str, Any]] | None = None) -> None:  # noqa: B027
        """Read ``messages`` into the model's cache so a prompt that starts with them answers sooner.

        Local backends override it; for a remote API it does nothing.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the model's memory. Safe to call twice."""

    def complete(self, request: GenerationRequest) -> str:
        """Run :meth:`stream` to the end and return the whole reply."""
        return "".join(self.stream(request))
