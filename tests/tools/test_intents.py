"""The instant path's matcher: everyday commands in English and Spanish, and what it leaves to the model."""

import pytest

from jarvis.tools.intents import match


@pytest.mark.parametrize(
    ("text", "kind", "language", "tool", "args"),
    [
        ("What time is it?", "time", "en", "clock", {}),
        ("Hey Jarvis, what's the time?", "time", "en", "clock", {}),
        ("¿Qué hora es?", "time", "es", "clock", {}),
        ("que ahora es en Madrid.", "time", "es", "clock", {"timezone": "madrid"}),  # as whisper hears it
        ("What time is it in Tokyo right now?", "time", "en", "clock", {"timezone": "tokyo"}),
        ("¿Qué día es hoy?", "date", "es", "clock", {}),
        ("What's the date today?", "date", "en", "clock", {}),
        ("What day is next Friday?", "date", "en", "clock", {"day": "next friday"}),
        ("Set a timer for ten minutes.", "timer", "en", "set_timer", {"seconds": 600.0}),
        ("Could you set a timer for 5 minutes please?", "timer", "en", "set_timer", {"seconds": 300.0}),
        ("Pon un temporizador de diez minutos", "timer", "es", "set_timer", {"seconds": 600.0}),
        ("Ponme un temporizador de media hora", "timer", "es", "set_timer", {"seconds": 1800.0}),
        ("10 minute timer", "timer", "en", "set_timer", {"seconds": 600.0}),
        ("Set a timer for 2 minutes and 30 seconds", "timer", "en", "set_timer", {"seconds": 150.0}),
        ("Set an alarm for 7:30", "alarm", "en", "set_alarm", {"time": "7:30"}),
        ("Wake me up at 7 am", "alarm", "en", "set_alarm", {"time": "7 am"}),
        ("Pon una alarma a las siete", "alarm", "es", "set_alarm", {"time": "7"}),
        ("Remind me to call mom in 10 minutes", "reminder", "en", "set_reminder",
         {"text": "call mom", "seconds": 600.0}),
        ("Recuérdame llamar a mamá en cinco minutos", "reminder", "es", "set_reminder",
         {"text": "llamar a mama", "seconds": 300.0}),
        ("What timers are set?", "list_timers", "en", "list_timers", {}),
        ("¿Qué temporizadores hay?", "list_timers", "es", "list_timers", {}),
        ("Cancel the timer", "cancel_timer", "en", "cancel_timer", {"which": "timer"}),
        ("Cancel timer 2", "cancel_timer", "en", "cancel_timer", {"which": "2"}),
        ("Cancela la alarma", "cancel_timer", "es", "cancel_timer", {"which": "alarm"}),
        ("What is 17% of 240?", "math", "en", "calculator", {"expression": "17% of 240"}),
        ("¿Cuánto es 3 por 4?", "math", "es", "calculator", {"expression": "3 por 4"}),
        ("Remember that my sister lives in Valencia", "remember", "en", "remember",
         {"fact": "my sister lives in Valencia"}),
    ],
)
def test_everyday_commands(text, kind, language, tool, args):
    intent = match(text)
    assert intent is not None, text
    assert (intent.kind, intent.language) == (kind, language)
    assert intent.call is not None and (intent.call.name, intent.call.arguments) == (tool, args)


@pytest.mark.parametrize(("text", "kind"), [("Stop", "stop"), ("Cállate", "stop"), ("What can you do?", "help"),
                                            ("¿Qué puedes hacer?", "help")])
def test_commands_without_a_tool(text, kind):
    intent = match(text)
    assert intent is not None and intent.kind == kind and intent.call is None


@pytest.mark.parametrize(
    "text",
    [
        "What is the capital of France?",
        "Tell me about time travel",
        "What is a timer?",
        "Set a timer for pasta",
        "Is it time to go?",
        "What year did the Second World War end?",
        "Write a haiku about the time I lost my keys",
        "¿Cuál es la capital de España?",
        "Stop the war in my head, tell me a story",
        "What is 5G?",
        "",
    ],
)
def test_anything_unsure_goes_to_the_model(text):
    assert match(text) is None


def test_the_whisper_language_wins_over_the_words():
    assert match("¿Qué hora es?", "en").language == "en"


def test_math_with_no_answer_is_still_the_instant_paths() -> None:
    """0^-1 or a result too big to compute are math: said at once, not guessed by a model."""
    for text in ("what is 0^-1", "what is (1e9999)^9999", "what is 10 divided by 0"):
        intent = match(text)
        assert intent is not None and intent.kind == "math", text
    assert match("what is the meaning of life") is None
