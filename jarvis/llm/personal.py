"""Questions about the user's own life: answered from what they told, or with "you haven't told me".

"What's my neighbour's name?", "What did I have for breakfast?", "¿Dónde trabajo?" have one right
answer only if the user said it. Small models invent one ("My neighbour's name is Ana." from a
recalled fact about a sister). :func:`personal_subject` finds what such a question asks about
("neighbour", "breakfast", "trabajo"); :func:`mentions` tells whether a memory or an earlier turn
talks about it (by word stem, in English or Spanish). The assistant keeps only those memories, and
with none (and nothing said in the conversation) says it does not know. Pure: no model here.
"""

from __future__ import annotations

import re

from jarvis.text import fold_accents

#: What Jarvis says when asked about the user's life and it was never told.
NOT_TOLD = {
    "en": "I don't know; you haven't told me.",
    "es": "No lo sé; no me lo has contado.",
}

_STOP = frozenset(
    "a an the of for to in on at and or is are was were be name names called call s favorite favourite "
    "favorita favorito el la los las un una de del en y o es son se llama llaman nombre nombres que "
    "mas most best really exactly now today hoy ahora i llamo anos".split()
)
# Nouns that name the same thing in English and Spanish (a fact told in one, asked in the other).
_SAME = [
    ("sister", "hermana"), ("brother", "hermano"), ("mother", "madre"), ("mom", "mama"), ("father", "padre"),
    ("dad", "papa"), ("son", "hijo"), ("daughter", "hija"), ("wife", "mujer"), ("wife", "esposa"),
    ("husband", "marido"), ("husband", "esposo"), ("partner", "pareja"), ("friend", "amigo"), ("friend", "amiga"),
    ("neighbour", "vecino"), ("neighbor", "vecino"), ("neighbour", "vecina"), ("dog", "perro"), ("cat", "gato"),
    ("pet", "mascota"), ("work", "trabajo"), ("job", "trabajo"), ("live", "vivo"), ("house", "casa"),
    ("home", "casa"), ("born", "naci"), ("birthday", "cumpleanos"), ("age", "edad"), ("old", "anos"),
    ("car", "coche"), ("food", "comida"), ("color", "color"), ("colour", "color"), ("breakfast", "desayuno"),
    ("lunch", "comida"), ("dinner", "cena"), ("boss", "jefe"), ("city", "ciudad"), ("school", "colegio"),
    ("team", "equipo"), ("book", "libro"), ("song", "cancion"), ("film", "pelicula"), ("movie", "pelicula"),
]

# People and pets one has: "how many brothers do I have?" is about the user, "how many legs..." is not.
_KIN_EN = "brothers|sisters|siblings|children|kids|sons|daughters|cousins|pets|dogs|cats|friends|grandchildren"
_KIN_ES = "hermanos|hermanas|hijos|hijas|primos|primas|mascotas|perros|gatos|amigos|amigas|nietos"
_EN = [
    r"\b(?:what|who|where|when|which|how)\b[^?]*?\bmy\s+(?P<n>[a-z' ]+)",
    r"\bwhat did i (?:have|eat|drink) (?:for )?(?P<n>[a-z]+)",
    r"\bwhat did i (?P<n>eat|drink|buy|do|say)\b",
    r"\bwhere (?:was i (?P<n>born)|do i (?P<n2>live|work|study))\b",
    r"\bhow old am (?P<n>i)\b",
    r"\bwhat(?:'s| is) my (?P<n>name)\b",
    rf"\bhow many (?P<n>{_KIN_EN}) do i have\b",
]
_ES = [
    r"\b(?:como|cual|cuales|quien|quienes|donde|cuando|que)\b[^?]*?\bmis?\s+(?P<n>[a-z ]+)",
    r"\bque (?P<n>desayune|comi|cene|bebi|compre|hice)\b",
    r"\bdonde (?P<n>trabajo|vivo|naci|estudio)\b",
    r"\bcuantos (?P<n>anos) tengo\b",
    r"\bcomo me (?P<n>llamo)\b",
    rf"\bcuant[oa]s (?P<n>{_KIN_ES}) tengo\b",
    # "mi gato" heard as one word ("¿cómo se llama migato?" got "Migato se llama Max.")
    r"\b(?:como|cual|quien|donde|cuando|que)\b[^?]*?\bmis?(?P<n>" + "|".join(sorted({es for _, es in _SAME})) + r")\b",
]
_PATTERNS = [re.compile(p) for p in (*_EN, *_ES)]
_AGE = {"i": ("old", "age", "born", "anos", "edad", "naci"), "anos": ("old", "age", "born", "anos", "edad", "naci"),
        "name": ("name", "llamo", "nombre"), "llamo": ("name", "llamo", "nombre")}


def not_told(language: str | None) -> str:
    """The "you haven't told me" line in ``language`` (English when it has none)."""
    return NOT_TOLD.get(language or "en", NOT_TOLD["en"])


def _fold(text: str) -> str:
    return fold_accents(text.replace("’", "'"))


def _stem(word: str) -> str:
    return word[:5]


def personal_subject(text: str) -> tuple[str, ...] | None:
    """The words a question about the user's own life asks about, or None for any other text."""
    t = _fold(text)
    if "?" not in text and not re.match(r"^\s*(?:what|who|where|when|which|how|como|cual|quien|donde|cuando|que|"
                                        r"cuantos)\b", t):
        return None
    for rx in _PATTERNS:
        m = rx.search(t)
        if m is None:
            continue
        said = " ".join(v for v in m.groupdict().values() if v)
        said_words = [w.strip("'").removesuffix("'s") for w in re.findall(r"[a-z']+", said)]
        words = [w for w in said_words if w and w not in _STOP]
        if words:
            return tuple(dict.fromkeys(words[:3]))
        special = [w for w in said_words if w in _AGE]  # "what is my name", "how old am I": only that
        if special:
            return _AGE[special[0]]
    return None


def mentions(text: str, subject: tuple[str, ...]) -> bool:
    """True when ``text`` talks about any of ``subject``'s words (same stem, or its translation)."""
    words = {_stem(w) for w in re.findall(r"[a-z]+", _fold(text)) if len(w) > 2}
    wanted = set()
    for w in subject:
        wanted.add(_stem(w))
        for en, es in _SAME:
            if w in (en, es):
                wanted.update((_stem(en), _stem(es)))
    return bool(words & wanted)
