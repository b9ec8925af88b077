"""Rule-based corrections of common A1-A2 Spanish mistakes (gender, conjugation, gustar, word choice).

Small local models (Qwen2.5 0.5B/1.5B) rarely point out a learner's mistakes reliably, so the tutor
checks these patterns itself; each finding names its kind: ``grammar`` or ``vocabulary``.
"""

from __future__ import annotations

import re

from jarvis.tutor.feedback import Correction

# Nouns a restaurant / everyday scenario needs, with their gender.
_FEMININE = frozenset(
    "cerveza sopa ensalada carne paella mesa cuenta carta cena comida bebida tortilla tarta fruta leche "
    "naranja botella copa taza cuchara servilleta reserva tapa patata hamburguesa pizza salsa".split()
)
_MASCULINE = frozenset(
    "vino pollo pescado postre café plato menú flan pan zumo helado queso jamón arroz filete vaso "
    "tenedor cuchillo camarero bocadillo refresco té chocolate".split()
)
_ARTICLE_FOR = {("el", "f"): "la", ("la", "m"): "el", ("un", "f"): "una", ("una", "m"): "un"}

# "yo" + a third-person form -> the first-person form.
_YO = {
    "quiere": "quiero", "tiene": "tengo", "es": "soy", "está": "estoy", "puede": "puedo", "come": "como",
    "bebe": "bebo", "prefiere": "prefiero", "necesita": "necesito", "va": "voy", "hace": "hago",
    "pide": "pido", "toma": "tomo", "vive": "vivo", "habla": "hablo", "quieres": "quiero", "tienes": "tengo",
}
_NEEDS_TENER = {"hambre", "sed", "frío", "calor", "prisa", "sueño"}
# English words a learner drops into a Spanish sentence.
_ENGLISH = {
    "please": "por favor", "thanks": "gracias", "water": "agua", "beer": "cerveza", "wine": "vino",
    "chicken": "pollo", "fish": "pescado", "bill": "la cuenta", "check": "la cuenta", "menu": "la carta",
    "dessert": "postre", "coffee": "café", "bread": "pan", "salad": "ensalada", "soup": "sopa",
    "meat": "carne", "table": "mesa", "glass": "vaso",
}
_WORD = re.compile(r"[a-záéíóúüñ]+", re.IGNORECASE)


def _gender(noun: str) -> str | None:
    if noun in _FEMININE:
        return "f"
    if noun in _MASCULINE:
        return "m"
    return None


def spanish_corrections(text: str) -> list[Correction]:
    """The mistakes found in ``text`` (a learner's Spanish), in the order they appear."""
    words = _WORD.findall(text.lower())
    found: list[Correction] = []
    for i, (a, b) in enumerate(zip(words, words[1:], strict=False)):
        gender = _gender(b)
        if gender and (a, gender) in _ARTICLE_FOR:
            right = _ARTICLE_FOR[(a, gender)]
            what = "feminine" if gender == "f" else "masculine"
            found.append(Correction("grammar", f"{a} {b}", f"{right} {b}", f"'{b}' is {what}"))
        if a == "yo" and b in _YO:
            found.append(Correction("grammar", f"yo {b}", f"yo {_YO[b]}", "first person of the verb"))
        if a in ("estoy", "soy", "es", "está") and b in _NEEDS_TENER:
            right = "tengo" if a in ("estoy", "soy") else "tiene"
            found.append(Correction("vocabulary", f"{a} {b}", f"{right} {b}", f"'{b}' goes with tener"))
        if a == "gusta" and i > 0 and words[i - 1] in ("me", "te", "le", "nos") and b in ("los", "las"):
            found.append(Correction("grammar", f"{words[i - 1]} gusta {b}", f"{words[i - 1]} gustan {b}",
                                    "gustar agrees with what is liked (plural)"))
    seen = set()
    for w in words:
        if w in _ENGLISH and w not in seen:
            seen.add(w)
            found.append(Correction("vocabulary", w, _ENGLISH[w], "say it in Spanish"))
    return found


RULES = {"es": spanish_corrections}


def rule_corrections(text: str, language: str) -> list[Correction]:
    """Rule-based corrections of ``text`` in ``language`` (none for a language without rules)."""
    check = RULES.get(language)
    return check(text) if check is not None else []
