"""Prompt building: the system prompt, the memories a turn may use, and the history that fits.

By default the memories go just before the newest question, not into the system prompt: the system
prompt and the history then stay the same from one turn to the next, a prefix llama.cpp keeps in
its cache, so only the new part is read again (``llm.memory_in``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from jarvis.history import Turn
from jarvis.llm.base import ChatMessage
from jarvis.messages import MemoryHits

MESSAGE_OVERHEAD_TOKENS = 4  # role markers per message, roughly


def memory_block(hits: MemoryHits) -> str:
    """The delimited memory section for a turn (empty when nothing may be used)."""
    if not hits.hits or hits.withheld:
        return ""
    lines = "\n".join(f"- {h.text}" for h in hits.hits)
    return (
        "<memories>\nThings you remember about the user from earlier conversations "
        f"(use them only when they help):\n{lines}\n</memories>"
    )


def prompt_messages(
    turns: Sequence[Turn],
    system_prompt: str,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
    new_user_text: str | None = None,
    memory: str = "",
    memory_in: Literal["question", "system_prompt"] = "question",
) -> list[ChatMessage]:
    """System prompt + as many recent turns as fit in ``budget_tokens`` (+ the new question).

    The oldest turns are dropped first; the system prompt and the new question always stay, and
    the prompt never starts with an assistant message. ``memory`` (a :func:`memory_block`) goes
    before the newest user message (``memory_in="question"``) or at the end of the system prompt.
    """
    if memory and memory_in == "system_prompt":
        system_prompt, memory = f"{system_prompt}\n\n{memory}", ""
    used = count_tokens(system_prompt) + MESSAGE_OVERHEAD_TOKENS + (count_tokens(memory) if memory else 0)
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
    if memory:
        last = max((i for i, m in enumerate(msgs) if m.role == "user"), default=None)
        if last is None:  # no question fits: the memories stay with the system prompt
            msgs[0] = ChatMessage("system", f"{system_prompt}\n\n{memory}")
        else:
            msgs[last] = ChatMessage("user", f"{memory}\n\n{msgs[last].content}")
    return msgs
