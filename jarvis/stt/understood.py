"""Is a transcript language at all? A voice turn that is not gets "didn't catch that", never an answer.

Whisper, on unclear or accented speech, sometimes writes text that is not what anyone said:
digit loops ("1.5.5.5.5.5.5"), letter runs ("1.SL-L-L-N-T-P-C"), strings of made-up words. An
answer to those is always wrong; asking again is right. These checks look at the text alone (the
recogniser's own confidence checks run before, in :mod:`jarvis.stt.faster_whisper_backend`), and
they err on the side of answering: a short real question must never be refused.
"""

from __future__ import annotations

import re

from jarvis.stt.lexicon import unknown_words

#: What Jarvis says instead of answering a transcript that is not language.
DIDNT_CATCH = {
    "en": "Sorry, I didn't catch that. Could you say it again?",
    "es": "Perdona, no te he entendido. ¿Puedes repetirlo?",
}

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_VOWELS = set("aeiouyáéíóúüàèìòùâêîôûäëïöå")
_REPEAT = re.compile(r"(.{1,4}?)\1{4,}")  # one short unit said five times in a row: "5.5.5.5.5."
_LETTER_RUN = re.compile(r"(?:\b[^\W\d_][-.]){4,}", re.UNICODE)  # "L-L-N-T-" / "S.L.L.N."


#: Below this mean token log-probability the recogniser was guessing: whisper-base on espeak-ng's voice
#: (bench/voice_eval.py questions) wrote 21 of its 51 bad transcripts below it and 6 of its 91 good
#: ones; Jarvis's own voices and the recorded questions never went below -0.45, long read Spanish
#: (LibriVox) sits at -0.6.
MIN_LOGPROB = -0.8

#: A question only a model can answer needs a surer transcript: the instant answers and the grounded
#: facts take misheard forms in their stride ("what is the capital on France"), a model answers the
#: words it got ("how many drums are with a cute drum" -> "There are 2 drums..."). Measured on the
#: eval's 192 questions (whisper-base, model-bound transcripts only): between -0.8 and -0.7 sat 12 bad
#: transcripts of espeak-ng's Spanish voice and 5 good ones, 3 bad of its English voice and no good
#: one; of Jarvis's own voices 1 bad and none of their 119 good ones.
MIN_LOGPROB_FOR_MODEL = -0.7


#: ... and an unsure transcript (mean token log-probability under this) with a word its language does
#: not have (jarvis.stt.lexicon) was misheard: "¿Cuántos quince más rintisiete?" (-0.61), "¿Cuáles el
#: símbolo químico del soñón?" (-0.54). On the eval's and held-out questions (384 transcripts: both
#: files, espeak-ng's and Jarvis's voices, whisper-base) between this bar and -0.7 it finds 17 of
#: espeak-ng's 96 bad transcripts and 4 of Jarvis's voices' 67, and none of the 161 good ones (none
#: of the good ones has a made-up word at any confidence); a word said clearly is never checked.
MAX_LOGPROB_WITH_UNKNOWN_WORD = -0.3


def sure_enough(logprob: float | None, *, for_model: bool = False) -> bool:
    """False when the recogniser's own confidence says it was guessing (None: not known, trusted).

    ``for_model``: the transcript goes to a model (no instant answer, no grounded fact), which
    needs the surer bar :data:`MIN_LOGPROB_FOR_MODEL`.
    """
    return logprob is None or logprob >= (MIN_LOGPROB_FOR_MODEL if for_model else MIN_LOGPROB)


def made_up_words(text: str, language: str | None, logprob: float | None) -> list[str]:
    """The words of ``text`` its ``language`` does not have, when the recogniser was unsure of it; else [].

    A typed line (``logprob`` None) or a sure transcript is never checked: names and rare words said
    clearly are the user's words, not the recogniser's guesses.
    """
    if logprob is None or logprob >= MAX_LOGPROB_WITH_UNKNOWN_WORD:
        return []
    return unknown_words(text, language)


def didnt_catch(language: str | None) -> str:
    """The "please say it again" line in ``language`` (English when it has none)."""
    return DIDNT_CATCH.get(language or "en", DIDNT_CATCH["en"])


def is_language(text: str) -> bool:
    """False when ``text`` looks like a recogniser's noise rather than something a person said."""
    t = text.strip()
    if not t:
        return False
    compact = re.sub(r"\s+", "", t)
    if len(compact) >= 10 and _REPEAT.search(compact) and not _WORD.search(_REPEAT.sub("", compact)):
        return False  # nothing but a repeated unit
    if _LETTER_RUN.search(t):
        return False
    words = _WORD.findall(t)
    if not words:
        # digits and symbols only: a short number is an answer ("42"), a long string is noise
        return 0 < len(re.sub(r"\D", "", t)) <= 6 and not _REPEAT.search(compact)
    letters = sum(len(w) for w in words)
    if len(compact) >= 8 and letters / len(compact) < 0.5:
        return False  # mostly digits and symbols around a letter or two
    singles = sum(1 for w in words if len(w) == 1 and w.lower() not in {"a", "i", "y", "o", "e", "u"})
    if len(words) >= 4 and singles / len(words) > 0.5:
        return False
    long_words = [w.lower() for w in words if len(w) >= 3]
    voweless = sum(1 for w in long_words if not _VOWELS.intersection(w))
    if long_words and voweless / len(long_words) > 0.5:
        return False
    return True
