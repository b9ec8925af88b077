"""Questions about the user's own life: what they ask about, and which memories talk about it."""

from __future__ import annotations

import pytest

from jarvis.llm.personal import NOT_TOLD, mentions, not_told, personal_subject

ABOUT = [
    ("What is my sister called?", "sister"), ("What's my dog's name?", "dog"),
    ("What's my neighbour's name?", "neighbour"), ("What did I have for breakfast today?", "breakfast"),
    ("Where was I born?", "born"), ("What's my favorite color?", "color"), ("How old am I?", "old"),
    ("What is my name?", "name"), ("¿Cómo se llama mi hermana?", "hermana"), ("¿Qué desayuné hoy?", "desayune"),
    ("¿Dónde trabajo?", "trabajo"), ("¿Cuál es mi comida favorita?", "comida"), ("¿Cómo me llamo?", "name"),
    ("¿Cuántos años tengo?", "old"), ("¿Cómo se llama mi vecino?", "vecino"),
    ("¿Cuántos hermanos tengo?", "hermanos"), ("How many children do I have?", "children"),
    ("¿cómo se llama migato?", "gato"),  # "mi gato" heard as one word (the voice eval)
]
NOT_ABOUT = ["What is the capital of France?", "What should I eat today?", "Who will win the lottery next week?",
             "Set a timer for my pasta", "Can you help me with my homework?", "Who wrote Romeo and Juliet?",
             "¿Cuál es la capital de Italia?", "Tell me a joke about my job", "How many legs do I have?",
             "¿Qué es la mitología?", "¿Cómo se llama la mimosa?"]


@pytest.mark.parametrize(("question", "word"), ABOUT)
def test_questions_about_the_user_name_what_they_ask(question: str, word: str) -> None:
    subject = personal_subject(question)
    assert subject is not None and word in subject


@pytest.mark.parametrize("text", NOT_ABOUT)
def test_other_text_is_not_about_the_user(text: str) -> None:
    assert personal_subject(text) is None


def test_memories_about_it_in_either_language() -> None:
    sister = "Remember that my sister is called Ana."
    assert mentions(sister, personal_subject("What is my sister called?"))
    assert mentions(sister, personal_subject("¿Cómo se llama mi hermana?"))
    assert not mentions(sister, personal_subject("What's my neighbour's name?"))
    assert not mentions(sister, personal_subject("What's my dog's name?"))
    assert mentions("Trabajo en un hospital.", personal_subject("¿Dónde trabajo?"))
    assert mentions("I am 42 years old.", personal_subject("How old am I?"))
    assert not_told("es") == NOT_TOLD["es"] and not_told(None) == NOT_TOLD["en"]
