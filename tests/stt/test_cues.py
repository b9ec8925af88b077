"""The decoder's cue never becomes the transcript: a decode that repeats it is thrown away."""

from __future__ import annotations

from jarvis.stt.faster_whisper_backend import CUES, echoes_cue


def test_a_decode_that_repeats_the_cue_is_caught() -> None:
    assert echoes_cue("I have a question for you. I have a question for you. I have a", CUES)
    assert echoes_cue("Tengo una pregunta para ti.", CUES)


def test_real_questions_are_not() -> None:
    for text in ("¿Cuál es la capital de Italia?", "Hola Jarvis, ¿qué hora es?", "I have a dog called Max.",
                 "Do you have a question for me?", "What is my question?"):
        assert not echoes_cue(text, CUES), text
