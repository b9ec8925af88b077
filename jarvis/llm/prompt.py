"""Prompt building: the system prompt, the memories a turn may use, and the history that fits.

By default the memories go just before the newest question, not into the system prompt: the system
prompt and the history then stay the same from one turn to the next, a prefix llama.cpp keeps in
its cache, so only the new part is read again (``llm.memory_in``).

The newest question is always sent. One too long for the budget keeps its beginning and its end
around a marker saying how much was left out, and the user gets a notice; the conversation file
keeps the whole text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from jarvis.history import Turn
from jarvis.llm.base import ChatMessage
from jarvis.messages import MemoryHits
from jarvis.notices import notice

MESSAGE_OVERHEAD_TOKENS = 4  # role markers per message, roughly
MIN_QUESTION_TOKENS = 16  # a question is never cut shorter than this, whatever the budget
CUT_MARK = "\n\n[... {n} characters left out to fit the model's context ...]\n\n"
HEAD_SHARE = 2 / 3  # of what is kept of a long question, the beginning gets this share


def _head_tail(text: str, keep: int) -> str:
    """The first and last characters of ``text`` (``keep`` in all) around a cut marker."""
    head = int(keep * HEAD_SHARE)
    tail = keep - head
    return text[:head] + CUT_MARK.format(n=len(text) - keep) + (text[-tail:] if tail else "")


def fit_text(text: str, max_tokens: int, count_tokens: Callable[[str], int]) -> tuple[str, int]:
    """``text`` within ``max_tokens``: whole, or its head and tail around a marker.

    Returns:
        The text to send and how many characters were left out (0: sent whole).
    """
    if count_tokens(text) <= max_tokens:
        return text, 0
    lo, hi = 0, min(len(text) - 1, max_tokens * 32)  # characters kept; a token is rarely over 32 characters
    while lo < hi:  # the longest head + tail that fits
        mid = (lo + hi + 1) // 2
        if count_tokens(_head_tail(text, mid)) <= max_tokens:
            lo = mid
        else:
            hi = mid - 1
    return _head_tail(text, lo), len(text) - lo


#: How recalled memories open the newest question: in the user's own voice (they are what the user
#: said), marked as background, so a small model answers the question rather than repeating them.
MEMORY_HEAD = "(Facts I told you before; ignore them unless my question is about them:"
MEMORY_TAIL = ")"


def memory_block(hits: MemoryHits) -> str:
    """The memory section for a turn (empty when nothing may be used)."""
    if not hits.hits or hits.withheld:
        return ""
    lines = "\n".join(f"- {h.text}" for h in hits.hits)
    return f"{MEMORY_HEAD}\n{lines}{MEMORY_TAIL}"


def without_asked_again(turns: Sequence[Turn]) -> list[Turn]:
    """``turns`` less each exchange Jarvis answered with "didn't catch that" (``meta["asked_again"]``).

    The words were misheard: a model that reads them answers the next question about them ("y el de
    la placa" after "¿Cuáles el símbolo chímito de lo?" -> "El símbolo chimerito de la placa es...").
    The saved conversation keeps them; only the prompt leaves them out.
    """
    kept: list[Turn] = []
    for turn in turns:
        if turn.role == "assistant" and turn.meta.get("asked_again"):
            if kept and kept[-1].role == "user" and kept[-1].turn_id == turn.turn_id:
                kept.pop()
            continue
        kept.append(turn)
    return kept


def prompt_messages(
    turns: Sequence[Turn],
    system_prompt: str,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
    new_user_text: str | None = None,
    memory: str = "",
    memory_in: Literal["question", "system_prompt"] = "question",
    question_budget_tokens: int | None = None,
    note: str = "",
) -> list[ChatMessage]:
    """System prompt + as many recent turns as fit in ``budget_tokens`` + the newest question.

    The newest question is ``new_user_text``, else the last turn when it is the user's. It always
    stays: when it does not fit in ``question_budget_tokens`` (default ``budget_tokens``; the
    model's context less the reply is the most it can be) the memories make room first, then its
    middle is cut (:func:`fit_text`) and a notice says so. The oldest turns are dropped first, and
    the prompt never starts with an assistant message. ``memory`` (a :func:`memory_block`) goes
    before the newest user message (``memory_in="question"``) or at the end of the system prompt.
    ``note`` (a per-turn instruction, e.g. the reply language) goes after the newest question.
    """
    if memory and memory_in == "system_prompt":
        system_prompt, memory = f"{system_prompt}\n\n{memory}", ""
    turns = without_asked_again(turns)
    if new_user_text is None and turns and turns[-1].role == "user":
        new_user_text = turns.pop().content
    used = count_tokens(system_prompt) + MESSAGE_OVERHEAD_TOKENS
    if new_user_text is not None:
        room = (question_budget_tokens or budget_tokens) - used - MESSAGE_OVERHEAD_TOKENS
        memory_cost = count_tokens(memory) if memory else 0
        if memory and count_tokens(new_user_text) > room - memory_cost:
            memory, memory_cost = "", 0  # the question comes before the memories
        new_user_text, cut = fit_text(new_user_text, max(room, MIN_QUESTION_TOKENS), count_tokens)
        if cut:
            notice(
                f"your message is too long for the model's context: {cut} characters from its middle "
                "were left out of the prompt (the whole message is saved in the conversation)"
            )
        used += count_tokens(new_user_text) + MESSAGE_OVERHEAD_TOKENS + memory_cost
    elif memory:
        used += count_tokens(memory)
    tail: list[ChatMessage] = []
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
        msgs.append(ChatMessage("user", f"{new_user_text}\n\n{note}" if note else new_user_text))
    if memory:
        last = max((i for i, m in enumerate(msgs) if m.role == "user"), default=None)
        if last is None:  # no question fits: the memories stay with the system prompt
            msgs[0] = ChatMessage("system", f"{system_prompt}\n\n{memory}")
        else:
            msgs[last] = ChatMessage("user", f"{memory}\n\n{msgs[last].content}")
    return msgs
