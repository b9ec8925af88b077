"""Number words to digits in English and Spanish ("twenty five" -> 25, "treinta y cinco" -> 35,
"two point five" -> 2.5, "dos mil quinientos" -> 2500, "tres cuartos de hora" -> 0.75 hora),
durations ("ten minutes", "media hora", "1 h 30 min") to seconds, and exact numbers as said.

:func:`numbers_to_digits` is what the instant path gives the calculator and reads durations with;
:func:`words_to_digits` (whole numbers only, tokens re-joined) reads alarm times ("a las siete")."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
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
DURATION_ONLY = re.compile(rf"(?:{DURATION.pattern}|\band\b|\by\b|,|\s)+")


def duration_seconds(text: str, language: str | None = None) -> float | None:
    """Seconds named in ``text`` ("10 minutes", "1 h 30 min", "media hora"), or None."""
    t = re.sub(r"(?<=\d)-(?=[a-z])", " ", numbers_to_digits(plain(text), language))  # "5-minute"
    total = 0.0
    found = False
    for m in DURATION.finditer(t):
        n = float(m.group(1).replace(",", "."))
        unit = m.group(2)
        factor = 3600 if unit.startswith(("h", "hora")) else 60 if unit.startswith("m") else 1
        total += n * factor
        found = True
    return total if found and total > 0 else None


def duration_only(text: str, language: str | None = None) -> float | None:
    """Seconds when all of ``text`` is a duration ("two and a half minutes", "hora y media"), else None
    ("ten minutes and tell me a joke" is more than a duration)."""
    t = re.sub(r"(?<=\d)-(?=[a-z])", " ", numbers_to_digits(plain(text), language)).strip()
    if not DURATION_ONLY.fullmatch(t):
        return None
    return duration_seconds(t)


# ---------------------------------------------------------------------------------------- any number said
EN_NUMBERS = {w: n for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
ES_NUMBERS = {w: n for n, w in enumerate(
    "cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince dieciseis "
    "diecisiete dieciocho diecinueve veinte veintiuno veintidos veintitres veinticuatro veinticinco veintiseis "
    "veintisiete veintiocho veintinueve".split())} | {"veintiun": 21}
EN_TENS = {"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
HUNDREDS_ES = {"cien": 100, "ciento": 100} | {
    f"{w}{end}": n for w, n in (("doscient", 200), ("trescient", 300), ("cuatrocient", 400), ("quinient", 500),
                                ("seiscient", 600), ("setecient", 700), ("ochocient", 800), ("novecient", 900))
    for end in ("os", "as")
}
SCALES = {"thousand": 1000, "mil": 1000, "million": 10**6, "millon": 10**6, "millones": 10**6}
ARTICLES = {"a", "an", "un", "una"}
# singular unit names an article counts as "1" before ("an hour", "un kilo"); "a" before a Spanish
# plural ("pasa diez millas a kilometros") is a preposition
EN_UNITS = set("second minute hour day week meter metre kilometer kilometre centimeter millimeter mile foot inch "
               "yard kilo kilogram gram pound ounce liter litre milliliter gallon cup degree byte kilobyte "
               "megabyte gigabyte".split())
ES_UNITS = set("segundo minuto hora dia semana metro kilometro centimetro milimetro milla pie pulgada yarda kilo "
               "kilogramo gramo libra onza litro mililitro galon taza grado".split())
SINGULAR_UNITS = EN_UNITS | ES_UNITS
PLURAL_UNITS = {u + "s" for u in SINGULAR_UNITS} | {"feet", "inches", "galones", "horas", "dias", "semanas"}
FRACTION_WORDS = {"half": Fraction(1, 2), "quarter": Fraction(1, 4), "quarters": Fraction(1, 4),
                  "cuarto": Fraction(1, 4), "cuartos": Fraction(1, 4)}
AFTER_UNIT = {("and", "a", "half"): Fraction(1, 2), ("and", "a", "quarter"): Fraction(1, 4),
              ("y", "media"): Fraction(1, 2), ("y", "medio"): Fraction(1, 2), ("y", "cuarto"): Fraction(1, 4),
              ("and", "three", "quarters"): Fraction(3, 4), ("y", "tres", "cuartos"): Fraction(3, 4),
              ("and", "half"): Fraction(1, 2)}  # "the hour and half": speech recognition drops the "a"
NUMBER_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[a-z]+")


def numbers_to_digits(text: str, language: str | None = None) -> str:
    """``text`` (accent-free lower case) with every number said in words written in digits, the rest
    as it was: "fifteen percent of two hundred" -> "15 percent of 200", "dos coma cinco" -> "2.5",
    "an hour and a half" -> "1.5 hour", "tres cuartos de hora" -> "0.75 hora". ``language`` "en"
    leaves the Spanish "once" (11) alone."""
    found = [(m.group(), m.start(), m.end()) for m in NUMBER_TOKEN.finditer(text)]
    words = [w for w, _, _ in found]
    linked = [i > 0 and text[found[i - 1][2]:start].strip(" -") == "" for i, (_, start, _) in enumerate(found)]
    reader = _Reader(words, linked, language)
    out, pos, i = [], 0, 0
    while i < len(words):
        tail = _tail_at(words, i)
        if tail and i > 0 and words[i - 1] in SINGULAR_UNITS | PLURAL_UNITS:  # "an hour and a half"
            i += tail
            continue
        value, j = reader.read(i)
        if j > i and not (j == i + 1 and words[i][0].isdigit()):
            out += [text[pos:found[i][1]], _digits(value)]
            pos = found[j - 1][2]
            i = j
        else:
            i += 1
    return _after_unit("".join(out) + text[pos:])


def _tail_at(words: list[str], i: int) -> int:
    """How many words "and a half" / "y media" ... at ``i`` takes (0: none)."""
    for tail in AFTER_UNIT:
        if tuple(words[i:i + len(tail)]) == tail:
            return len(tail)
    return 0


def _after_unit(text: str) -> str:
    """ "1 hour and a half" -> "1.5 hour"; "hora y media" -> "1.5 hora"; "2 horas y cuarto" -> "2.25 horas"."""
    units = "|".join(sorted(SINGULAR_UNITS | PLURAL_UNITS, key=len, reverse=True))
    tails = "|".join(" ".join(k) for k in AFTER_UNIT)

    def joined(m: re.Match[str]) -> str:
        n = Fraction(m.group(1)) if m.group(1) else Fraction(1)
        return f"{_digits(n + AFTER_UNIT[tuple(m.group(3).split())])} {m.group(2)}"

    return re.sub(rf"(?:\b(\d+(?:\.\d+)?) )?\b({units}) ({tails})\b", joined, text)


def _digits(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return format((Decimal(value.numerator) / Decimal(value.denominator)).normalize(), "f")


class _Reader:
    """Reads one number phrase from a list of words (``linked``: joined to the word before by spaces or
    a hyphen only); ``read`` returns (value, index after it), the index unchanged when there is none."""

    def __init__(self, words: list[str], linked: list[bool], language: str | None) -> None:
        self.words, self.linked = words, linked
        self.small = EN_NUMBERS | ES_NUMBERS
        if language == "en":
            self.small = {w: n for w, n in self.small.items() if w != "once"}
        self.tens = TENS_WORDS

    def _after(self, word: str, j: int) -> bool:
        return j > 0 and self.linked[j] and self.words[j - 1] == word  # "por ciento" is "percent"

    def at(self, j: int) -> str:
        """The word at ``j`` when it continues the phrase, else ""."""
        return self.words[j] if j < len(self.words) and self.linked[j] else ""

    def read(self, i: int) -> tuple[Fraction, int]:
        value, j = self.integer(i)
        if j == i:
            return self.fraction_alone(i)
        if self.at(j) in ("point", "coma", "punto") and value.denominator == 1:
            decimals, k = self.decimals(j + 1)
            if decimals:
                value, j = Fraction(f"{value}.{decimals}"), k
        if self.at(j) in FRACTION_WORDS:  # "a half", "three quarters of an hour", "un cuarto de hora"
            value, j = value * FRACTION_WORDS[self.at(j)], j + 1
            if self.at(j) in ("of", "de") and (self.at(j + 1) in SINGULAR_UNITS or (
                    self.at(j + 1) in ARTICLES and self.at(j + 2) in SINGULAR_UNITS)):
                j += 2 if self.at(j + 1) in ARTICLES else 1
            elif self.at(j) in ("a", "an") and self.at(j + 1) in SINGULAR_UNITS:  # "one half an hour"
                j += 1
        for tail, part in AFTER_UNIT.items():  # "two and a half", "dos y medio"
            if all(self.at(j + k) == w for k, w in enumerate(tail)):
                value, j = value + part, j + len(tail)
                break
        if self.at(j) in ("dozen", "docena", "docenas"):
            value, j = value * 12, j + 1
        return value, j

    def fraction_alone(self, i: int) -> tuple[Fraction, int]:
        """ "half an hour", "half a kilo", "media hora", "medio kilo", "an hour" (1), "point five"."""
        w, nxt = self.words[i], self.at(i + 1)
        if w in ("half", "medio", "media"):
            if nxt in ("a", "an") and self.at(i + 2) in SINGULAR_UNITS:
                return Fraction(1, 2), i + 2
            if nxt in SINGULAR_UNITS:
                return Fraction(1, 2), i + 1
        if nxt in (EN_UNITS if w in ("a", "an") else ES_UNITS if w in ("un", "una") else ()):
            if nxt == "second" and self.at(i + 2) in ("timer", "alarm", "reminder", "one", "time", "countdown"):
                return Fraction(0), i
            return Fraction(1), i + 1
        if w == "point":
            decimals, k = self.decimals(i + 1)
            if decimals:
                return Fraction(f"0.{decimals}"), k
        return Fraction(0), i

    def decimals(self, j: int) -> tuple[str, int]:
        """The digits after "point" / "coma": "five" -> "5", "one four" -> "14", "veinticinco" -> "25"."""
        digits = ""
        while self.at(j) and (self.small.get(self.at(j), 10) < 10 or self.at(j).isdigit()):
            digits += str(self.small.get(self.at(j), self.at(j)))
            j += 1
        if not digits and self.at(j) and self.at(j) not in ARTICLES:
            value, k = self.integer(j)
            if k > j and value.denominator == 1:
                return str(value), k
        return digits, j

    def integer(self, i: int) -> tuple[Fraction, int]:
        """A whole number said in words (or digits before "hundred"/"thousand"/"and a half")."""
        total, current, last, j = 0, Fraction(0), "", i
        while j < len(self.words) and (j == i or self.linked[j]):
            w = self.words[j]
            nxt = self.at(j + 1)
            if w[0].isdigit() and not last:
                if re.fullmatch(r"\d+,\d{3}", w):
                    current = Fraction(w.replace(",", ""))
                else:
                    current = Fraction(w.replace(",", "."))
                last = "digits"
            elif w in self.small:
                n = self.small[w]
                if n < 10 and last in ("", "tens_en", "hundred", "scale", "y"):
                    pass
                elif n >= 10 and last in ("", "hundred", "scale"):
                    pass
                else:
                    break
                current += n
                last = "unit" if n < 10 else "teen"
            elif w in self.tens and last in ("", "hundred", "scale"):
                current += self.tens[w]
                last = "tens_en" if w in EN_TENS else "tens"
            elif w == "y" and last in ("tens", "tens_en") and 0 < self.small.get(nxt, 10) < 10:
                last = "y"
            elif w == "and" and last in ("hundred", "scale") and (nxt in self.tens or nxt in EN_NUMBERS):
                last = "scale" if last == "scale" else "hundred"
            elif w in ("hundred", "hundreds") and last in ("unit", "teen", "digits", "article") and current < 100:
                current = (current or 1) * 100
                last = "hundred"
            elif w in HUNDREDS_ES and last in ("", "scale") and not (w == "ciento" and self._after("por", j)):
                current += HUNDREDS_ES[w]
                last = "hundred"
            elif w in SCALES and (last in ("unit", "teen", "tens", "tens_en", "hundred", "digits", "article")
                                  or (w == "mil" and not last)):
                total += (current or 1) * SCALES[w]
                current, last = Fraction(0), "scale"
            elif w in ARTICLES and not last and (nxt in FRACTION_WORDS or nxt in ("dozen", "docena")):
                return Fraction(1), j + 1  # "a half", "un cuarto", "a dozen"
            elif w in ARTICLES and not last and (nxt in SCALES or nxt == "hundred"):
                last = "article"
            else:
                break
            j += 1
        if last in ("", "article", "y"):
            return Fraction(0), i
        return total + current, j


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
