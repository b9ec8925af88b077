"""The voice eval's questions and grader (bench/voice_eval.py): keys that compile and mean what they
say, a balanced set, and replies graded as a person would. No model is loaded."""

from collections import Counter

import pytest

from bench.voice_eval import (
    FAMILIES,
    choose,
    compile_key,
    fold,
    grade,
    in_language,
    load_items,
    markdown,
    said_dont_know,
    sessions,
    summarise,
    syntax_leaks,
)

ITEMS = load_items()
BY_ID = {it["id"]: it for it in ITEMS}
ANSWERABLE = [it for it in ITEMS if not it.get("unanswerable") and not it.get("setup")]
GENERIC_WRONG = ("I don't know.", "No lo sé.", "I'm not sure, sorry.", "Lo siento, no estoy seguro.", "")


def test_enough_items_half_english_half_spanish():
    assert len(ITEMS) >= 120
    langs = Counter(it["lang"] for it in ITEMS)
    assert set(langs) == {"en", "es"}
    assert langs["en"] == langs["es"]
    assert len({it["id"] for it in ITEMS}) == len(ITEMS), "ids are unique"


def test_every_family_in_both_languages():
    for lang in ("en", "es"):
        families = {it["family"] for it in ITEMS if it["lang"] == lang}
        assert families == set(FAMILIES), lang
    unanswerable = [it for it in ITEMS if it.get("unanswerable")]
    assert len(unanswerable) >= 8
    assert all(it["family"] == "unanswerable" and "right" not in it for it in unanswerable)


def test_items_are_well_formed():
    for it in ITEMS:
        assert it["text"].strip() and it["lang"] in ("en", "es"), it["id"]
        assert it["family"] in FAMILIES, it["id"]
        if not it.get("unanswerable") and not it.get("setup"):
            assert it.get("right"), f"{it['id']} has no answer key"
        if it["lang"] == "es" and "?" in it["text"]:
            assert "¿" in it["text"], f"{it['id']}: Spanish questions open with ¿"


def test_every_regex_compiles():
    for it in ITEMS:
        for pattern in [*it.get("right", ()), *it.get("wrong", ())]:
            compile_key(pattern)  # raises re.error on a bad key


def test_sessions_run_their_steps_in_order():
    for session in sessions(ITEMS):
        if len(session) == 1:
            continue
        assert [it["step"] for it in session] == list(range(1, len(session) + 1)), session[0]["session"]
        assert len({it["lang"] for it in session}) == 1
        assert not session[-1].get("setup"), "a session ends with a scored question"
    memory = [s for s in sessions(ITEMS) if s[0]["family"] == "memory"]
    assert memory and all(s[0].get("setup") for s in memory)
    follow_ups = [s for s in sessions(ITEMS) if s[0]["family"] == "follow_up"]
    assert len(follow_ups) >= 4 and all(len(s) >= 2 for s in follow_ups)


@pytest.mark.parametrize("reply", GENERIC_WRONG)
def test_right_keys_do_not_match_a_generic_non_answer(reply):
    for it in ANSWERABLE:
        assert grade(it, reply) != "right", (it["id"], reply)


def test_right_keys_do_not_match_the_question_itself():
    # a reply that only repeats the question must not count as right
    for it in ANSWERABLE:
        text = fold(it["text"])
        assert not any(compile_key(p).search(text) for p in it["right"]), it["id"]


@pytest.mark.parametrize(
    ("item", "reply", "expected"),
    [
        ("en-facts-capital-france", "The capital of France is Paris.", "right"),
        ("en-facts-capital-france", "It's Lyon.", "wrong"),
        ("en-facts-capital-australia", "The capital of Australia is Canberra.", "right"),
        ("en-facts-capital-australia", "The capital of Australia is Sydney.", "wrong"),
        ("en-facts-formula-water", "Water is H₂O.", "right"),
        ("en-units-g-kilo", "There are 1,000 grams in a kilogram.", "right"),
        ("en-units-g-kilo", "A kilogram has one thousand grams.", "right"),
        ("en-units-g-kilo", "There are 100 grams in a kilogram.", "wrong"),
        ("en-arith-pct-words", "Fifteen percent of two hundred is 30.", "right"),
        ("en-arith-pct-words", "It is 3.", "wrong"),
        ("en-dates-leap-year", "A leap year has 366 days.", "right"),
        ("en-dates-leap-year", "A leap year has 365 days.", "wrong"),
        ("en-mem-sister-2", "Your sister is called Ana.", "right"),
        ("en-mem-sister-2", "I'm not sure what your sister is called.", "dont_know"),
        ("en-follow-paris-2", "About 2.1 million people live in Paris.", "right"),
        ("en-follow-paris-2", "Roughly 2,100,000 people.", "right"),
        ("en-follow-paris-2", "About 500,000 people.", "wrong"),
        ("en-follow-legs-2", "A spider has eight legs.", "right"),
        ("en-follow-legs-2", "Spiders have 6 legs.", "wrong"),
        ("es-facts-capital-italia", "La capital de Italia es Roma.", "right"),
        ("es-units-min-hora-media", "Una hora y media tiene noventa minutos.", "right"),
        ("es-units-min-hora-media", "Tiene 60 minutos.", "wrong"),
        ("es-units-s-hora", "Una hora tiene 3.600 segundos.", "right"),
        ("es-arith-por-palabras", "Siete por ocho son 56.", "right"),
        ("es-arith-por-palabras", "Siete por ocho son 54.", "wrong"),
        ("es-dates-despues-martes", "Después del martes va el miércoles.", "right"),
        ("es-dates-despues-martes", "Despues del martes viene el miercoles", "right"),
        ("es-follow-italia-1", "La capital de Francia es París.", "right"),
        ("es-follow-italia-1", "No lo sé.", "dont_know"),
        ("es-facts-continente-chile", "Chile está en América del Sur.", "right"),
        ("es-facts-continente-chile", "Chile está en América del Norte.", "wrong"),
        ("es-mem-hermana-2", "Tu hermana se llama Lucía.", "right"),
        ("en-unknown-breakfast", "I don't know what you had for breakfast.", "right"),
        ("en-unknown-breakfast", "You had eggs and toast.", "wrong"),
        ("en-unknown-lottery", "I can't predict the lottery.", "right"),
        ("es-unknown-vecino", "No me has dicho cómo se llama tu vecino.", "right"),
        ("es-unknown-vecino", "Tu vecino se llama Juan.", "wrong"),
        ("es-unknown-numero", "No puedo saber en qué número estás pensando.", "right"),
        ("en-mem-sister-1", "Got it, I'll remember that.", "setup"),
    ],
)
def test_grader(item, reply, expected):
    assert grade(BY_ID[item], reply) == expected


@pytest.mark.parametrize(
    "reply",
    ["I don't know.", "I'm not sure.", "I can't know that.", "Sorry, I didn't catch that.",
     "I do not have that information.", "You haven't told me.", "No lo sé.", "No estoy segura.",
     "No te he entendido.", "No tengo esa información.", "No puedo saber eso.", "No tengo información sobre eso."],
)
def test_dont_know_phrases(reply):
    assert said_dont_know(reply)


@pytest.mark.parametrize("reply", ["Paris.", "The answer is 56.", "Se llama Ana.", "Sé que es Roma."])
def test_answers_are_not_dont_know(reply):
    assert not said_dont_know(reply)


def test_in_language():
    assert in_language("The capital of France is Paris.", "en")
    assert in_language("La capital de Francia es París.", "es")
    assert not in_language("The capital of Italy is Rome.", "es")
    assert not in_language("La capital de Italia es Roma.", "en")
    assert in_language("56.", "es") and in_language("56.", "en")  # a number-only reply


def test_syntax_leaks():
    assert syntax_leaks("The capital of France is Paris.") == []
    assert syntax_leaks("¿Qué tal? {¡Hola!}") == []
    assert "memories tag" in syntax_leaks("<memories>\n- sister Ana\n</memories> Ana")
    assert "tool call JSON" in syntax_leaks('{"name": "clock", "arguments": {}}')
    assert "tool_call tag" in syntax_leaks("<tool_call>clock</tool_call>")
    assert "code fence" in syntax_leaks("```json\n{}\n```")
    assert "double braces" in syntax_leaks("{{clock}}")
    assert "memory preamble" in syntax_leaks("Things you remember about the user: sister Ana")
    assert "XML tag talk" in syntax_leaks("I used the function in the tools XML tag.")
    assert "system prompt talk" in syntax_leaks("My system prompt says to be brief.")


def test_choose_limits_sessions_per_language():
    chosen = choose(ITEMS, "all", 3)
    assert Counter(s[0]["lang"] for s in chosen) == {"en": 3, "es": 3}
    assert all(s[0]["lang"] == "es" for s in choose(ITEMS, "es", None))


def test_summary_and_table():
    rows = [
        {"id": "a", "mode": "typed", "lang": "en", "family": "facts", "grade": "right", "in_language": True,
         "syntax_leak": [], "timings": {"first_token": 0.5, "reply_done": 1.0}},
        {"id": "b", "mode": "typed", "lang": "es", "family": "facts", "grade": "wrong", "in_language": False,
         "syntax_leak": ["code fence"], "timings": {"first_token": 0.7, "reply_done": 2.0}},
        {"id": "c", "mode": "typed", "lang": "es", "family": "memory", "grade": "setup", "setup": True,
         "in_language": True, "syntax_leak": [], "timings": {}},
    ]
    summary = summarise(rows)
    assert summary["typed"]["all"]["n"] == 2 and summary["typed"]["all"]["right_pct"] == 50.0
    assert summary["typed"]["es"]["syntax_leaks"] == 1 and summary["typed"]["es"]["wrong_pct"] == 100.0
    assert summary["typed"]["en"]["stages"]["first_token"]["p50"] == 0.5
    meta = {"variant": "shipped", "set": [], "sessions": 1, "limit": 1, "seed": -1, "temperature": 0.7,
            "fresh_memory_per_session": False}
    table = markdown(summary, meta)
    assert "| typed | es | 1 | 0 | 0 | 100 |" in table
