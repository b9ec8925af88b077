"""Number words to digits in English and Spanish ("twenty five" -> 25, "treinta y cinco" -> 35),
durations ("ten minutes", "media hora", "1 h 30 min") to seconds, and exact numbers as said."""

from __future__ import annotations

import re
from typing import Any

from jarvis.tools.clock import plain

UNITS_WORDS = {
    "zero": 0, "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "cero": 0, "uno": 1, "un": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14,
    "quince": 15, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19, "veinte": 20,
    "veintiuno": 21, "veintiun": 21, "veintidos": 22, "veintitres": 23, "veinticuatro": 24, "veinticinco": 25,
    "veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
}
TENS_WORDS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70,
    "ochenta": 80, "noventa": 90,
}
HUNDRED_WORDS = {"hundred": 100, "cien": 100, "ciento": 100}
FRACTIONS = [  # phrases that are a number of seconds on their own
    (r"\b(half an hour|half hour|media hora)\b", "1800 seconds"),
    (r"\b(a quarter of an hour|quarter of an hour|quarter hour|un cuarto de hora|cuarto de hora)\b", "900 seconds"),
    (r"\b(an hour and a half|hora y media)\b", "5400 seconds"),
]
WORD = re.compile(r"[a-z]+")


def words_to_digits(text: str) -> str:
    """Replace runs of number words with digits; other words stay (accents removed, lower case)."""
    tokens = re.findall(r"[a-z]+|\d+(?:[.,:]\d+)?|[^a-z\d\s]+", plain(text).replace("-", " "))
    out: list[str] = []
    i = 0
    while i < len(tokens):
        value, used = _number_at(tokens, i)
        if used:
            out.append(str(value))
            i += used
        else:
            out.append(tokens[i])
            i += 1
    return " ".join(out)


def _number_at(tokens: list[str], i: int) -> tuple[int, int]:
    """(value, tokens used) of a number phrase starting at ``i`` (used 0 when there is none)."""
    total, used = 0, 0
    j = i
    if j < len(tokens) and tokens[j] in HUNDRED_WORDS:
        total, j = 100, j + 1
    elif j + 1 < len(tokens) and tokens[j] in UNITS_WORDS and tokens[j + 1] == "hundred":
        total, j = UNITS_WORDS[tokens[j]] * 100, j + 2
    if total and j < len(tokens) and tokens[j] == "and":
        j += 1
    if j < len(tokens) and tokens[j] in TENS_WORDS:
        total += TENS_WORDS[tokens[j]]
        j += 1
        if j + 1 < len(tokens) and tokens[j] == "y" and tokens[j + 1] in UNITS_WORDS:
            total += UNITS_WORDS[tokens[j + 1]]
            j += 2
        elif j < len(tokens) and tokens[j] in UNITS_WORDS and UNITS_WORDS[tokens[j]] < 10 and tokens[j] not in (
            "a", "an", "un", "una"
        ):
            total += UNITS_WORDS[tokens[j]]
            j += 1
    elif j < len(tokens) and tokens[j] in UNITS_WORDS:
        word = tokens[j]
        # "a"/"an"/"un"/"una" count only before a unit of time ("a minute", "una hora")
        if word in ("a", "an", "un", "una") and not (j + 1 < len(tokens) and _is_time_unit(tokens[j + 1])):
            return (total, j - i) if total else (0, 0)
        total += UNITS_WORDS[word]
        j += 1
    used = j - i
    return (total, used) if used else (0, 0)


def _is_time_unit(word: str) -> bool:
    return bool(re.fullmatch(r"(hours?|minutes?|seconds?|mins?|secs?|horas?|minutos?|segundos?|day|dia)", word))


DURATION = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s|horas?|minutos?|segundos?)\b"
)


def duration_seconds(text: str) -> float | None:
    """Seconds named in ``text`` ("10 minutes", "1 h 30 min", "media hora"), or None."""
    t = plain(text)
    for pattern, repl in FRACTIONS:
        t = re.sub(pattern, repl, t)
    t = words_to_digits(t)
    t = re.sub(r"(\d+) and a half (hours?|minutes?)", lambda m: f"{m.group(1)}.5 {m.group(2)}", t)
    t = re.sub(r"(\d+) (horas?|minutos?) y media", lambda m: f"{m.group(1)}.5 {m.group(2)}", t)
    total = 0.0
    found = False
    for m in DURATION.finditer(t):
        n = float(m.group(1).replace(",", "."))
        unit = m.group(2)
        factor = 3600 if unit.startswith(("h", "hora")) else 60 if unit.startswith("m") else 1
        total += n * factor
        found = True
    return total if found and total > 0 else None


def say_number(value: Any) -> str:
    """A number as a person says it: exact decimals when they end, else ~12 significant digits."""
    import sympy

    value = sympy.nsimplify(value) if value.is_Float else value
    if value.is_Integer:
        return str(int(value))
    if value.is_Rational:
        q = int(value.q)
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        if q == 1:  # a terminating decimal: print it exactly
            digits = len(str(int(value.q)))
            text = f"{sympy.N(value, digits + len(str(abs(int(value)))) + 2)}"
            return text.rstrip("0").rstrip(".") if "." in text else text
    approx = sympy.N(value, 12)
    if not approx.is_real:
        return str(approx)
    text = f"{float(approx):.10g}"
    return text
