"""Translations stored beside a memory: extra vectors that point to it. Pure (stdlib and records).

A fact told in Spanish is stored once more in English (and the other way round) as its own record:
id ``<memory id>~<language>``, metadata ``kind = "translation"`` and ``parent = <memory id>``. A
question in either language then meets a vector in its own language. Searches fold the records
back to memories (:func:`fold`): each memory once, with its original text and its best score.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from jarvis.language import guess_language
from jarvis.memory.base import Metadata, Record

KIND = "translation"
SEP = "~"
#: The languages a fact is translated between (each into the other).
LANGUAGES = ("en", "es")
#: Longer facts are not translated (a few sentences at most; the model's reply stays short).
MAX_CHARS = 400

# Words that tell Spanish from English in a short personal fact ("Soy alérgica a la penicilina." has
# too few of the voices' stopwords to be told apart): function words and common first-person verbs.
_HINTS = {
    "es": frozenset(
        "el la los las un una unos unas y o es son está están estoy soy eres era fue de del en por para "
        "con que mi mis tu tus su sus me te se nos lo le les al muy más pero como cuando donde yo tengo "
        "tiene vivo vive llama llamo trabajo trabaja nací desde hace peso mido hablo juego toco estudio "
        "prefiero odio quiero necesito uso tomo bebo corro nado acuesto levanto mudé da gusta encanta "
        "cada años hermano hermana madre padre hijo hija".split()
    ),
    "en": frozenset(
        "the an and or is are was were am i i'm my you your he she his her we our they their of to in on "
        "at for with from that this have has had do does don't live lives work works born called name "
        "since every years old like love hate brother sister mother father son daughter".split()
    ),
}
_ACCENTS = frozenset("áéíóúñ¿¡")
_WORD = re.compile(r"[^\W\d_]+(?:'[a-z]+)?", re.UNICODE)


def language_scores(text: str) -> dict[str, int]:
    """How many Spanish and English hints ``text`` holds (words, and accents for Spanish)."""
    words = _WORD.findall(text.lower())
    return {
        "es": sum(w in _HINTS["es"] for w in words) + sum(c in _ACCENTS for c in text.lower()),
        "en": sum(w in _HINTS["en"] for w in words),
    }


def fact_language(text: str) -> str | None:
    """"en", "es", or None (another language, or no telling) for a short fact."""
    other = guess_language(text, default="")
    if other not in ("", *LANGUAGES):
        return None  # French, German, Italian, Portuguese: not translated
    scores = language_scores(text)
    es, en = scores["es"], scores["en"]
    if es == en:
        return other or None
    return "es" if es > en else "en"


def translation_id(parent: str, language: str) -> str:
    """The id of ``parent``'s translation into ``language``."""
    return f"{parent}{SEP}{language}"


def parent_of(record: Record) -> str | None:
    """The memory a translation record belongs to (None for a memory itself)."""
    if record.metadata.get("kind") != KIND:
        return None
    return str(record.metadata.get("parent") or "") or None


def is_translation(meta: Metadata) -> bool:
    """True for the metadata of a translation record."""
    return meta.get("kind") == KIND


def children(ids: Sequence[str]) -> list[str]:
    """Every translation id the memories ``ids`` may have."""
    return [translation_id(i, lang) for i in ids for lang in LANGUAGES]


def language_pair(text: str, language: str | None = None) -> tuple[str, str] | None:
    """(source, target) for a fact, or None when it is not translated (other language, too long).

    ``language`` (e.g. what the recogniser heard) wins over the guess from the words.
    """
    if not text.strip() or len(text) > MAX_CHARS:
        return None
    source = (language or "").split("-")[0].lower() or fact_language(text)
    if source not in LANGUAGES:
        return None
    target = next(lang for lang in LANGUAGES if lang != source)
    return source, target


def translation_metadata(parent: Record, language: str) -> Metadata:
    """Metadata of ``parent``'s translation into ``language`` (its time, so ties rank alike)."""
    meta: Metadata = {"kind": KIND, "parent": parent.id, "language": language, "source": "translation"}
    if "time" in parent.metadata:
        meta["time"] = parent.metadata["time"]
    return meta


def fold(records: Sequence[Record], fetch: Callable[[list[str]], list[Record]], k: int) -> list[Record]:
    """Search results (best first) as memories: a translation stands for its memory (original text,
    the translation's score); each memory once, at its best score; at most ``k``. A translation whose
    memory is gone is dropped."""
    best: dict[str, Record] = {}
    for rec in records:
        best.setdefault(parent_of(rec) or rec.id, rec)
    wanted = [key for key, rec in best.items() if key != rec.id]
    parents = {p.id: p for p in fetch(wanted)} if wanted else {}
    out: list[Record] = []
    for key, rec in best.items():
        if key == rec.id:
            out.append(rec)
        elif key in parents:
            out.append(replace(parents[key], score=rec.score))
    return out[:k]
