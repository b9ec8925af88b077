"""Languages: a cheap guess for typed text (stopwords and letters) and each code's English name.

Spoken turns get their language from the recogniser; the guess is for keyboard turns and replies
(the voice to speak them, the language to answer in, which way a memory is translated). Stdlib only.
"""

from __future__ import annotations

import re

# English names of the language codes Jarvis meets (prompts name the language: "Answer in Spanish").
NAMES: dict[str, str] = {
    "en": "English", "es": "Spanish", "fr": "French", "de": "German", "it": "Italian", "pt": "Portuguese",
    "ja": "Japanese", "zh": "Chinese",
}

_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)

_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and is are was were you your it this that of to in for with on not be have has do does what "
        "how why when where which who can will would should i my me we our they he she a an at from "
        "there here yes please thanks".split()
    ),
    "es": frozenset(
        "el la los las un una unos unas y es son está están de del en por para con que qué no sí "
        "como cómo cuando cuándo donde dónde quién por qué yo tú usted mi tu su nos hay muy pero "
        "más también hola gracias esto este esta eso al se lo le".split()
    ),
    "fr": frozenset(
        "le la les un une des et est sont de du en pour avec que qui ne pas oui je tu vous il elle "
        "nous ils mon ton son au aux ce cette bonjour merci très mais".split()
    ),
    "de": frozenset(
        "der die das und ist sind ein eine nicht ich du sie wir ihr mit von zu auf für was wie "
        "warum wo ja nein danke bitte auch aber dem den des".split()
    ),
    "it": frozenset(
        "il lo la gli le un una e è sono di del della in per con che non sì io tu lei noi come "
        "perché dove ciao grazie anche ma molto questo questa".split()
    ),
    "pt": frozenset(
        "o a os as um uma e é são de do da em para com que não sim eu você ele ela nós como "
        "porque onde olá obrigado também mas muito isso este esta".split()
    ),
}

# Letters (and marks) that point to one language.
_MARKS: dict[str, str] = {"ñ": "es", "¿": "es", "¡": "es", "ã": "pt", "õ": "pt", "ç": "pt", "ß": "de"}


def guess_language(text: str, default: str = "en") -> str:
    """Best guess of the language of ``text`` ("en", "es", "fr", "de", "it", "pt"), else ``default``."""
    lowered = text.lower()
    scores = dict.fromkeys(_STOPWORDS, 0.0)
    for word in _WORDS.findall(lowered):
        for lang, words in _STOPWORDS.items():
            if word in words:
                scores[lang] += 1.0
    for mark, lang in _MARKS.items():
        scores[lang] += 2.0 * lowered.count(mark)
    best = max(scores.values())
    if best <= 0:
        return default
    leaders = [lang for lang, score in scores.items() if score == best]
    if len(leaders) > 1:
        return default if default in leaders else leaders[0]
    return leaders[0]
