"""Calendar facts answered without a model: weekday and month order, days in a month or a year, leap years.

The small local models get these wrong ("The day after Tuesday is Tuesday.", "Febrero tiene 31 días en un
año normal."), yet each has one right answer. :func:`calendar_fact` matches a whole question in English or
Spanish and words the answer in the asker's language; :class:`CalendarFactsTool` gives models the same
answers. Questions about today or a date ("what day is Christmas", "what day is it today", "what's the date
next Friday") are the clock's, and questions without one answer ("how many days in a decade", "how many
weeks in a month") are left to the model.

Which day is "the fifth day of the week" depends on where the week starts (Monday in most of Europe and in
ISO 8601, Sunday in the US), so those answers say both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jarvis.tools.base import Tool, ToolError, ToolResult
from jarvis.tools.clock import plain
from jarvis.tools.spoken_numbers import numbers_to_digits

# ---------------------------------------------------------------------------------------------- data
WEEKDAYS = (("Monday", "lunes"), ("Tuesday", "martes"), ("Wednesday", "miércoles"), ("Thursday", "jueves"),
            ("Friday", "viernes"), ("Saturday", "sábado"), ("Sunday", "domingo"))
MONTHS = (("January", "enero"), ("February", "febrero"), ("March", "marzo"), ("April", "abril"), ("May", "mayo"),
          ("June", "junio"), ("July", "julio"), ("August", "agosto"), ("September", "septiembre"),
          ("October", "octubre"), ("November", "noviembre"), ("December", "diciembre"))
DAYS_IN = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
DAY_INDEX = {plain(n): i for i, names in enumerate(WEEKDAYS) for n in names}
MONTH_INDEX = {plain(n): i for i, names in enumerate(MONTHS) for n in names} | {"setiembre": 8}
ORD_EN = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
          "twelfth")
ORD_ES = ("primer", "segundo", "tercer", "cuarto", "quinto", "sexto", "séptimo", "octavo", "noveno", "décimo",
          "undécimo", "duodécimo")
ORDINALS = ({w: i + 1 for i, w in enumerate(ORD_EN)} | {plain(w): i + 1 for i, w in enumerate(ORD_ES)}
            | {"primero": 1, "tercero": 3, "setimo": 7, "onceavo": 11, "decimoprimero": 11, "decimoprimer": 11,
               "decimo primero": 11, "decimo primer": 11, "doceavo": 12, "decimosegundo": 12, "decimo segundo": 12,
               "last": -1, "final": -1, "ultimo": -1}
            | {f"{n}{'st' if n == 1 else 'nd' if n == 2 else 'rd' if n == 3 else 'th'}": n for n in range(1, 13)})
WORDS_EN = "zero one two three four five six seven eight nine ten eleven twelve".split()
WORDS_ES = "cero un dos tres cuatro cinco seis siete ocho nueve diez once doce".split()
GREGORIAN = 1583  # the first whole year of the Gregorian calendar; earlier years are the model's
MAX_STEPS = 100_000
FACTS = ("day_after", "day_before", "if_today", "month_after", "month_before", "nth_month", "month_number",
         "nth_weekday", "weekday_number", "days_in_month", "days_in_year", "leap_year", "count", "months_with_days",
         "shortest_month", "days_of_week", "months_of_year")
# (unit, of) -> (English, Spanish, usual value, value in a leap year or None)
COUNTS: dict[tuple[str, str], tuple[str, str, int, int | None]] = {
    ("days", "week"): ("A week has 7 days.", "Una semana tiene 7 días.", 7, None),
    ("days", "year"): ("A year has 365 days, or 366 in a leap year.", "Un año tiene 365 días, o 366 si es bisiesto.",
                       365, 366),
    ("days", "leap year"): ("A leap year has 366 days.", "Un año bisiesto tiene 366 días.", 366, None),
    ("days", "common year"): ("A non-leap year has 365 days.", "Un año normal (no bisiesto) tiene 365 días.", 365,
                              None),
    ("weeks", "year"): ("A year has 52 weeks and 1 day, or 52 weeks and 2 days in a leap year.",
                        "Un año tiene 52 semanas y 1 día, o 52 semanas y 2 días si es bisiesto.", 52, None),
    ("weeks", "leap year"): ("A leap year has 52 weeks and 2 days.", "Un año bisiesto tiene 52 semanas y 2 días.", 52,
                             None),
    ("weeks", "common year"): ("A non-leap year has 52 weeks and 1 day.",
                               "Un año normal (no bisiesto) tiene 52 semanas y 1 día.", 52, None),
    ("months", "year"): ("A year has 12 months.", "Un año tiene 12 meses.", 12, None),
    ("months", "leap year"): ("A leap year has 12 months, like any year.",
                              "Un año bisiesto tiene 12 meses, como cualquier año.", 12, None),
    ("months", "common year"): ("A year has 12 months.", "Un año tiene 12 meses.", 12, None),
    ("days", "fortnight"): ("A fortnight has 14 days.", "Dos semanas tienen 14 días.", 14, None),
    ("days", "quincena"): ("A quincena (half a month) has 15 days.", "Una quincena tiene 15 días.", 15, None),
    ("hours", "day"): ("A day has 24 hours.", "Un día tiene 24 horas.", 24, None),
    ("hours", "week"): ("A week has 168 hours.", "Una semana tiene 168 horas.", 168, None),
    ("days", "month"): ("Months have 28 to 31 days: seven have 31, four have 30, and February has 28, or 29 in a "
                        "leap year.",
                        "Los meses tienen entre 28 y 31 días: siete tienen 31, cuatro tienen 30 y febrero tiene 28, "
                        "o 29 en un año bisiesto.", 0, None),
}
OF_WORDS = {  # how a question names what is counted in (accent-free)
    "week": "week", "semana": "week", "year": "year", "calendar year": "year", "ano": "year",
    "leap year": "leap year", "ano bisiesto": "leap year", "fortnight": "fortnight", "quincena": "quincena",
    "day": "day", "dia": "day", "month": "month", "mes": "month",
} | {f"{a} year": "common year" for a in ("non leap", "non-leap", "normal", "common", "regular", "ordinary")} \
  | {f"ano {a}": "common year" for a in ("no bisiesto", "normal", "comun", "regular", "corriente")}
UNIT_WORDS = {"days": "days", "dias": "days", "weeks": "weeks", "semanas": "weeks", "months": "months",
              "meses": "months", "hours": "hours", "horas": "hours"}


# ---------------------------------------------------------------------------------------------- wording
def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(items: list[str], es: bool) -> str:
    return f"{', '.join(items[:-1])} {'y' if es else 'and'} {items[-1]}" if len(items) > 1 else "".join(items)


def _n(n: int, es: bool, feminine: bool = False) -> str:
    """A count in words up to twelve ("three", "tres"), in digits above."""
    if n > 12:
        return str(n)
    if es:
        return "una" if n == 1 and feminine else "uno" if n == 1 else WORDS_ES[n]
    return WORDS_EN[n]


def _ordinal(n: int, es: bool) -> str:
    return (ORD_ES if es else ORD_EN)[n - 1]


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _day(i: int, es: bool) -> str:
    return WEEKDAYS[i % 7][1 if es else 0]


def _month(i: int, es: bool) -> str:
    return MONTHS[i % 12][1 if es else 0]


def _after_yes(sentence: str, es: bool) -> str:
    """A sentence put after "Yes, " / "No, " ("A week ..." -> "a week ...", "February ..." stays)."""
    first = sentence.split(" ", 1)[0]
    if es or first in ("A", "An", "The", "Months", "Every", "In"):
        return sentence[:1].lower() + sentence[1:]
    return sentence


def _checked(sentence: str, claimed: int | None, usual: int, leap: int | None, es: bool) -> str:
    """``sentence``, or its answer to "does it have ``claimed``?" (yes / only in a leap year / no)."""
    if claimed is None:
        return sentence
    if claimed == usual:
        return f"{'Sí' if es else 'Yes'}, {_after_yes(sentence, es)}"
    if leap is not None and claimed == leap:
        return f"{'Solo en un año bisiesto' if es else 'Only in a leap year'}: {_after_yes(sentence, es)}"
    return f"No, {_after_yes(sentence, es)}"


def _week_start(es: bool) -> str:
    if es:
        return "En España y en la mayor parte de Europa la semana empieza el lunes"
    return "In most of Europe the week starts on Monday"


def _days_in_month(m: int, year: int | None, leap: bool | None, claimed: int | None, es: bool) -> str:
    name = _month(m, es)
    if year is not None:
        days = 29 if m == 1 and is_leap(year) else DAYS_IN[m]
        said = f"{_cap(name)} de {year} tiene {days} días." if es else f"{name} {year} has {days} days."
        return _checked(said, claimed, days, None, es)
    if m == 1 and leap is not None:
        days = 29 if leap else 28
        if es:
            said = f"En un año {'bisiesto' if leap else 'normal'} febrero tiene {days} días."
        else:
            said = f"In a {'leap' if leap else 'non-leap'} year February has {days} days."
        return _checked(said, claimed, days, None, es)
    if m == 1:
        said = ("Febrero tiene 28 días, o 29 en un año bisiesto." if es
                else "February has 28 days, or 29 in a leap year.")
        return _checked(said, claimed, 28, 29, es)
    said = f"{_cap(name)} tiene {DAYS_IN[m]} días." if es else f"{name} has {DAYS_IN[m]} days."
    return _checked(said, claimed, DAYS_IN[m], None, es)


def _step(kind: str, start: int, n: int, es: bool) -> str:
    """ "The day after Tuesday is Wednesday." and the like (``n`` steps forward, or back when negative)."""
    size = 7 if kind == "day" else 12
    name = _day if kind == "day" else _month
    a, b = name(start, es), name(start + n, es)
    steps, after = abs(n), n > 0
    if es:
        de = "del" if kind == "day" else "de"
        art = "el " if kind == "day" else ""
        if steps == 1:
            return f"Después {de} {a} viene {art}{b}." if after else f"Antes {de} {a} va {art}{b}."
        unit = "días" if kind == "day" else "meses"
        lead = f"{_cap(_n(steps, es))} {unit} {'después' if after else 'antes'} {de} {a}"
        return f"{lead} vuelve a ser {b}." if steps % size == 0 else f"{lead} es {b}."
    if steps == 1:
        return f"The {kind} {'after' if after else 'before'} {a} is {b}."
    lead = f"{_cap(_n(steps, es))} {kind}s {'after' if after else 'before'} {a}"
    return f"{lead} is {b} again." if steps % size == 0 else f"{lead} is {b}."


def _if_today(d: int, n: int, es: bool) -> str:
    a, b = _day(d, es), _day(d + n, es)
    if es:
        when = {1: f"mañana es {b}", -1: f"ayer fue {b}", 2: f"pasado mañana es {b}", -2: f"anteayer fue {b}",
                0: f"hoy es {b}"}.get(n) or (f"dentro de {n} días será {b}" if n > 0 else f"hace {-n} días era {b}")
        return f"Si hoy es {a}, {when}."
    when = {1: f"tomorrow is {b}", -1: f"yesterday was {b}", 2: f"the day after tomorrow is {b}",
            -2: f"the day before yesterday was {b}", 0: f"today is {b}"}.get(n) or (
        f"in {n} days it will be {b}" if n > 0 else f"{-n} days ago it was {b}")
    return f"If today is {a}, {when}."


def _nth_weekday(n: int, es: bool) -> str:
    """The ``n``th day of the week (1-7) under both conventions."""
    if n == 1:
        if es:
            return f"{_week_start(es)}; en Estados Unidos y Canadá empieza el domingo."
        return f"{_week_start(es)}; in the US and Canada it starts on Sunday."
    which = ("último" if es else "last") if n == 7 else _ordinal(n, es)
    monday, sunday = _day(n - 1, es), _day(n - 2, es)
    if es:
        return (f"{_week_start(es)}, así que el {which} día es el {monday}; en Estados Unidos, donde empieza el "
                f"domingo, es el {sunday}.")
    return f"{_week_start(es)}, so the {which} day is {monday}; in the US, where it starts on Sunday, it is {sunday}."


def _weekday_number(d: int, es: bool) -> str:
    monday, sunday = d + 1, (d + 1) % 7 + 1
    if es:
        return (f"El {_day(d, es)} es el {_ordinal(monday, es)} día de la semana donde empieza el lunes, como en "
                f"España, y el {_ordinal(sunday, es)} donde empieza el domingo, como en Estados Unidos.")
    return (f"{_day(d, es)} is the {_ordinal(monday, es)} day of the week where it starts on Monday, as in most "
            f"of Europe, and the {_ordinal(sunday, es)} where it starts on Sunday, as in the US.")


def _leap_year(year: int, tense: str, es: bool) -> str:
    leap = is_leap(year)
    if es:
        verb = {"past": "fue", "future": "será"}.get(tense, "es")
        said = f"Sí, {year} {verb} bisiesto" if leap else f"No, {year} no {verb} bisiesto"
        why = ": los años que acaban en 00 solo son bisiestos si son divisibles entre 400" if year % 100 == 0 else ""
        return f"{said}{why}."
    verb = {"past": "was", "future": "will be"}.get(tense, "is")
    negated = {"was": "was not", "will be": "will not be"}.get(verb, "is not")
    said = f"Yes, {year} {verb} a leap year" if leap else f"No, {year} {negated} a leap year"
    why = ": a year ending in 00 is a leap year only when it divides by 400" if year % 100 == 0 else ""
    return f"{said}{why}."


def _months_with(days: int, es: bool) -> str:
    if days == 28:
        if es:
            return "Todos los meses tienen al menos 28 días; solo febrero tiene justo 28, o 29 en un año bisiesto."
        return "Every month has at least 28 days; only February has just 28, or 29 in a leap year."
    months = [_month(i, es) for i in range(12) if DAYS_IN[i] == days]
    if es:
        return f"{_cap(_n(len(months), es))} meses tienen {days} días: {_join(months, es)}."
    return f"{_cap(_n(len(months), es))} months have {days} days: {_join(months, es)}."


# ---------------------------------------------------------------------------------------------- arguments
def _weekday_arg(args: dict[str, Any]) -> int:
    said = args.get("day")
    if said is None or str(said).strip() == "":
        raise ToolError(f"calendar_facts: {args.get('fact')} needs a weekday", "pass day, e.g. Tuesday or martes")
    i = DAY_INDEX.get(plain(str(said)).strip())
    if i is None:
        raise ToolError(f"calendar_facts: unknown weekday '{said}'", "give a weekday in English or Spanish, "
                        "e.g. Tuesday or martes")
    return i


def _month_arg(args: dict[str, Any]) -> int:
    said = args.get("month")
    if said is None or str(said).strip() == "":
        raise ToolError(f"calendar_facts: {args.get('fact')} needs a month", "pass month, e.g. June or junio")
    text = plain(str(said)).strip()
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text) - 1
    i = MONTH_INDEX.get(text)
    if i is None:
        raise ToolError(f"calendar_facts: unknown month '{said}'", "give a month in English or Spanish, "
                        "e.g. June or junio, or its number 1-12")
    return i


def _int_arg(args: dict[str, Any], key: str, default: int | None, low: int, high: int, hint: str) -> int | None:
    value = args.get(key, default)
    if value is None:
        return None
    try:
        n = int(value)
        if isinstance(value, bool) or n != float(value):
            raise ValueError
    except (TypeError, ValueError):
        raise ToolError(f"calendar_facts: '{key}' must be a whole number, not {value!r}", hint) from None
    if not low <= n <= high:
        raise ToolError(f"calendar_facts: '{key}' = {n} is out of range ({low} to {high})", hint)
    return n


def _year_arg(args: dict[str, Any], required: bool) -> int | None:
    hint = f"pass year as a number from {GREGORIAN} to 9999 (the Gregorian calendar)"
    if required and args.get("year") is None:
        raise ToolError(f"calendar_facts: {args.get('fact')} needs a year", hint)
    return _int_arg(args, "year", None, GREGORIAN, 9999, hint)


def _bool_arg(args: dict[str, Any], key: str) -> bool | None:
    value = args.get(key)
    if value is None or isinstance(value, bool):
        return value
    text = plain(str(value)).strip()
    if text in ("true", "yes", "1", "si"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise ToolError(f"calendar_facts: '{key}' must be true or false, not {value!r}", f"pass {key}: true or false")


def answer(args: dict[str, Any], language: str = "en") -> str:
    """The sentence that answers the calendar question in ``args`` (see :class:`CalendarFactsTool`).

    Raises :class:`ToolError` (one line, with a hint) for an unknown fact or a bad argument.
    """
    es = language == "es"
    fact = plain(str(args.get("fact") or "")).strip().replace(" ", "_").replace("-", "_")
    if fact in ("day_after", "day_before"):
        n = _int_arg(args, "n", 1, 1, MAX_STEPS, f"n counts days, 1 to {MAX_STEPS}") or 1
        return _step("day", _weekday_arg(args), n if fact == "day_after" else -n, es)
    if fact == "if_today":
        n = _int_arg(args, "n", 1, -MAX_STEPS, MAX_STEPS, "n is the days from today: 1 tomorrow, -1 yesterday")
        return _if_today(_weekday_arg(args), n if n is not None else 1, es)
    if fact in ("month_after", "month_before"):
        n = _int_arg(args, "n", 1, 1, MAX_STEPS, f"n counts months, 1 to {MAX_STEPS}") or 1
        return _step("month", _month_arg(args), n if fact == "month_after" else -n, es)
    if fact == "nth_month":
        last = _bool_arg(args, "last")
        n = 12 if last else _int_arg(args, "n", None, 1, 12, "n is 1 to 12 (or pass last: true)")
        if n is None:
            raise ToolError("calendar_facts: nth_month needs n", "pass n, 1 to 12, or last: true")
        which = ("último" if es else "last") if last else _ordinal(n, es)
        return f"El {which} mes del año es {_month(n - 1, es)}." if es else \
            f"The {which} month of the year is {_month(n - 1, es)}."
    if fact == "month_number":
        m = _month_arg(args)
        claimed = _int_arg(args, "check", None, 1, 1000, "check is the position to confirm, 1 to 12")
        which = _ordinal(m + 1, es) + ((" y último" if es else " and last") if m == 11 else "")
        said = (f"{_cap(_month(m, es))} es el {which} mes del año." if es
                else f"{_month(m, es)} is the {which} month of the year.")
        return _checked(said, claimed, m + 1, None, es)
    if fact == "nth_weekday":
        n = 7 if _bool_arg(args, "last") else _int_arg(args, "n", None, 1, 7, "n is 1 to 7 (or pass last: true)")
        if n is None:
            raise ToolError("calendar_facts: nth_weekday needs n", "pass n, 1 to 7, or last: true")
        return _nth_weekday(n, es)
    if fact == "weekday_number":
        return _weekday_number(_weekday_arg(args), es)
    if fact == "days_in_month":
        claimed = _int_arg(args, "check", None, 0, 1000, "check is the number of days to confirm")
        return _days_in_month(_month_arg(args), _year_arg(args, False), _bool_arg(args, "leap"), claimed, es)
    if fact == "days_in_year":
        year = _year_arg(args, True) or 0
        if es:
            return f"{year} tiene 366 días: es bisiesto." if is_leap(year) else f"{year} tiene 365 días."
        return f"{year} has 366 days: it is a leap year." if is_leap(year) else f"{year} has 365 days."
    if fact == "leap_year":
        tense = plain(str(args.get("tense") or "present")).strip()
        return _leap_year(_year_arg(args, True) or 0, tense, es)
    if fact == "count":
        unit = UNIT_WORDS.get(plain(str(args.get("unit") or "")).strip())
        of = OF_WORDS.get(plain(str(args.get("of") or "")).strip().removeprefix("a ").removeprefix("un "))
        row = COUNTS.get((unit or "", of or ""))
        if row is None:
            raise ToolError(f"calendar_facts: no single answer for {args.get('unit')} in a {args.get('of')}",
                            "count unit days/weeks/months/hours of week, year, leap year, common year, fortnight, "
                            "day or month")
        claimed = _int_arg(args, "check", None, 0, 100_000, "check is the number to confirm")
        if (unit, of) == ("days", "month"):
            claimed = None  # "does a month have 30 days" has no yes or no
        return _checked(row[1 if es else 0], claimed, row[2], row[3], es)
    if fact == "months_with_days":
        days = _int_arg(args, "days", None, 28, 31, "days is 28, 30 or 31")
        if days is None or days == 29:
            raise ToolError("calendar_facts: months_with_days needs days: 28, 30 or 31",
                            "only February has 29 days, in a leap year")
        return _months_with(days, es)
    if fact == "shortest_month":
        return ("El mes más corto es febrero: 28 días, o 29 en un año bisiesto." if es
                else "February is the shortest month: 28 days, or 29 in a leap year.")
    if fact == "days_of_week":
        days = [_day(i, es) for i in range(7)]
        return f"Los días de la semana son {_join(days, es)}." if es else f"The days of the week are {_join(days, es)}."
    if fact == "months_of_year":
        months = [_month(i, es) for i in range(12)]
        said = _join(months, es)
        return f"Los meses del año son {said}." if es else f"The months of the year are {said}."
    shown = args.get("fact")
    raise ToolError(f"calendar_facts: unknown fact '{shown}'" if shown else "calendar_facts: no fact given",
                    f"use one of: {', '.join(FACTS)}")


# ---------------------------------------------------------------------------------------------- questions
@dataclass(frozen=True)
class CalendarAnswer:
    """A matched calendar question: the tool's arguments and the answer sentence."""

    fact: str  # one of FACTS
    arguments: dict[str, Any]  # what calendar_facts is called with (the language included)
    language: str  # "en" or "es"
    text: str


def _alt(words: Any) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_DAYS, _MONTHS = _alt(DAY_INDEX), _alt(MONTH_INDEX)
WD, MO, X = rf"(?P<x>{_DAYS})", rf"(?P<x>{_MONTHS})", rf"(?P<x>{_DAYS}|{_MONTHS})"
NUM = r"(?P<n>\d{1,6}|[a-z]+(?:[ -][a-z]+){0,5}?)"
YEAR = r"(?P<y>\d{4}|[a-z]+(?: [a-z]+){0,6}?)"
Q, IS = r"(?:what|which)", r"(?:'s|s| is)"
ORD = rf"(?P<ord>{_alt(k for k in ORDINALS if not k[0].isdigit())}|\d{{1,2}}(?:st|nd|rd|th))"
# English
UNIT_EN = r"(?P<unit>day of the week|weekday|day|month of the year|month)"
DIR_EN = r"(?P<dir>after|before|following|preceding|prior to)"
NEAR_EN = r"(?:(?:right|just|immediately|directly|next) )?"
TAIL_EN = r"(?: (?:in|of) the (?:week|year|calendar))?"
N_EN = rf"{NUM} (?P<units>days?|months?)"
IF_EN = rf"if (?:today is|today's|todays|it is|it's|its|today was|it was) {WD}"
WHEN_EN = (r"(?P<when>tomorrow|yesterday|the day after tomorrow|the day before yesterday|"
           r"in (?P<n>\d{1,6}|[a-z]+(?: [a-z]+){0,3}?) days?|"
           r"(?P<n2>\d{1,6}|[a-z]+(?: [a-z]+){0,3}?) days? (?:from now|from today|later)|"
           r"(?P<m>\d{1,6}|[a-z]+(?: [a-z]+){0,3}?) days? ago)")
ASK_EN = (r"(?:what|which)(?: day)?(?: of the week)?(?:'s|s| is| will be| was| would be| will it be| was it|"
          r" would it be| is it)(?: it)?")
YT_EN = r"(?P<of> (?:of|in) (?:the|a) (?:calendar )?year| of the calendar)"
UNITS_EN = r"(?P<unit>days|weeks|months|hours)"
OF_EN = (r"(?P<art>a|an|one|the|each|every|1) (?P<of>week|calendar year|year|leap year|"
         r"(?:non leap|non-leap|normal|common|regular|ordinary) year|fortnight|day|month)")
LEAP_EN = (r"(?: (?:in|on|during|for) (?:a |an )?(?P<kind>leap|non leap|non-leap|normal|common|regular|ordinary) "
           r"years?)?")
YR_EN = r"(?: (?:of |in )?(?P<year>\d{4}))?"
# Spanish
UNIT_ES = r"(?P<unit>dia de la semana|dia|mes del ano|mes)"
DIR_ES = r"(?P<dir>(?:despues|antes|luego) (?:del|de el|de)|tras(?: el)?)"
NEAR_ES = r"(?:(?:justo|inmediatamente|justamente) )?"
N_ES = rf"{NUM} (?P<units>dias?|mes|meses)"
IF_ES = rf"si hoy es (?:el )?{WD}"
WHEN_ES = (r"(?P<when>manana|ayer|pasado manana|anteayer|antier|antes de ayer|antes de anteayer|"
           r"dentro de (?P<n>\d{1,6}|[a-z]+(?: [a-z]+){0,3}?) dias|en (?P<n2>\d{1,6}|[a-z]+(?: [a-z]+){0,3}?) dias|"
           r"hace (?P<m>\d{1,6}|[a-z]+(?: [a-z]+){0,3}?) dias)")
ASK_ES = r"(?:que|cual)(?: dia)?(?: de la semana)? (?:es|sera|fue|era|seria|va a ser|toca)"
YT_ES = r"(?P<of> del ano| de un ano| del calendario)"
UNITS_ES = r"(?P<unit>dias|semanas|meses|horas)"
OF_ES = (r"(?P<art>un|una|el|la|cada|1) (?P<of>semana|ano (?:no bisiesto|bisiesto|normal|comun|regular|corriente)|"
         r"ano|quincena|dia|mes)")
LEAP_ES = (r"(?: (?:en|durante|cuando es|si es) (?:un |los |el )?(?:anos? )?(?P<kind>bisiestos?|no bisiestos?|"
           r"normal(?:es)?|comun(?:es)?|regular(?:es)?|corrientes?))?")
YR_ES = r"(?: (?:de|del|en) (?:(?:el )?ano )?(?P<year>\d{4}))?"
MOA = rf"(?:el mes de )?{MO}"

PATTERNS: dict[str, list[tuple[str, str]]] = {
    "en": [
        # "what they come after Tuesday": speech recognition's "what day comes after Tuesday"
        ("step", rf"{Q}(?: {UNIT_EN}| they| de)? (?:comes|come|goes) {NEAR_EN}{DIR_EN} {X}{TAIL_EN}"),
        ("step", rf"{Q} {UNIT_EN} (?:is|falls|would be|will be|is it|would it be|will it be) {NEAR_EN}{DIR_EN} {X}"
                 rf"{TAIL_EN}"),
        ("step", rf"{Q}{IS} the (?:next |previous |following |preceding )?{UNIT_EN} {NEAR_EN}{DIR_EN} {X}{TAIL_EN}"
                 r"(?: called)?"),
        ("step", rf"{Q} (?:day|month) is the (?:next |previous )?{UNIT_EN} {NEAR_EN}{DIR_EN} {X}{TAIL_EN}"),
        ("step", rf"(?:{Q} |name )?the (?:next |previous )?{UNIT_EN} {NEAR_EN}{DIR_EN} {X}{TAIL_EN}(?: is)?"),
        ("step", rf"{Q}(?: {UNIT_EN})? (?P<dir>follows|precedes) {X}{TAIL_EN}"),
        ("step", rf"{Q} {UNIT_EN} (?:is|comes|falls|would be|will be|is it|would it be|will it be) {N_EN} {DIR_EN} "
                 rf"{X}"),
        ("step", rf"{Q}{IS} {N_EN} {DIR_EN} {X}"),
        ("step", rf"{N_EN} {DIR_EN} {X} is (?:what|which)(?: {UNIT_EN})?"),
        ("if_today", rf"{IF_EN}(?: then)? {ASK_EN} {WHEN_EN}(?: going to be)?"),
        ("if_today", rf"{ASK_EN} {WHEN_EN} if (?:today is|today's|todays|it is|it's|its) {WD}"),
        ("if_today", rf"{IF_EN}(?: then)? {WHEN_EN} (?:is|will be|was|would be) (?:what|which) day"),
        ("nth_month", rf"{Q}{IS} the {ORD} month{YT_EN}?(?: called)?"),
        ("nth_month", rf"{Q} month is the {ORD}(?: month)?{YT_EN}?"),
        ("nth_month", rf"(?:{Q} |name )?the {ORD} month{YT_EN}(?: is)?"),
        ("nth_month", rf"{Q}{IS} month (?:number )?{NUM}{YT_EN}?"),
        ("nth_month", rf"{Q} month is (?:month )?number {NUM}{YT_EN}?"),
        ("month_number", rf"{Q} (?:number|month number|number month|position) is {MO}(?: in the year| of the year|"
                         r" in the calendar)?"),
        ("month_number", rf"{Q} month of the year is {MO}"),
        ("month_number", rf"{MO} is (?:what|which) (?:number )?month(?: of the year)?"),
        ("month_number", rf"is {MO} the {ORD} month{YT_EN}?"),
        ("nth_weekday", rf"{Q}{IS} the {ORD} day (?:of|in) the week"),
        ("nth_weekday", rf"{Q} day is the {ORD} day (?:of|in) the week"),
        ("nth_weekday", rf"{Q} day of the week is the {ORD}(?: day)?"),
        ("nth_weekday", rf"(?:{Q} |name )?the {ORD} day of the week(?: is)?"),
        ("nth_weekday", rf"{Q} day (?:does|do) the week (?:start|begin) (?:on|with)"),
        ("nth_weekday", r"(?:when|what day) does the week (?:start|begin)"),
        ("nth_weekday", rf"{Q} day (?:starts|begins) the week"),
        ("nth_weekday", r"does the week (?:start|begin) on (?:a )?(?:monday|sunday)(?: or (?:on )?(?:a )?"
                        r"(?:monday|sunday))?"),
        ("weekday_number", rf"{Q} (?:number )?day of the week is {WD}"),
        ("weekday_number", rf"what number day(?: of the week)? is {WD}"),
        ("weekday_number", rf"is {WD} the {ORD} day of the week"),
        ("count", rf"how many {UNITS_EN} (?:are )?(?:there )?(?:are )?(?:in|within) {OF_EN}(?: in total| altogether)?"),
        ("count", rf"how many {UNITS_EN} (?:does|do) {OF_EN} (?:have|contain|last|consist of)"),
        ("count", rf"how many {UNITS_EN} (?:has|is|makes|make up|make|are in) {OF_EN}(?: got)?"),
        ("count", rf"{OF_EN} (?:has|is|contains|lasts) how many {UNITS_EN}"),
        ("count", rf"(?:does|do) {OF_EN} (?:have|contain|last) {NUM} {UNITS_EN}"),
        ("count", rf"(?:is|are) there {NUM} {UNITS_EN} in {OF_EN}"),
        ("count", rf"(?:is|has) {OF_EN} (?:got )?{NUM} {UNITS_EN}(?: long)?"),
        ("count", rf"{OF_EN} has {NUM} {UNITS_EN}"),
        ("days_in_month", rf"how many days (?:are )?(?:there )?(?:are )?in (?:the month of )?{MO}{YR_EN}{LEAP_EN}"),
        ("days_in_month", rf"how many days (?:does|do|did|will) (?:the month of )?{MO}{YR_EN} (?:have|contain|last|"
                          rf"get|got)(?: in it)?{LEAP_EN}"),
        ("days_in_month", rf"how many days (?:has|is) {MO}{YR_EN}(?: got)?{LEAP_EN}"),
        ("days_in_month", rf"{MO}{YR_EN} has how many days{LEAP_EN}"),
        ("days_in_month", rf"how long is {MO}{YR_EN}{LEAP_EN}"),
        ("days_in_month", rf"(?:does|do|did) {MO}{YR_EN} (?:have|has|get|got) {NUM} days{LEAP_EN}"),
        ("days_in_month", rf"(?:is|has) {MO}{YR_EN} (?:got )?{NUM} days(?: long)?{LEAP_EN}"),
        ("days_in_month", rf"are there {NUM} days in {MO}{YR_EN}{LEAP_EN}"),
        ("days_in_month", rf"{MO}{YR_EN} has {NUM} days{LEAP_EN}"),
        ("days_in_year", r"how many days (?:are )?(?:there )?(?:are )?in (?:the year )?(?P<year>\d{4})"),
        ("days_in_year", r"how many days (?:does|did|will) (?:the year )?(?P<year>\d{4}) have"),
        ("days_in_year", r"how many days (?:has|had) (?:the year )?(?P<year>\d{4})(?: got)?"),
        ("leap_year", rf"(?P<tense>is|was|will) (?:the year )?{YEAR} (?:be )?(?:a )?leap year(?: or not)?"),
        ("leap_year", rf"(?:the year )?{YEAR} (?P<tense>is|was|will be) (?:a )?leap year(?: or not)?"),
        ("leap_year", rf"(?P<tense>is|was) (?:the year )?{YEAR} a leap year or (?:a )?(?:common|normal) year"),
        ("months_with_days", rf"(?:how many|which|what) months (?:of the year |in the year |in a year )?(?:have|has|"
                             rf"are|contain|got)(?: got)? {NUM} days(?: in them| long)?"),
        ("months_with_days", rf"(?:which|what) month (?:has|is|have) (?:only |just )?{NUM} days(?: long)?"),
        ("months_with_days", rf"(?:which|what) are the months (?:with|that have) {NUM} days"),
        ("shortest_month", rf"{Q}{IS} the shortest month(?: of the year| in the year)?"),
        ("shortest_month", rf"{Q} month is the shortest(?: month)?(?: of the year| in the year)?"),
        ("shortest_month", rf"{Q} month has the (?:fewest|least) days"),
        ("days_of_week", rf"(?:(?:{Q} are|name|list|say|give me) )?(?:all )?(?:the )?(?:seven |7 )?days of the week"
                         r"(?: in order)?"),
        ("months_of_year", rf"(?:{Q} are|name|list|say|give me) (?:all )?(?:the )?(?:twelve |12 )?months"
                           r"(?: of the year)?(?: in order)?"),
        ("months_of_year", r"(?:the )?(?:twelve |12 )?months of the year(?: in order)?"),
    ],
    "es": [
        ("step", rf"(?:que|cual)(?: {UNIT_ES})? (?:va|viene|sigue|toca|llega) {NEAR_ES}{DIR_ES} {X}"),
        ("step", rf"(?:que|cual) {UNIT_ES} (?:es|esta|cae|hay|queda|sera|seria) {NEAR_ES}{DIR_ES} {X}"),
        ("step", rf"(?:(?:cual|que) es )?el {UNIT_ES} (?:que (?:va|viene|hay|esta|sigue|llega) )?{NEAR_ES}{DIR_ES} "
                 rf"{X}"),
        ("step", rf"(?:(?:cual|que) es )?el {UNIT_ES} (?P<dir>siguiente|anterior|posterior|previo) (?:al?|a el) {X}"),
        ("step", rf"(?:que|cual)(?: {UNIT_ES})? (?P<dir>sigue|precede|antecede) (?:al?|a el) {X}"),
        ("step", rf"(?:(?:cual|que) es )?el {UNIT_ES} que (?P<dir>sigue|precede|antecede) (?:al?|a el) {X}"),
        ("step", rf"{DIR_ES} {X} (?:que|cual)(?: {UNIT_ES})? (?:va|viene|es|sigue|hay|toca)"),
        ("step", rf"(?:que|cual) {UNIT_ES} (?:es|sera|cae|va|viene|toca|seria|hay) {N_ES} {DIR_ES} {X}"),
        ("step", rf"{N_ES} {DIR_ES} {X} (?:que|cual) {UNIT_ES} (?:es|sera|cae)"),
        ("if_today", rf"{IF_ES}(?: entonces)? {ASK_ES} {WHEN_ES}"),
        ("if_today", rf"{IF_ES}(?: entonces)? {WHEN_ES} (?:que|cual)(?: dia)? (?:es|sera|fue|era|seria|va a ser|toca)"),
        ("if_today", rf"{ASK_ES} {WHEN_ES} si hoy es (?:el )?{WD}"),
        ("if_today", rf"{IF_ES}(?: entonces)? {WHEN_ES} (?:es|sera|fue|era) (?:que|cual) dia"),
        ("nth_month", rf"(?:cual|que) es el {ORD} mes{YT_ES}?"),
        ("nth_month", rf"(?:que|cual) mes es el {ORD}(?: mes)?{YT_ES}?"),
        ("nth_month", rf"(?:nombra )?el {ORD} mes{YT_ES}"),
        ("nth_month", rf"(?:cual|que) es el mes (?:numero )?{NUM}{YT_ES}?"),
        ("nth_month", rf"(?:que|cual) mes es el (?:numero )?{NUM}{YT_ES}?"),
        ("month_number", rf"(?:que|cual) (?:numero de mes|numero|lugar|posicion) (?:es|ocupa|tiene) {MO}"
                         r"(?: en el ano| del ano| en el calendario)?"),
        ("month_number", rf"(?:que|cual) mes del ano es {MO}"),
        ("month_number", rf"{MO} (?:es )?(?:que|cual) (?:numero de )?mes(?: del ano)?(?: es)?"),
        ("month_number", rf"en que (?:lugar|posicion) (?:esta|va|cae) {MO}(?: en el ano| del ano)?"),
        ("month_number", rf"es {MO} el {ORD} mes{YT_ES}?"),
        ("month_number", rf"{MO} es el {ORD} mes{YT_ES}?"),
        ("nth_weekday", rf"(?:cual|que) es el {ORD} dia de la semana"),
        ("nth_weekday", rf"(?:que|cual) dia es el {ORD}(?: dia)? de la semana"),
        ("nth_weekday", rf"(?:nombra )?el {ORD} dia de la semana"),
        ("nth_weekday", r"(?:con|en) que dia (?:empieza|comienza|arranca|inicia) la semana"),
        ("nth_weekday", r"(?:que|cual) (?:dia|es el dia) (?:en |con )?(?:el )?que (?:empieza|comienza) la semana"),
        ("nth_weekday", r"la semana (?:empieza|comienza) (?:en |el |con el )?(?:lunes|domingo)"
                        r"(?: o (?:en |el |con el )?(?:lunes|domingo))?"),
        ("weekday_number", rf"(?:que|cual) (?:numero de dia|numero|lugar|posicion) (?:es|ocupa|tiene) (?:el )?{WD}"
                           r"(?: en la semana| de la semana)?"),
        ("weekday_number", rf"en que (?:lugar|posicion) (?:esta|va) (?:el )?{WD}(?: en la semana| de la semana)?"),
        ("count", rf"cuant(?:os|as) {UNITS_ES} (?:tiene|trae|hay en|hay dentro de|dura|contiene|son|componen|forman|"
                  rf"caben en|tienen) {OF_ES}(?: en total)?"),
        ("count", rf"{OF_ES} (?:tiene |trae )?cuant(?:os|as) {UNITS_ES}(?: tiene| trae| hay| dura)?"),
        ("count", rf"de cuant(?:os|as) {UNITS_ES} (?:es|consta|se compone|esta compuest[oa]) {OF_ES}"),
        ("count", rf"(?:tiene|trae) {OF_ES} {NUM} {UNITS_ES}"),
        ("count", rf"{OF_ES} (?:tiene|trae) {NUM} {UNITS_ES}"),
        ("count", rf"hay {NUM} {UNITS_ES} en {OF_ES}"),
        ("days_in_month", rf"cuantos dias (?:tiene|trae|hay en|dura|tuvo|tendra) {MOA}{YR_ES}{LEAP_ES}"),
        ("days_in_month", rf"{MOA}{YR_ES} (?:cuantos dias (?:tiene|trae|dura)|tiene cuantos dias){LEAP_ES}"),
        ("days_in_month", rf"de cuantos dias es {MOA}{YR_ES}{LEAP_ES}"),
        ("days_in_month", rf"cuanto dura {MOA}{YR_ES}{LEAP_ES}"),
        ("days_in_month", rf"(?:tiene|trae) {MOA}{YR_ES} {NUM} dias{LEAP_ES}"),
        ("days_in_month", rf"{MOA}{YR_ES} (?:tiene|trae) {NUM} dias{LEAP_ES}"),
        ("days_in_month", rf"hay {NUM} dias en {MOA}{YR_ES}{LEAP_ES}"),
        ("days_in_year", r"cuantos dias (?:tiene|tuvo|tendra|hay en|trae) (?:el ano )?(?P<year>\d{4})"),
        ("leap_year", rf"(?P<tense>es|fue|sera|era) (?:el ano )?{YEAR} (?:un ano )?bisiesto(?: o no)?"),
        ("leap_year", rf"(?:el ano )?{YEAR} (?P<tense>es|fue|sera|era) (?:un ano )?bisiesto(?: o no)?"),
        ("leap_year", rf"(?:el ano )?{YEAR} (?:es )?bisiesto o no"),
        ("leap_year", rf"(?P<tense>es|fue|sera|era) bisiesto (?:el ano )?{YEAR}(?: o no)?"),
        ("months_with_days", rf"cuantos meses (?:del ano |de un ano |tiene el ano )?tienen {NUM} dias"),
        ("months_with_days", rf"(?:que|cuales) meses tienen {NUM} dias"),
        ("months_with_days", rf"(?:que|cual) mes tiene (?:solo |solamente )?{NUM} dias"),
        ("months_with_days", rf"cuales son los meses (?:que tienen|de|con) {NUM} dias"),
        ("shortest_month", r"(?:cual|que) es el mes mas corto(?: del ano)?"),
        ("shortest_month", r"(?:que|cual) mes es el mas corto(?: del ano)?"),
        ("shortest_month", r"(?:que|cual) mes tiene menos dias"),
        ("days_of_week", r"(?:(?:cuales|que) son |nombra |enumera |di |lista |recita )?(?:todos )?los (?:siete |7 )?"
                         r"dias de la semana(?: en orden)?"),
        ("months_of_year", r"(?:(?:cuales|que) son |nombra |enumera |di |lista |recita )?(?:todos )?los (?:doce |12 )?"
                           r"meses del ano(?: en orden)?"),
    ],
}
_COMPILED = [(lang, kind, re.compile(p)) for lang, rows in PATTERNS.items() for kind, p in rows]
_CALENDAR_WORDS = re.compile(rf"day|dia|week|semana|month|mes|year|ano|leap|bisiest|fortnight|quincena|{_MONTHS}")
_LEAD = re.compile(
    r"^(?:(?:hey|hi|hello|ok|okay|oh|so|um|uh|well|and|hola|oye|oiga|eh|bueno|pues|vale|y|jarvis|please|por favor|"
    r"excuse me|sorry|perdona|perdon|disculpa|disculpe|quick question|una pregunta|a ver)\b|"
    r"(?:can|could|would|will) you(?: please)?(?: tell me| say)?\b|(?:do|would) you (?:happen to )?know(?: if)?\b|"
    r"tell me\b|i(?:'d| would) like to know\b|(?:i )?(?:want|wanna|need) to know\b|i wonder(?: if)?\b|"
    r"is it true that\b|"
    r"dime\b|digame\b|sabes(?: si)?\b|sabrias(?: decirme)?\b|me (?:dices|puedes decir|podrias decir|puede decir)\b|"
    r"(?:puedes|podrias) decirme\b|quiero saber(?: si)?\b|necesito saber\b|me gustaria saber\b|"
    r"es (?:verdad|cierto) que\b)\s*"
)
_TAIL = re.compile(r"\s+(?:please|por favor|jarvis|thanks|thank you|gracias)$")


def _clean(text: str) -> str:
    t = plain(text).replace("’", "'").replace("´", "'")
    t = re.sub(r"[¿¡!?.;:,\"()]+", " ", t)
    t = re.sub(r"\s+", " ", t).strip()
    for _ in range(6):
        before = t
        t = _TAIL.sub("", _LEAD.sub("", t)).strip()
        if t == before:
            break
    return t


def _number(said: str | None) -> int | None:
    """ "3", "three", "tres", "treinta y un" -> the number; None when it is not one."""
    if not said:
        return None
    said = re.sub(r"\b(?:un|una)$", "uno", said.strip())
    if said in ("a", "an", "uno", "one"):
        return 1
    for lang in ("en", "es"):
        digits = numbers_to_digits(said, lang).strip()
        if re.fullmatch(r"\d{1,6}", digits):
            return int(digits)
    return None


def _is_day(word: str) -> bool:
    return word.startswith(("day", "dia", "weekday"))


FORWARD = {"after", "following", "follows", "despues", "tras", "luego", "siguiente", "posterior", "sigue"}
WHEN = {"tomorrow": 1, "manana": 1, "yesterday": -1, "ayer": -1, "the day after tomorrow": 2, "pasado manana": 2,
        "the day before yesterday": -2, "anteayer": -2, "antier": -2, "antes de ayer": -2, "antes de anteayer": -3}
TENSE = {"is": "present", "es": "present", "was": "past", "fue": "past", "era": "past", "will": "future",
         "will be": "future", "sera": "future"}


def _arguments(kind: str, g: dict[str, str | None]) -> dict[str, Any] | None:
    """The tool's arguments for a matched question (None: it is not one the tool answers)."""
    x = g.get("x")
    if kind == "step":
        is_day = x in DAY_INDEX
        if any(g.get(k) and _is_day(str(g[k])) != is_day for k in ("unit", "units")):
            return None  # "what day comes after June"
        n = _number(g.get("n")) if g.get("n") else 1
        if n is None or not 1 <= n <= MAX_STEPS:
            return None
        forward = str(g["dir"]).split()[0] in FORWARD
        if is_day:
            return {"fact": "day_after" if forward else "day_before", "day": _day(DAY_INDEX[x], False), "n": n}
        return {"fact": "month_after" if forward else "month_before", "month": _month(MONTH_INDEX[str(x)], False),
                "n": n}
    if kind == "if_today":
        when = str(g["when"])
        n = WHEN.get(when)
        if n is None:
            future, past = _number(g.get("n") or g.get("n2")), _number(g.get("m"))
            n = future if future is not None else -past if past is not None else None
        if n is None or abs(n) > MAX_STEPS:
            return None
        return {"fact": "if_today", "day": _day(DAY_INDEX[str(x)], False), "n": n}
    if kind in ("nth_month", "nth_weekday", "month_number"):
        size = 7 if kind == "nth_weekday" else 12
        position = ORDINALS.get(str(g["ord"])) if g.get("ord") else _number(g.get("n")) if g.get("n") else None
        if kind == "month_number":
            args: dict[str, Any] = {"fact": kind, "month": _month(MONTH_INDEX[str(x)], False)}
            if position is not None:
                args["check"] = size if position == -1 else position
            return args
        if position == -1:
            if kind == "nth_month" and not g.get("of"):
                return None  # "what is the last month" may be the one before this
            return {"fact": kind, "last": True}
        if kind == "nth_weekday" and position is None and g.get("ord") is None and g.get("n") is None:
            position = 1  # "when does the week start"
        if position is None or not 1 <= position <= size:
            return None
        return {"fact": kind, "n": position}
    if kind == "weekday_number":
        return {"fact": kind, "day": _day(DAY_INDEX[str(x)], False)}
    if kind == "count":
        unit, of = UNIT_WORDS.get(str(g["unit"])), OF_WORDS.get(str(g["of"]))
        if (unit or "", of or "") not in COUNTS or (of == "month" and g.get("art") in ("the", "el", "la")):
            return None  # "how many days are in the month" asks about this one
        args = {"fact": kind, "unit": unit, "of": of}
        if g.get("n"):
            claimed = _number(g["n"])
            if claimed is None or of == "month":
                return None
            args["check"] = claimed
        return args
    if kind == "days_in_month":
        args = {"fact": kind, "month": _month(MONTH_INDEX[str(x)], False)}
        if g.get("year"):
            if not GREGORIAN <= int(str(g["year"])) <= 9999:
                return None
            args["year"] = int(str(g["year"]))
        elif g.get("kind"):
            args["leap"] = str(g["kind"]).startswith(("leap", "bisiesto"))
        if g.get("n"):
            claimed = _number(g["n"])
            if claimed is None:
                return None
            args["check"] = claimed
        return args
    if kind in ("days_in_year", "leap_year"):
        year = _number(g.get("year") or g.get("y"))
        if year is None or not GREGORIAN <= year <= 9999:
            return None
        args = {"fact": kind, "year": year}
        if kind == "leap_year":
            args["tense"] = TENSE.get(str(g.get("tense") or "is"), "present")
        return args
    if kind == "months_with_days":
        days = _number(g.get("n"))
        return {"fact": kind, "days": days} if days in (28, 30, 31) else None
    return {"fact": kind}


def calendar_fact(question: str, language: str | None = None) -> CalendarAnswer | None:
    """The answer to a whole-sentence calendar question ("What day comes after Tuesday?", "¿Cuántos días tiene
    febrero?"), or None when it is anything else (the clock or the model answers those).

    ``language`` (the turn's, "en"/"es") picks the answer's language; without it the question's does.
    """
    t = _clean(question)
    if not t or len(t) > 120 or not _CALENDAR_WORDS.search(t):
        return None
    for said, kind, rx in _COMPILED:
        m = rx.fullmatch(t)
        if m is None:
            continue
        args = _arguments(kind, m.groupdict())
        if args is None:
            continue
        lang = language if language in ("en", "es") else said
        try:
            text = answer(args, lang)
        except ToolError:
            continue
        return CalendarAnswer(args["fact"], {**args, "language": lang}, lang, text)
    return None


# ---------------------------------------------------------------------------------------------- the tool
_NAMED = re.compile(rf"\b(?:{_DAYS}|{_MONTHS})\b")
_SHAPE = re.compile(
    r"\b(?:after|before|follows?|precedes?|despues|antes|sigue|siguiente|anterior|number|numero|how many days|"
    r"how long|cuantos dias|cuanto dura|month of the year|mes del ano|day of the week|dia de la semana)\b"
)
_ALONE = re.compile(
    r"\b(?:leap years?|bisiest[oa]s?|fortnight|quincena|days of the week|months of the year|dias de la semana|"
    r"meses del ano|how many (?:days|weeks|months) (?:are )?(?:there )?in (?:a|an|one) (?:week|year|month)|"
    r"cuant[oa]s (?:dias|semanas|meses) (?:tiene|hay en) (?:un|una) (?:semana|ano|mes))\b"
)


class CalendarFactsTool(Tool):
    """Weekday and month order, days in a month or year, leap years (the Gregorian calendar, no clock)."""

    name = "calendar_facts"
    keywords = _ALONE.pattern  # see is_relevant
    description = (
        "Calendar facts: the weekday or month after or before another, the Nth month, how many days a month, "
        "week or year has, leap years. Use it for these instead of answering from memory (today's date is the "
        "clock's)."
    )
    parameters = {
        "type": "object",
        "properties": {
            "fact": {"type": "string", "description": "one of: " + ", ".join(FACTS)},
            "day": {"type": "string", "description": "a weekday, e.g. Tuesday or martes"},
            "month": {"type": "string", "description": "a month, e.g. June or junio"},
            "n": {"type": "integer", "description": "how many days or months after/before (default 1), or the "
                                                    "position for nth_month and nth_weekday"},
            "last": {"type": "boolean", "description": "nth_month / nth_weekday: the last one"},
            "year": {"type": "integer", "description": "days_in_month, days_in_year, leap_year: the year"},
            "leap": {"type": "boolean", "description": "days_in_month: in a leap year (true) or not (false)"},
            "unit": {"type": "string", "description": "count: days, weeks, months or hours"},
            "of": {"type": "string", "description": "count: week, year, leap year, common year, fortnight, day, "
                                                    "month"},
            "days": {"type": "integer", "description": "months_with_days: 28, 30 or 31"},
            "check": {"type": "integer", "description": "a number the user said, to confirm or correct"},
            "language": {"type": "string", "description": "the answer's language: en or es"},
        },
        "required": ["fact"],
    }

    def is_relevant(self, text: str) -> bool:
        """A weekday or month named with an order or count word, or a leap year, a fortnight, the days of the
        week ("remind me on Monday" names a day but asks no calendar fact)."""
        return _ALONE.search(text) is not None or (
            _NAMED.search(text) is not None and _SHAPE.search(text) is not None
        )

    def run(self, args: dict[str, Any]) -> ToolResult:
        """The answer sentence; ``data`` holds the fact and the language."""
        lang = "es" if str(args.get("language") or "").lower().startswith("es") else "en"
        text = answer(args, lang)
        fact = plain(str(args.get("fact"))).strip().replace(" ", "_").replace("-", "_")
        return ToolResult(text, {"fact": fact, "language": lang})
