"""Prompt building: the system prompt, the memories a turn may use, and the history that fits."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from jarvis.history import Turn
from jarvis.llm.base import ChatMessage
from jarvis.messages import MemoryHits

MESSAGE_OVERHEAD_TOKENS = 4  # role markers per message, roughly


def memory_block(hits: MemoryHits) -> str:
    """The delimited memory section appended to the system prompt (empty when nothing is used)."""
    if not hits.hits or hits.withheld:
        return ""
    lines = "\n".join(f"- {h.text}" for h in hits.hits)
    return (
        "\n\n<memories>\nThings you remember about the user from earlier conversations "
        f"(use them only when they help):\n{lines}\n</memories>"
    )


def prompt_messages(
    turns: Sequence[Turn],
    system_prompt: str,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
    new_user_text: str | None = None,
) -> list[ChatMessage]:
    """System prompt + as many recent turns as fit in ``budget_tokens`` (+ the new question).

    The oldest turns are dropped first; the system prompt and the new question always stay, and
    the prompt never starts with an assistant message.
    """
    used = count_tokens(system_prompt) + MESSAGE_OVERHEAD_TOKENS
    tail: list[ChatMessage] = []
    if new_user_text is not None:
        used += count_tokens(new_user_text) + MESSAGE_OVERHEAD_TOKENS
    for turn in reversed(turns):
        cost = count_tokens(turn.content) + MESSAGE_OVERHEAD_TOKENS
        if used + cost > budget_tokens:
            break
        used += cost
        tail.append(ChatMessage(turn.role, turn.content))  # type: ignore[arg-type]
    tail.reverse()
    while tail and tail[0].role == "assistant":
        tail.pop(0)
    msgs = [ChatMessage("system", system_prompt), *tail]
    if new_user_text is not None:
        msgs.append(ChatMessage("user", new_user_text))
    return msgs
