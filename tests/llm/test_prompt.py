"""Prompt building: where the memories go, and a stable prefix from one turn to the next."""

from __future__ import annotations

from jarvis.history import Turn
from jarvis.llm.prompt import MEMORY_HEAD, fit_text, memory_block, prompt_messages
from jarvis.messages import MemoryHit, MemoryHits


def words(text: str) -> int:
    return len(text.split())


def hits(*texts: str) -> MemoryHits:
    return MemoryHits(tuple(MemoryHit(f"m{i}", t, 0.9) for i, t in enumerate(texts)))


HISTORY = [
    Turn("user", "What is the capital of France?"),
    Turn("assistant", "Paris."),
    Turn("user", "And of Spain?"),
]


def test_memories_go_just_before_the_newest_question():
    block = memory_block(hits("My dog is called Biscuit."))
    msgs = prompt_messages(HISTORY, "Be brief.", 500, words, memory=block)
    assert [m.role for m in msgs] == ["system", "user", "assistant", "user"]
    assert msgs[0].content == "Be brief."
    assert msgs[1].content == "What is the capital of France?"  # older questions stay as they were
    assert msgs[-1].content.startswith(MEMORY_HEAD) and msgs[-1].content.endswith("\n\nAnd of Spain?")
    assert "Biscuit" in msgs[-1].content


def test_the_prefix_stays_the_same_when_the_memories_change():
    """What llama.cpp can reuse from its cache: everything before the newest question."""
    one = prompt_messages(HISTORY, "Be brief.", 500, words, memory=memory_block(hits("Fact one.")))
    two = prompt_messages(HISTORY, "Be brief.", 500, words, memory=memory_block(hits("Fact two.")))
    assert one[:-1] == two[:-1] and one[-1] != two[-1]
    old = prompt_messages(HISTORY, "Be brief.", 500, words, memory=memory_block(hits("Fact one.")),
                          memory_in="system_prompt")
    assert "Fact one." in old[0].content and old[-1].content == "And of Spain?"


def test_memory_tokens_count_toward_the_budget():
    block = memory_block(hits("word " * 30))
    plain = prompt_messages(HISTORY, "sys", 70, words)
    squeezed = prompt_messages(HISTORY, "sys", 70, words, memory=block)
    assert len(squeezed) < len(plain)  # older turns made room for the memories
    assert squeezed[-1].content.endswith("And of Spain?")


def test_withheld_or_no_memories_add_nothing():
    assert memory_block(MemoryHits()) == ""
    assert memory_block(MemoryHits(hits("secret").hits, withheld=True)) == ""
    msgs = prompt_messages(HISTORY, "sys", 500, words, memory="")
    assert msgs[-1].content == "And of Spain?"


def test_memories_stay_with_the_system_prompt_when_there_is_no_question():
    msgs = prompt_messages([], "sys", 20, words, memory=memory_block(hits("F.")))
    assert [m.role for m in msgs] == ["system"] and "F." in msgs[0].content


def test_a_question_longer_than_the_budget_is_cut_not_dropped(caplog):
    """It used to vanish: the model got the system prompt alone and answered nothing asked."""
    question = "START " + " ".join(f"w{i}" for i in range(500)) + " END?"
    turns = [*HISTORY, Turn("assistant", "Madrid."), Turn("user", question)]
    with caplog.at_level("WARNING", logger="jarvis.notice"):
        msgs = prompt_messages(turns, "sys", 60, words, memory=memory_block(hits("My dog is Biscuit.")))
    assert [m.role for m in msgs] == ["system", "user"]  # no room for history, nor for the memories
    sent = msgs[-1].content
    assert sent.startswith("START w0 w1") and sent.endswith("w499 END?")  # its beginning and its end
    assert "characters left out to fit the model's context" in sent
    assert words(sent) <= 60 - words("sys") - 8
    assert "Biscuit" not in sent
    assert any("too long for the model's context" in r.getMessage() for r in caplog.records)


def test_a_question_may_use_the_whole_context_when_allowed():
    question = " ".join(["word"] * 300)
    msgs = prompt_messages([Turn("user", question)], "sys", 100, words, question_budget_tokens=1000)
    assert msgs[-1].content == question  # longer than the history budget, within the context: whole
    cut = prompt_messages([Turn("user", question)], "sys", 100, words)
    assert words(cut[-1].content) < 100


def test_fit_text_keeps_short_text_whole_and_cuts_long_text_to_the_limit():
    assert fit_text("a b c", 5, words) == ("a b c", 0)
    text = " ".join(str(i) for i in range(1000))
    fitted, cut = fit_text(text, 50, words)
    assert words(fitted) <= 50 and cut > 0 and len(fitted) < len(text)
    assert fitted.startswith("0 1 2") and fitted.endswith("998 999")


def test_an_exchange_asked_again_is_left_out_of_the_prompt():
    """A misheard question and its "didn't catch that" never reach a model; the one before stays."""
    turns = [
        Turn("user", "What is the capital of France?", turn_id=1),
        Turn("assistant", "The capital of France is Paris.", turn_id=1),
        Turn("user", "¿Cuáles el símbolo chímito de lo?", turn_id=2),
        Turn("assistant", "Perdona, no te he entendido. ¿Puedes repetirlo?", turn_id=2, meta={"asked_again": True}),
        Turn("user", "y el de la plata", turn_id=3),
    ]
    msgs = prompt_messages(turns, "Be brief.", 500, words)
    assert [m.content for m in msgs[1:]] == [
        "What is the capital of France?", "The capital of France is Paris.", "y el de la plata"]
    # a reply asked again whose question is not just before it (another session's turn 2) drops alone
    other = [Turn("user", "Hello.", turn_id=5), turns[3], Turn("user", "Hi again.", turn_id=6)]
    assert [m.content for m in prompt_messages(other, "Be brief.", 500, words)[1:]] == ["Hello.", "Hi again."]
