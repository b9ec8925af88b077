"""The reply guard: prompt sections, memory blocks and tool-call syntax never reach the user.

The leaking replies are ones Jarvis's local models wrote (issue 21); each is fed in pieces of
several sizes, as a stream arrives, and what would be shown and spoken is checked.
"""

from __future__ import annotations

import pytest

from jarvis.llm.reply_guard import NOT_SURE, ReplyGuard, is_leak
from jarvis.messages import ToolCall


def shown(text: str, step: int, language: str = "en") -> tuple[str, list[ToolCall]]:
    guard = ReplyGuard(language)
    out = [guard.feed(text[i:i + step]) for i in range(0, len(text), step)]
    out.append(guard.finish())
    return "".join(out), guard.calls


STEPS = (1, 3, 7, 1000)

CLEAN = [
    "The capital of France is Paris. It is also the largest city.",
    "Fifteen percent of 200 is 30.",
    "Pi is about 3.14159. Right?",
    "La capital de Portugal es Lisboa.",
    "You told me your sister is called Ana.",
    "¿Cuántos días tiene una semana? Siete.",
    "Here is the code:\n```python\ndef f():\n    return {1: 2}\n```\nDone.",
    "I can set a timer for you if you like.",
]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("text", CLEAN)
def test_clean_replies_pass_whole(text: str, step: int) -> None:
    out, calls = shown(text, step)
    assert out == text and calls == []


LEAKS = [
    ("<memories>\nThings you remember about the user from earlier conversations (use them only when they "
     "help):\n- My dog is called Rex.\n</memories>\nParis is the capital of France.",
     "Paris is the capital of France."),
    ("The function `clock` in the `tools` XML tag gives the time. It is five o'clock.", "It is five o'clock."),
    ("Based on the information provided in the user's conversation, an insect has 2 legs.", NOT_SURE["en"]),
    ("Things you remember about the user: the dog is Rex.", NOT_SURE["en"]),
    ("<tools>\n[{\"type\": \"function\", \"function\": {\"name\": \"clock\"}}]\n</tools>\nIt is late.",
     "It is late."),
]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize(("text", "expected"), LEAKS)
def test_leaking_sentences_are_dropped(text: str, expected: str, step: int) -> None:
    out, _ = shown(text, step)
    assert out == expected
    assert not is_leak(out)


CALLS = [
    '{{"name": "calculator", "arguments": {"expression": "15% of 200"}}}',
    'Sure! ```json\n{\n  "name": "calculator",\n  "arguments": {"expression": "15% of 200"}\n}\n```',
    'Let me work that out. {"name": "calculator", "arguments": {"expression": "15% of 200"}}',
    '<tool_call>\n{"name": "calculator", "arguments": {"expression": "15% of 200"}}',
]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("text", CALLS)
def test_tool_calls_in_any_shape_are_run_not_said(text: str, step: int) -> None:
    out, calls = shown(text, step)
    assert calls == [ToolCall("calculator", {"expression": "15% of 200"})]
    assert "{" not in out and "name" not in out and "```" not in out and "<" not in out


def test_a_reply_that_was_all_leak_says_not_sure_in_the_turns_language() -> None:
    out, _ = shown("<memories>\n- Mi perro se llama Rex.\n</memories>", 4, language="es")
    assert out == NOT_SURE["es"]


def test_clean_text_is_released_before_the_sentence_ends() -> None:
    guard = ReplyGuard("en")
    released = guard.feed("The capital of France is Paris and")
    assert released.startswith("The capital of France")  # the voice can start early


def test_no_reply_the_models_wrote_leaks_through_the_guard() -> None:
    """Every model reply of the voice eval before the guard (and the leaks quoted in issue 21), streamed
    through it: the eval's own leak detector finds nothing in what would be shown and spoken."""
    import json
    from pathlib import Path

    from bench.voice_eval import syntax_leaks

    data = Path(__file__).resolve().parents[1] / "data" / "model_replies_before_guard.json"
    replies = json.loads(data.read_text(encoding="utf-8"))["replies"]
    leaking_before = [r for r in replies if syntax_leaks(r)]
    assert len(leaking_before) >= 5  # the fixture holds real leaks
    for reply in replies:
        for step in (2, 5):
            out, _ = shown(reply, step)
            assert syntax_leaks(out) == [], (reply, out)
            assert not is_leak(out), (reply, out)


def test_the_tool_instructions_echoed_are_dropped() -> None:
    """qwen-1.5b once answered a misheard question with the first line of the tool instructions."""
    from jarvis.llm.llama_cpp_backend import TOOLS_NOTE

    for text in ("You may call one or more functions to assist with the user query.",
                 TOOLS_NOTE.format(tools='{"name": "clock"}')):
        out, calls = shown(text, 4)
        assert out == NOT_SURE["en"] and calls == []


@pytest.mark.parametrize("step", STEPS)
def test_a_call_wrapped_in_the_tools_tag_is_run(step: int) -> None:
    """qwen-1.5b wrote its call inside <tools> instead of <tool_call> (a misheard 'capital on Germany')."""
    text = '<tools>\n{"name": "country_facts", "arguments": {"country": "Germany", "fact": "capital"}}\n</tools>'
    out, calls = shown(text, step)
    assert calls == [ToolCall("country_facts", {"country": "Germany", "fact": "capital"})] and out == ""


def _streamed(guard: ReplyGuard, text: str, step: int) -> tuple[str, list[str]]:
    """Everything ``guard`` lets out of ``text`` fed in pieces of ``step``, and each non-empty release."""
    out = [guard.feed(text[i:i + step]) for i in range(0, len(text), step)]
    out.append(guard.finish())
    return "".join(out), [o for o in out if o]


# (question as heard, reply a model wrote): qwen-1.5b in the voice eval (bench/voice_eval.py)
ECHOES = [("En qué número estoy pensando ahora mismo?", "En qué número estoy pensando ahora mismo?", "es"),
          ("¿En qué no me estoy pensando a lo mismo?", "En qué no me estoy pensando a lo mismo.", "es"),
          ("What number am I thinking of right now?", "What number am I thinking of right now?", "en")]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize(("question", "reply", "language"), ECHOES)
def test_a_reply_that_only_repeats_the_question_is_not_said(question: str, reply: str, language: str,
                                                            step: int) -> None:
    guard = ReplyGuard(language, question)
    out, _ = _streamed(guard, reply, step)
    assert out == NOT_SURE[language] and guard.dropped


@pytest.mark.parametrize("step", STEPS)
def test_an_answer_after_the_repeated_question_is_said_and_an_answer_that_starts_alike_is_not_held(
    step: int,
) -> None:
    guard = ReplyGuard("es", "¿Cuánto es siete por ocho?")
    out, _ = _streamed(guard, "¿Cuánto es siete por ocho? Son 56.", step)
    assert out == "Son 56."
    # the question's words, then an answer in the same sentence: said whole, not "not sure"
    question = "What is the capital of France"
    reply = "What is the capital of France is a common question: it is Paris. It is also the largest city."
    guard = ReplyGuard("en", question)
    out, pieces = _streamed(guard, reply, step)
    assert out == reply
    if step == 1:  # released while it streams, from the first word that leaves the question
        assert len(pieces) > 2


def test_without_the_question_nothing_is_held_for_it() -> None:
    out, _ = _streamed(ReplyGuard("es"), "En qué número estoy pensando ahora mismo?", 3)
    assert out == "En qué número estoy pensando ahora mismo?"
