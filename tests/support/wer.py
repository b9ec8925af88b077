"""Word error rate with a light normalisation (case, punctuation, hyphens, a few abbreviations, digits)."""

from __future__ import annotations

import re
import unicodedata

_ABBREVIATIONS = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint"}
_DIGITS_EN = "zero one two three four five six seven eight nine ten".split()
_DIGITS_ES = "cero uno dos tres cuatro cinco seis siete ocho nueve diez".split()


def normalise(text: str, language: str = "en") -> list[str]:
    """Words of ``text``: lower case, no punctuation, hyphens split, 'Mr' -> 'mister', '3' -> 'three'."""
    text = unicodedata.normalize("NFC", text.lower())
    text = re.sub(r"[-‐–—]", " ", text)
    text = re.sub(r"[^\w\s']", " ", text)
    digits = _DIGITS_ES if language == "es" else _DIGITS_EN
    words = []
    for word in text.split():
        word = word.strip("'")
        if not word:
            continue
        if word.isdigit() and int(word) <= 10:
            word = digits[int(word)]
        words.append(_ABBREVIATIONS.get(word, word) if language == "en" else word)
    return words


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance between two word lists."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def wer(reference: str, hypothesis: str, language: str = "en") -> float:
    """Word error rate of ``hypothesis`` against ``reference`` after :func:`normalise`."""
    ref, hyp = normalise(reference, language), normalise(hypothesis, language)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)


def corpus_wer(pairs: list[tuple[str, str]], language: str = "en") -> float:
    """Total edits over total reference words for (reference, hypothesis) pairs."""
    edits = words = 0
    for ref, hyp in pairs:
        r, h = normalise(ref, language), normalise(hyp, language)
        edits += edit_distance(r, h)
        words += len(r)
    return edits / words if words else 0.0
