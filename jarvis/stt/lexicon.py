"""Is each word of a transcript a word of its language? (the ``wordfreq`` word lists)

whisper-base, unsure of a voice it does not know, writes words nobody says: "¿Cuántos quince más
rintisiete?", "¿Cuál es el símbolo químico del soñón?". A model then answers the made-up word
("El símbolo químico del soñón es O."). :func:`unknown_words` finds such words: a word is known when
the language's large ``wordfreq`` list has it at all (Zipf frequency 1, once in a billion words, or
more). Those lists come from subtitles, Wikipedia, books and the web, so they hold names, brands and
borrowed words as well; a misspelt word is unknown only when nobody writes it.

A language without a list, or ``wordfreq`` not installed, knows every word (nothing is refused).
"""

from __future__ import annotations

import logging
import re
import threading

log = logging.getLogger(__name__)

#: A word this rare (Zipf scale: log10 of uses per billion words, plus 9) or rarer is not a word.
KNOWN_ZIPF = 1.0
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*", re.UNICODE)
_SENTENCE_START = re.compile(r"(?:^|[.!?¿¡])[\s\"'«(¿¡]*$")  # what may come before a sentence's first word
_lock = threading.Lock()
_lists: dict[str, bool] = {}  # language -> has a list (loaded)


def has_list(language: str | None) -> bool:
    """True when ``language`` has a word list to check against (loading it on first use, ~0.2 s)."""
    if not language:
        return False
    with _lock:
        if language not in _lists:
            _lists[language] = _load(language)
        return _lists[language]


def _load(language: str) -> bool:
    try:
        import wordfreq
    except ImportError:
        log.warning("wordfreq is not installed: transcripts are not checked for made-up words")
        return False
    if language not in wordfreq.available_languages(wordlist="large"):
        return False
    wordfreq.get_frequency_dict(language, wordlist="large")  # cached by wordfreq from here on
    return True


def preload(languages: tuple[str, ...] | list[str]) -> None:
    """Load the word lists of ``languages`` now, so a turn never waits for them."""
    for code in languages:
        has_list(code)


def unknown_words(text: str, language: str | None) -> list[str]:
    """The words of ``text`` that ``language``'s word list does not have (lower case, in order).

    A capitalised word inside a sentence is a name and is never unknown: the lists are years old
    ("Zelenskyy", "Ollama" are not in them), and the recogniser writes a name it heard capitalised.
    """
    if not has_list(language):
        return []
    from wordfreq import zipf_frequency

    unknown = []
    for m in _WORD.finditer(text):
        word = m.group(0)
        if word[0].isupper() and not _SENTENCE_START.search(text[:m.start()]):
            continue
        if zipf_frequency(word.lower(), language, wordlist="large") < KNOWN_ZIPF:
            unknown.append(word.lower())
    return unknown
