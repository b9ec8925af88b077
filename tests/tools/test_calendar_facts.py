"""Calendar facts answered without a model: the questions the instant path answers (English and Spanish),
the ones it leaves to the clock or the model, the tool a model calls, and the instant turn that speaks it."""

import pytest

from jarvis.tools.base import ToolError
from jarvis.tools.calendar_facts import CalendarFactsTool, calendar_fact

DAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DAYS_ES = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
MONTHS_ES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
             "noviembre", "diciembre"]
LENGTHS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def _generated() -> list[tuple[str, str, str]]:
    """(question, answer language, answer) for every weekday and month in several phrasings."""
    rows = []
    after_en = ["What day comes after {}?", "hey jarvis, what's the day after {}",
                "Can you tell me what day is after {}?"]
    before_en = ["What's the day before {}?", "which day comes right before {}"]
    after_es = ["¿Qué día va después del {}?", "oye, ¿qué día viene después del {}?",
                "dime cuál es el día siguiente al {}"]
    before_es = ["¿Qué día es antes del {}?", "¿Qué día va antes del {}?"]
    for i, (en, es) in enumerate(zip(DAYS_EN, DAYS_ES, strict=True)):
        nxt_en, prev_en, nxt_es, prev_es = DAYS_EN[(i + 1) % 7], DAYS_EN[i - 1], DAYS_ES[(i + 1) % 7], DAYS_ES[i - 1]
        rows += [(t.format(en.lower() if k else en), "en", f"The day after {en} is {nxt_en}.")
                 for k, t in enumerate(after_en)]
        rows += [(t.format(en), "en", f"The day before {en} is {prev_en}.") for t in before_en]
        rows += [(t.format(es), "es", f"Después del {es} viene el {nxt_es}.") for t in after_es]
        rows += [(t.format(es), "es", f"Antes del {es} va el {prev_es}.") for t in before_es]
    for i, (en, es) in enumerate(zip(MONTHS_EN, MONTHS_ES, strict=True)):
        nxt_en, prev_en, nxt_es, prev_es = (MONTHS_EN[(i + 1) % 12], MONTHS_EN[i - 1], MONTHS_ES[(i + 1) % 12],
                                            MONTHS_ES[i - 1])
        rows += [
            (f"What month comes after {en}?", "en", f"The month after {en} is {nxt_en}."),
            (f"what is the month before {en.lower()}", "en", f"The month before {en} is {prev_en}."),
            (f"¿Qué mes va después de {es}?", "es", f"Después de {es} viene {nxt_es}."),
            (f"¿Cuál es el mes anterior a {es}?", "es", f"Antes de {es} va {prev_es}."),
        ]
        if i == 1:
            days_en = "February has 28 days, or 29 in a leap year."
            days_es = "Febrero tiene 28 días, o 29 en un año bisiesto."
        else:
            days_en, days_es = f"{en} has {LENGTHS[i]} days.", f"{es.capitalize()} tiene {LENGTHS[i]} días."
        rows += [
            (f"How many days are there in {en}?", "en", days_en),
            (f"how many days does {en.lower()} have", "en", days_en),
            (f"¿Cuántos días tiene {es}?", "es", days_es),
            (f"dime de cuántos días es {es}", "es", days_es),
        ]
    ordinals = [("first", "primer"), ("second", "segundo"), ("third", "tercer"), ("fourth", "cuarto"),
                ("fifth", "quinto"), ("sixth", "sexto"), ("seventh", "séptimo"), ("eighth", "octavo"),
                ("ninth", "noveno"), ("tenth", "décimo"), ("eleventh", "undécimo"), ("twelfth", "duodécimo")]
    for i, (en, es) in enumerate(ordinals):
        rows += [
            (f"What is the {en} month of the year?", "en", f"The {en} month of the year is {MONTHS_EN[i]}."),
            (f"¿Cuál es el {es} mes del año?", "es", f"El {es} mes del año es {MONTHS_ES[i]}."),
            (f"What number month is {MONTHS_EN[i]}?", "en",
             f"{MONTHS_EN[i]} is the {en}{' and last' if i == 11 else ''} month of the year."),
        ]
    return rows


HAND_WRITTEN = [
    # weekdays, several days on, if today is ...
    ("What day comes after Tuesday?", "en", "The day after Tuesday is Wednesday."),
    ("What they come before Friday?", "en", "The day before Friday is Thursday."),  # misheard (voice eval)
    ("The day after Sunday is?", "en", "The day after Sunday is Monday."),
    ("what day is two days after Monday", "en", "Two days after Monday is Wednesday."),
    ("What day will it be 3 days before Tuesday?", "en", "Three days before Tuesday is Saturday."),
    ("what day is seven days after friday", "en", "Seven days after Friday is Friday again."),
    ("What day follows Saturday?", "en", "The day after Saturday is Sunday."),
    ("¿Qué día sigue al martes?", "es", "Después del martes viene el miércoles."),
    ("Después del sábado, ¿qué día viene?", "es", "Después del sábado viene el domingo."),
    ("¿Qué día es tres días después del lunes?", "es", "Tres días después del lunes es jueves."),
    ("¿Qué día es antes del domingo?", "es", "Antes del domingo va el sábado."),
    ("If today is Tuesday, what day is tomorrow?", "en", "If today is Tuesday, tomorrow is Wednesday."),
    ("what day was yesterday if today is monday", "en", "If today is Monday, yesterday was Sunday."),
    ("If it's Friday, what day will it be in 10 days?", "en", "If today is Friday, in 10 days it will be Monday."),
    ("Si hoy es lunes, ¿qué día fue ayer?", "es", "Si hoy es lunes, ayer fue domingo."),
    ("si hoy es jueves qué día es pasado mañana", "es", "Si hoy es jueves, pasado mañana es sábado."),
    # months
    ("What is the last month of the year?", "en", "The last month of the year is December."),
    ("What's the third month?", "en", "The third month of the year is March."),
    ("what is month number 7", "en", "The seventh month of the year is July."),
    ("Which month is the 2nd month of the year?", "en", "The second month of the year is February."),
    ("What month is three months after November?", "en", "Three months after November is February."),
    ("What comes after December?", "en", "The month after December is January."),
    ("¿Cuál es el primer mes del año?", "es", "El primer mes del año es enero."),
    ("¿Cuál es el último mes del año?", "es", "El último mes del año es diciembre."),
    ("¿Qué mes es el número 3?", "es", "El tercer mes del año es marzo."),
    ("¿Cuál es el mes que va después de junio?", "es", "Después de junio viene julio."),
    ("¿Qué número de mes es junio?", "es", "Junio es el sexto mes del año."),
    ("Is December the last month of the year?", "en", "Yes, December is the twelfth and last month of the year."),
    ("Is June the fifth month?", "en", "No, June is the sixth month of the year."),
    # days in a month, a week, a year
    ("How many days does February have in a leap year?", "en", "In a leap year February has 29 days."),
    ("¿Cuántos días tiene febrero en un año normal?", "es", "En un año normal febrero tiene 28 días."),
    ("Febrero tiene 31 días en un año normal.", "es", "No, en un año normal febrero tiene 28 días."),
    ("How many days in February 2024?", "en", "February 2024 has 29 days."),
    ("¿Cuántos días tiene febrero de 2023?", "es", "Febrero de 2023 tiene 28 días."),
    ("Does June have 31 days?", "en", "No, June has 30 days."),
    ("Does February have 29 days?", "en", "Only in a leap year: February has 28 days, or 29 in a leap year."),
    ("¿Junio tiene 30 días?", "es", "Sí, junio tiene 30 días."),
    ("¿Es verdad que febrero tiene treinta días?", "es", "No, febrero tiene 28 días, o 29 en un año bisiesto."),
    ("How many days are there in a week?", "en", "A week has 7 days."),
    ("¿Cuántos días tiene una semana?", "es", "Una semana tiene 7 días."),
    ("La semana tiene 30 días.", "es", "No, una semana tiene 7 días."),
    ("How many days are in a year?", "en", "A year has 365 days, or 366 in a leap year."),
    ("¿Cuántos días tiene un año?", "es", "Un año tiene 365 días, o 366 si es bisiesto."),
    ("Un año tiene 30 días.", "es", "No, un año tiene 365 días, o 366 si es bisiesto."),
    ("Does a year have 366 days?", "en", "Only in a leap year: a year has 365 days, or 366 in a leap year."),
    ("How many days in a leap year?", "en", "A leap year has 366 days."),
    ("¿Cuántos días tiene un año bisiesto?", "es", "Un año bisiesto tiene 366 días."),
    ("How many weeks are in a year?", "en", "A year has 52 weeks and 1 day, or 52 weeks and 2 days in a leap year."),
    ("¿Cuántas semanas tiene un año?", "es", "Un año tiene 52 semanas y 1 día, o 52 semanas y 2 días si es bisiesto."),
    ("How many months are there in a year?", "en", "A year has 12 months."),
    ("¿Cuántos meses tiene el año?", "es", "Un año tiene 12 meses."),
    ("How many days in a fortnight?", "en", "A fortnight has 14 days."),
    ("¿Cuántos días tiene una quincena?", "es", "Una quincena tiene 15 días."),
    ("How many hours does a day have?", "en", "A day has 24 hours."),
    ("How many days in a month?", "en", "Months have 28 to 31 days: seven have 31, four have 30, and February has "
                                        "28, or 29 in a leap year."),
    ("How many months have 31 days?", "en",
     "Seven months have 31 days: January, March, May, July, August, October and December."),
    ("¿Qué meses tienen 30 días?", "es", "Cuatro meses tienen 30 días: abril, junio, septiembre y noviembre."),
    ("Which month has 28 days?", "en",
     "Every month has at least 28 days; only February has just 28, or 29 in a leap year."),
    ("What is the shortest month of the year?", "en", "February is the shortest month: 28 days, or 29 in a leap year."),
    # leap years
    ("Is 2024 a leap year?", "en", "Yes, 2024 is a leap year."),
    ("was 1900 a leap year", "en",
     "No, 1900 was not a leap year: a year ending in 00 is a leap year only when it divides by 400."),
    ("Will 2100 be a leap year?", "en",
     "No, 2100 will not be a leap year: a year ending in 00 is a leap year only when it divides by 400."),
    ("¿2023 es bisiesto?", "es", "No, 2023 no es bisiesto."),
    ("¿Fue bisiesto el año dos mil?", "es",
     "Sí, 2000 fue bisiesto: los años que acaban en 00 solo son bisiestos si son divisibles entre 400."),
    ("How many days are in 2024?", "en", "2024 has 366 days: it is a leap year."),
    # the week's days by number: both conventions said
    ("What is the fifth day of the week?", "en",
     "In most of Europe the week starts on Monday, so the fifth day is Friday; in the US, where it starts on "
     "Sunday, it is Thursday."),
    ("¿Cuál es el quinto día de la semana?", "es",
     "En España y en la mayor parte de Europa la semana empieza el lunes, así que el quinto día es el viernes; "
     "en Estados Unidos, donde empieza el domingo, es el jueves."),
    ("What day does the week start on?", "en",
     "In most of Europe the week starts on Monday; in the US and Canada it starts on Sunday."),
    ("What number day of the week is Friday?", "en",
     "Friday is the fifth day of the week where it starts on Monday, as in most of Europe, and the sixth where it "
     "starts on Sunday, as in the US."),
    ("¿Con qué día empieza la semana?", "es",
     "En España y en la mayor parte de Europa la semana empieza el lunes; en Estados Unidos y Canadá empieza el "
     "domingo."),
    # more ways of asking
    ("What day is the day after Tuesday?", "en", "The day after Tuesday is Wednesday."),
    ("¿Cuál es el día que sigue al martes?", "es", "Después del martes viene el miércoles."),
    ("I'd like to know how many days there are in a year", "en", "A year has 365 days, or 366 in a leap year."),
    ("is a week 7 days", "en", "Yes, a week has 7 days."),
    ("si hoy es viernes, ¿qué día será dentro de tres días?", "es", "Si hoy es viernes, dentro de 3 días será lunes."),
    ("¿Cuántos días trae febrero?", "es", "Febrero tiene 28 días, o 29 en un año bisiesto."),
    # lists
    ("What are the days of the week?", "en",
     "The days of the week are Monday, Tuesday, Wednesday, Thursday, Friday, Saturday and Sunday."),
    ("Dime los meses del año", "es",
     "Los meses del año son enero, febrero, marzo, abril, mayo, junio, julio, agosto, septiembre, octubre, "
     "noviembre y diciembre."),
]
ANSWERED = _generated() + HAND_WRITTEN

LEFT_ALONE = [
    # the clock's: today, dates, days named by a date
    "What day is Christmas?", "What day is it today?", "What's the date next Friday?", "what day is tomorrow",
    "¿Qué día es hoy?", "¿Qué día es mañana?", "¿Qué día cae Navidad?", "what's the date today",
    "what day of the week was July 4 1776", "what day of the week is Friday the 13th", "what month is it",
    "¿En qué mes estamos?", "how many days until Christmas", "¿Cuántos días faltan para Navidad?",
    "how many days are left in the year", "how many days does this month have", "is this year a leap year",
    "is next year a leap year", "when is the next leap year", "what is the last day of the month",
    "how many days are in the month", "¿Cuántos días tiene este mes?", "what was the last month",
    "what's the last month",
    # not calendar facts, or not one answer
    "Tell me about Tuesday", "What happened in June 1944?", "¿Qué hago el martes?", "Days of our lives is a show",
    "how many days in a decade", "how many days are in a century", "how many weeks in a month",
    "how many weekdays are in a week", "what is the thirteenth month", "what is the eighth day of the week",
    "was 1200 a leap year", "is the year 1000 a leap year", "what comes after the party",
    "what's after friday", "what day is after the meeting", "remind me the day before friday",
    "what is the best month to visit Japan", "which month has the most holidays", "Friday I'm in love",
    "Monday morning blues", "the day after tomorrow is a movie", "what is the day after tomorrow",
    "qué pasa después del martes", "¿Qué película ponen el viernes?", "el martes voy al médico",
    "how many days a week should I exercise", "how many days in a week do you work", "what is a leap year",
    "why do we have leap years", "¿Por qué existe el año bisiesto?", "what day comes after june",
    "how many months have 29 days", "how many hours in a year", "how long is a year on Mars",
    "what comes after may i ask", "what is the first month of pregnancy", "¿Cuál es el primer mes del embarazo?",
    "the days of the week song", "cuántos días tiene febrero este año", "what day will it be in two days",
    "which month comes after the summer", "is 2024 a leap year in the Chinese calendar",
    "what's the first day of spring", "¿Cuál es el primer día del verano?", "what month is the hottest",
    "",
]


@pytest.mark.parametrize(("question", "language", "expected"), ANSWERED)
def test_a_calendar_question_is_answered_without_a_model(question, language, expected):
    found = calendar_fact(question)
    assert found is not None, question
    assert (found.language, found.text) == (language, expected)
    assert CalendarFactsTool().run(found.arguments).text == expected  # the tool says the same


def test_there_are_enough_phrasings_and_negatives():
    assert len(ANSWERED) >= 80 and {lang for _, lang, _ in ANSWERED} == {"en", "es"}
    assert len(LEFT_ALONE) >= 40


@pytest.mark.parametrize("question", LEFT_ALONE)
def test_anything_else_is_left_to_the_clock_or_the_model(question):
    assert calendar_fact(question) is None


def test_nothing_the_other_instant_tests_leave_alone_is_answered_here():
    from tests.tools.test_country_facts import LEFT_TO_THE_MODEL
    from tests.tools.test_intent_paraphrases import NEGATIVES

    answered = [q for q in [*NEGATIVES, *LEFT_TO_THE_MODEL] if calendar_fact(q) is not None]
    assert answered == []


def test_the_turn_language_picks_the_answer_language():
    assert calendar_fact("What day comes after Tuesday?", "es").text == "Después del martes viene el miércoles."
    assert calendar_fact("¿Cuántos días tiene febrero?", "en").text == "February has 28 days, or 29 in a leap year."
    assert calendar_fact("¿Qué mes va después de junio?", "fr").language == "es"


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ({"fact": "day_after", "day": "martes", "language": "es"}, "Después del martes viene el miércoles."),
        ({"fact": "day_before", "day": "Monday", "n": "2"}, "Two days before Monday is Saturday."),
        ({"fact": "month_after", "month": 12}, "The month after December is January."),
        ({"fact": "nth_month", "last": True}, "The last month of the year is December."),
        ({"fact": "days_in_month", "month": "february", "year": 2000},
         "February 2000 has 29 days."),
        ({"fact": "count", "unit": "days", "of": "a week"}, "A week has 7 days."),
        ({"fact": "leap year", "year": 2028}, "Yes, 2028 is a leap year."),
        ({"fact": "if_today", "day": "domingo", "n": -1, "language": "es"}, "Si hoy es domingo, ayer fue sábado."),
    ],
)
def test_the_tool_answers_a_model(args, text):
    assert CalendarFactsTool().run(args).text == text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ({}, "no fact given"),
        ({"fact": "weather"}, "unknown fact 'weather'"),
        ({"fact": "day_after"}, "day_after needs a weekday"),
        ({"fact": "day_after", "day": "Funday"}, "unknown weekday 'Funday'"),
        ({"fact": "day_after", "day": "Monday", "n": "lots"}, "'n' must be a whole number"),
        ({"fact": "day_after", "day": "Monday", "n": 0}, "'n' = 0 is out of range"),
        ({"fact": "month_before", "month": "Smarch"}, "unknown month 'Smarch'"),
        ({"fact": "month_after", "month": 13}, "unknown month '13'"),
        ({"fact": "nth_month", "n": 13}, "'n' = 13 is out of range"),
        ({"fact": "nth_month"}, "nth_month needs n"),
        ({"fact": "nth_weekday", "n": 8}, "'n' = 8 is out of range"),
        ({"fact": "leap_year"}, "leap_year needs a year"),
        ({"fact": "leap_year", "year": 1200}, "'year' = 1200 is out of range"),
        ({"fact": "days_in_month", "month": "June", "leap": "maybe"}, "'leap' must be true or false"),
        ({"fact": "count", "unit": "days", "of": "decade"}, "no single answer for days in a decade"),
        ({"fact": "months_with_days", "days": 29}, "months_with_days needs days: 28, 30 or 31"),
    ],
)
def test_the_tool_says_what_was_wrong_in_one_line(args, says):
    with pytest.raises(ToolError) as caught:
        CalendarFactsTool().run(args)
    assert says in caught.value.message and "\n" not in caught.value.one_line() and caught.value.hint


def test_a_bad_call_through_the_executor_is_an_error_line_not_a_traceback():
    from jarvis.messages import ToolCall
    from jarvis.tools.executor import ToolExecutor
    from jarvis.tools.registry import ToolRegistry

    executor = ToolExecutor(ToolRegistry([CalendarFactsTool()]), 5.0, 1e9)
    use, result = executor.run(ToolCall("calendar_facts", {"fact": "day_after", "day": "Caturday"}))
    assert not use.ok and result is None
    assert use.result.startswith("error: calendar_facts: unknown weekday 'Caturday'") and "\n" not in use.result
    use, _ = executor.run(ToolCall("calendar_facts", {"day": "Monday"}))
    assert not use.ok and "fact" in use.result


def test_models_are_offered_the_tool_only_for_calendar_questions():
    tool = CalendarFactsTool()
    assert tool.is_relevant("what day comes after tuesday and what month after june")
    assert tool.is_relevant("is 2032 a leap year")
    assert tool.is_relevant("cuantos dias tiene febrero")
    assert not tool.is_relevant("remind me on monday to call mom")
    assert not tool.is_relevant("what is the weather in june in madrid")


@pytest.fixture(scope="module")
def toolbox(tmp_path_factory):
    from jarvis.config import load_settings
    from jarvis.tools.toolbox import Toolbox

    settings = load_settings(None)
    data_dir = tmp_path_factory.mktemp("data")
    return Toolbox(settings.model_copy(update={"general": settings.general.model_copy(update={"data_dir": data_dir})}))


@pytest.mark.parametrize(
    ("text", "language", "spoken"),
    [
        ("What day comes after Tuesday?", "en", "The day after Tuesday is Wednesday."),
        ("¿Qué día es antes del domingo?", "es", "Antes del domingo va el sábado."),
        ("¿Cuántos días tiene febrero?", "es", "Febrero tiene 28 días, o 29 en un año bisiesto."),
        ("What is the last month of the year?", "en", "The last month of the year is December."),
        ("¿Cuántos días tiene un año?", "es", "Un año tiene 365 días, o 366 si es bisiesto."),
    ],
)
def test_the_instant_path_speaks_the_answer_without_a_model(toolbox, text, language, spoken):
    from jarvis.messages import Transcript
    from jarvis.pipeline.tool_turn import instant_answer

    intent = toolbox.match(text, language)
    assert intent is not None and intent.kind == "fact" and intent.call.name == "calendar_facts"
    published = []
    said, uses = instant_answer(toolbox, intent, Transcript(text, language), published.append)
    assert said == spoken and [u.name for u in uses] == ["calendar_facts"] and uses[0].ok and published


def test_the_clock_and_the_country_facts_still_come_first(toolbox):
    assert toolbox.match("What day is it today?", "en").kind == "date"
    assert toolbox.match("What day is next Friday?", "en").kind == "date"
    assert toolbox.match("What is the capital of Portugal?", "en").call.name == "country_facts"
    assert toolbox.match("What day is Christmas?", "en") is None or toolbox.match(
        "What day is Christmas?", "en").call.name != "calendar_facts"


def test_a_model_call_is_worded_in_the_turn_language(toolbox):
    from jarvis.messages import ToolCall

    call = toolbox.with_language(ToolCall("calendar_facts", {"fact": "day_after", "day": "Monday"}), "es")
    assert call.arguments["language"] == "es"
    assert "calendar_facts" in {s["function"]["name"] for s in toolbox.schemas(request="¿Es 2028 un año bisiesto?")}
