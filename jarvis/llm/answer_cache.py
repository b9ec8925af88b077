"""The response cache: a question asked again is answered at once, when its answer cannot have changed.

Only self-contained general questions are kept: not about the user ("my", "mi"), not about time
("today", "hoy", "now"), not a follow-up ("and Italy?", "¿y la de Italia?"), answered by a model
without tools and without memories, not interrupted, and not an "I'm not sure". The key is the
question's words (case, accents and punctuation folded), its language, and what the answer came
from (the routed model and a digest of the system prompt: another model or prompt asks again). Entries live in
``<data_dir>/answers.json`` (0600), newest last, at most ``max_entries``; forgetting a memory
(``/forget``, ``jarvis memory forget``) drops the entries that share its words.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from pathlib import Path

from jarvis.private import open_private, private_dir
from jarvis.text import fold_accents

log = logging.getLogger(__name__)

FILE_NAME = "answers.json"
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Words that make an answer depend on who asks, when, or what was said before.
_PERSONAL = {
    "i", "me", "my", "mine", "myself", "we", "our", "us", "you", "your", "yours",
    "yo", "mi", "mis", "mio", "mia", "nosotros", "nuestro", "nuestra", "tu", "tus", "te", "usted",
}
_TIME = {
    "now", "today", "tonight", "tomorrow", "yesterday", "time", "date", "day",
    "current", "currently", "latest", "recent", "recently", "news", "weather", "ago", "timer", "alarm",
    "hoy", "ahora", "manana", "ayer", "hora", "fecha", "dia", "actual",
    "actualmente", "ultimo", "ultima", "noticias", "tiempo", "clima", "hace", "temporizador", "alarma",
}
_FOLLOW_UP = {
    "it", "its", "that", "this", "those", "these", "there", "they", "them", "he", "she", "him", "her",
    "his", "also", "too", "else", "again", "same", "one",
    "eso", "esa", "ese", "esto", "esta", "este", "alli", "ahi", "alla", "ellos", "ellas", "el",
    "ella", "lo", "le", "les", "tambien", "otra", "otro", "mismo", "misma",
}
_FOLLOW_UP_START = {"and", "y", "e", "what about", "and what about", "y que", "y el", "y la", "y los", "y las",
                    "how about"}
_MIN_WORDS = 3
_UNSURE = re.compile(
    r"not sure|don't know|do not know|can't know|cannot know|no idea|didn't catch|sorry|i'm unable|i am unable|"
    r"no lo s[eé]|no s[eé]\b|no estoy segur|no te he entendido|no tengo (?:esa |esta )?informaci[oó]n|lo siento|"
    r"perdona|no puedo saber",
    re.IGNORECASE,
)


def prompt_digest(prompt: str) -> str:
    """A short digest of a system prompt, for cache keys (a changed prompt asks again)."""
    import hashlib

    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:12]


def is_unsure(reply: str) -> bool:
    """True for an "I don't know" / "sorry" reply: never cached (the next try may know better)."""
    return _UNSURE.search(reply) is not None


def fold(text: str) -> list[str]:
    """The question's words, lower case, without accents or punctuation."""
    return _WORD.findall(fold_accents(text))


def cacheable_question(text: str) -> bool:
    """True for a self-contained general question (see the module docstring)."""
    words = fold(text)
    if len(words) < _MIN_WORDS:
        return False
    if any(w in _PERSONAL or w in _TIME for w in words):
        return False
    head = " ".join(words[:3])
    if any(head == s or head.startswith(s + " ") for s in _FOLLOW_UP_START):
        return False
    # "el"/"la" are articles in Spanish questions; only pronoun-like words count as referring back
    referring = _FOLLOW_UP - {"el", "la", "lo", "one", "this", "esta", "este"}
    return not any(w in referring for w in words)


class AnswerCache:
    """Answers to general questions, kept on disk. Thread safe.

    Args:
        folder: where ``answers.json`` lives (the data folder).
        max_entries: the oldest entries go beyond this many.
    """

    def __init__(self, folder: Path, max_entries: int = 500) -> None:
        self.path = Path(folder) / FILE_NAME
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[str, dict] | None = None
        self._mtime: float | None = None  # of the file as last read: another process may change it

    @staticmethod
    def key(text: str, language: str | None, source: str = "") -> str:
        """The entry's key: the folded words, the language and what answered (model, prompt)."""
        return f"{source}|{language or '?'}:{' '.join(fold(text))}"

    def _load(self) -> dict[str, dict]:
        try:
            mtime: float | None = self.path.stat().st_mtime
        except OSError:
            mtime = None
        if self._entries is None or mtime != self._mtime:  # first use, or written by another Jarvis
            self._entries, self._mtime = {}, mtime
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(raw, dict):
                    self._entries = {str(k): v for k, v in raw.items()
                                     if isinstance(v, dict) and isinstance(v.get("text"), str)}
            except FileNotFoundError:
                pass
            except (OSError, ValueError) as exc:  # a broken file only costs the cache
                log.warning("answer cache %s unreadable (%s): starting empty", self.path, exc)
        return self._entries

    def _save(self) -> None:
        try:
            private_dir(self.path.parent)
            tmp = self.path.with_suffix(".tmp")
            with open_private(tmp, "w") as fh:
                json.dump(self._entries, fh, ensure_ascii=False)
            tmp.replace(self.path)
            self._mtime = self.path.stat().st_mtime
        except OSError as exc:
            log.warning("answer cache not saved: %s", exc)

    def get(self, text: str, language: str | None, source: str = "") -> dict | None:
        """The cached entry ({"text", "model", "time"}) for this question from ``source``, or None."""
        if not cacheable_question(text):
            return None
        with self._lock:
            return self._load().get(self.key(text, language, source))

    def put(self, text: str, language: str | None, reply: str, model: str, source: str = "") -> bool:
        """Keep ``reply`` for ``text`` (answered by ``source``) when the question may be cached; True when kept."""
        if not reply.strip() or not cacheable_question(text):
            return False
        with self._lock:
            entries = self._load()
            k = self.key(text, language, source)
            entries.pop(k, None)
            entries[k] = {"text": reply, "model": model, "time": time.time(), "question": text}
            while len(entries) > self.max_entries:
                entries.pop(next(iter(entries)))
            self._save()
        return True

    def forget(self, texts: list[str]) -> int:
        """Drop entries sharing a content word (4+ letters) with any of ``texts``; returns how many."""
        words = {w for t in texts for w in fold(t) if len(w) >= 4}
        if not words:
            return 0
        with self._lock:
            entries = self._load()
            gone = [k for k, v in entries.items()
                    if words & set(fold(v.get("question", "") + " " + v.get("text", "")))]
            for k in gone:
                del entries[k]
            if gone:
                self._save()
        return len(gone)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries = {}
            self._save()
