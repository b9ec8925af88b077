"""Cut a streamed reply into speakable pieces as soon as each one is complete.

:class:`SentenceChunker` takes the LLM's text deltas and returns sentences (or clauses of a long
sentence) with markdown stripped and code blocks dropped; numbers like ``3.14`` and abbreviations
like ``Dr.`` or ``e.g.`` never end a sentence. :func:`speakable` cleans one finished piece of text.
Pure Python, no dependencies.
"""

from __future__ import annotations

import re

FENCE = "```"

# Words that end with a dot without ending the sentence (compared lower-case, without the last dot).
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt vs e.g i.e cf approx fig inc ltd co dept est min max
    sra srta dra ud uds lic ing p.ej aprox núm pág av al""".split()
)

# Words a phrase starts with (articles, prepositions, conjunctions, relatives, copulas; English and
# Spanish): a reply's first piece may end just before one (``first_phrase_words``), where a speaker
# would pause anyway ("La capital | de Francia es París").
PHRASE_STARTS = frozenset(
    """the a an of to in on at for with from by and or but that which who whose as is are was were
    de del la el los las un una unos unas y e o u que en al con por para sin sobre entre hasta desde
    como pero porque cuando donde cuyo cuya es son está están era fue""".split()
)

# A sentence end: terminators, then closing quotes / brackets / emphasis, then whitespace and a
# non-space character (so a dot at the end of the buffer waits for the next delta: "3." + "14").
_END = re.compile(r"[.!?…]+[\"'”’)\]*_]*(?=\s+\S)")
# A clause mark inside a long sentence.
_CLAUSE = re.compile(r"[,;:—–](?=\s)")
_WORD = re.compile(r"\S+")
_INITIALS = re.compile(r"^(?:[A-Za-z]\.)*[A-Za-z]$")

_CODE_BLOCK = re.compile(r"```.*?(?:```|$)|~~~.*?(?:~~~|$)", re.DOTALL)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+|www\.\S+")
_HTML = re.compile(r"</?[A-Za-z][^>]*>")
_INLINE_CODE = re.compile(r"`+([^`]*)`+")
_BOLD = re.compile(r"(\*\*|__)(.+?)\1")
_ITALIC = re.compile(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])")
_STRIKE = re.compile(r"~~(.+?)~~")
_LINE_MARK = re.compile(r"^\s*(?:#{1,6}\s+|>\s*|[-*+•]\s+|\d{1,3}[.)]\s+)+", re.MULTILINE)
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$", re.MULTILINE)
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$", re.MULTILINE)
_LEFTOVER = re.compile(r"[*#`|<>\\^]|(?<!\w)_|_(?!\w)")
_SPACES = re.compile(r"\s+")
_LOOK = 256  # characters looked at around a possible sentence end


def speakable(text: str) -> str:
    """``text`` as it should be said: code blocks dropped, markdown, links and URLs reduced to words."""
    text = _CODE_BLOCK.sub(" ", text)
    text = _TABLE_SEP.sub("", text)
    text = _RULE.sub("", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _HTML.sub(" ", text)
    text = _INLINE_CODE.sub(r"\1", text)
    text = _LINE_MARK.sub("", text)
    text = _BOLD.sub(r"\2", text)
    text = _STRIKE.sub(r"\1", text)
    text = _ITALIC.sub(r"\2", text)
    lines = []
    for line in text.splitlines():
        if "|" in line:  # a table row: cells become a list
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            line = ", ".join(c for c in cells if c)
        lines.append(line)
    text = " ".join(lines)
    text = _LEFTOVER.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    # Nothing to say when only punctuation is left.
    return text if any(ch.isalnum() for ch in text) else ""


def _is_sentence_end(text: str, match: re.Match[str]) -> bool:
    """Whether the terminator ``match`` in ``text`` really ends a sentence."""
    mark = match.group(0)
    if "." not in mark or any(c in mark for c in "!?…") or mark.startswith(".."):
        return True
    start = match.start()
    lo = max(0, start - _LOOK)  # look only this far back and ahead: a huge buffer stays cheap
    line_start = max(text.rfind("\n", lo, start) + 1, lo)
    token_start = max(text.rfind(" ", lo, start), text.rfind("\t", lo, start), line_start - 1) + 1
    token = text[token_start:start].lstrip("(\"'“‘*_[")
    if not token:
        return True
    if token.lower() in ABBREVIATIONS or _INITIALS.match(token):
        return False
    if token.isdigit() and not text[line_start:token_start].strip():
        return False  # "1. " starting a line is a list marker
    following = text[match.end() : match.end() + _LOOK].lstrip()
    return not (following and following[0].islower())


class SentenceChunker:
    """Feed streamed text, get back speakable sentences as soon as they are complete.

    Args:
        clause_words: a sentence longer than this many words is cut at its last clause mark
            (comma, semicolon, colon, dash); past twice as many, at the last space.
        first_clause_words: the reply's first piece is cut at its first clause mark once it has
            this many words (or, with no clause mark, at a space past ``first_max_words``), so the
            voice can start early (0: treat it like the others).
        first_max_words: the longest first piece without a clause mark (default: twice
            ``first_clause_words``); a slow voice wants it short.
        first_phrase_words: with no clause mark yet, the first piece may end before a word that
            starts a phrase (:data:`PHRASE_STARTS`) once it has this many words (0: never), so a
            slow voice gets a short first piece that still ends where a speaker would pause.
        max_chars: no piece is longer than this: it is cut at the last space before it, or inside
            a word longer than that (a URL-like run). Together with ``2 * clause_words`` words it
            bounds every piece, whatever the text (no punctuation, one endless token).
    """

    def __init__(
        self, clause_words: int = 18, first_clause_words: int = 6, first_max_words: int = 0, max_chars: int = 300,
        first_phrase_words: int = 0,
    ) -> None:
        self.clause_words = max(4, clause_words)
        self.max_words = 2 * self.clause_words
        self.max_chars = max(40, max_chars)
        self.first_clause_words = max(0, first_clause_words)
        self.first_max_words = first_max_words or 2 * self.first_clause_words
        self.first_phrase_words = max(0, first_phrase_words)
        self._buf = ""
        self._in_code = False
        self._emitted = 0

    def feed(self, delta: str) -> list[str]:
        """Add a piece of the reply; return the pieces now complete (possibly none)."""
        self._buf += delta
        return self._drain(final=False)

    def flush(self) -> list[str]:
        """The reply is over: return whatever is left (an unclosed code block is dropped)."""
        out = self._drain(final=True)
        self.reset()
        return out

    def reset(self) -> None:
        """Forget everything (after a barge-in, or at the end of a reply)."""
        self._buf, self._in_code, self._emitted = "", False, 0

    def _drain(self, final: bool) -> list[str]:
        out: list[str] = []
        while True:
            if self._in_code:
                end = self._buf.find(FENCE)
                if end < 0:
                    self._buf = "" if final else self._buf[-(len(FENCE) - 1) :]
                    return out
                self._buf = self._buf[end + len(FENCE) :]
                self._in_code = False
                continue
            start = self._buf.find(FENCE)
            if start >= 0:  # prose before a code block is complete
                pieces, _ = self._cut(self._buf[:start], final=True)
                out += pieces
                self._buf = self._buf[start + len(FENCE) :]
                self._in_code = True
                continue
            pieces, self._buf = self._cut(self._buf, final)
            return out + pieces

    def _cut(self, text: str, final: bool) -> tuple[list[str], str]:
        """Split ``text`` into speakable finished pieces and the unfinished tail."""
        pieces: list[str] = []
        pos = 0
        while True:
            cut = self._next_cut(text, pos)
            if cut is None:
                break
            self._add(pieces, text[pos:cut])
            pos = cut
        rest = text[pos:]
        if final:
            self._add(pieces, rest)
            rest = ""
        return pieces, rest

    def _add(self, pieces: list[str], raw: str) -> None:
        spoken = speakable(raw)
        if spoken:
            pieces.append(spoken)
            self._emitted += 1

    def _word_ends(self, text: str, pos: int) -> list[int]:
        """Where the first ``max_words + 1`` words after ``pos`` end (fewer near the end of the text).

        Only the stretch a piece can span is scanned, so a huge buffer costs no more than a short one.
        """
        ends: list[int] = []
        for m in _WORD.finditer(text, pos):
            if len(ends) > self.max_words or m.start() > pos + self.max_chars:
                break
            ends.append(m.end())
        return ends

    def _hard_stop(self, text: str, pos: int, ends: list[int]) -> int | None:
        """The latest index the piece starting at ``pos`` may end at, or None while it is within bounds."""
        stop = ends[self.max_words - 1] if len(ends) > self.max_words else None
        if len(text) - pos > self.max_chars:
            limit = pos + self.max_chars
            whole = [e for e in ends if e <= limit and e < len(text)]  # words known to be complete
            cut = whole[-1] if whole else limit  # no space in reach: cut the endless token itself
            stop = cut if stop is None else min(stop, cut)
        return stop

    def _phrase_cut(self, text: str, ends: list[int]) -> int | None:
        """Where the first piece may end before a phrase-starting word (None: nowhere yet).

        ``ends`` are the word ends from the piece's start; the word after the cut must be complete
        (another word follows it), so "de" is never taken for the start of "después".
        """
        if not self.first_phrase_words:
            return None
        last = min(len(ends) - 2, self.first_max_words)  # word k is followed by word k + 1
        def word(k: int) -> str:
            return text[ends[k - 1] if k else 0:ends[k]].strip().lower().strip("\"'“”‘’¿¡(")

        for k in range(self.first_phrase_words, last + 1):
            if word(k) in PHRASE_STARTS and word(k - 1) not in PHRASE_STARTS:  # "de | la" is no pause
                return ends[k - 1]
        return None

    def _next_cut(self, text: str, pos: int) -> int | None:
        """Index where the piece starting at ``pos`` ends, or None when it is not complete yet."""
        ends = self._word_ends(text, pos)
        stop = self._hard_stop(text, pos, ends)
        end = len(text) if stop is None else stop
        best: int | None = None
        newline = text.find("\n", pos, end)
        while newline >= 0 and not text[pos:newline].strip():
            newline = text.find("\n", newline + 1, end)
        if newline >= 0:
            best = newline + 1
        scan_to = best if best is not None else min(len(text), end + _LOOK)
        for m in _END.finditer(text, pos, scan_to):
            if m.end() > end:
                break
            if _is_sentence_end(text, m):
                return m.end()
        if best is not None:
            return best
        n = len(ends)
        if self._emitted == 0 and self.first_clause_words:
            for m in _CLAUSE.finditer(text, pos, min(len(text), end + 1)):
                if m.end() > end:
                    break
                if len(_WORD.findall(text, pos, m.end())) >= self.first_clause_words:
                    return m.end()
            phrase = self._phrase_cut(text, ends)
            if phrase is not None:
                return min(phrase, end)
            # A long first sentence with no clause mark: start speaking after first_max_words words
            # (cut after a word that is followed by another, so a word still arriving is never split).
            if n > self.first_max_words:
                return min(ends[self.first_max_words - 1], end)
        if n < self.clause_words:
            return stop
        reach = min(ends[self.clause_words - 1], end)  # clause marks within the first clause_words words
        marks = [
            m.end() for m in _CLAUSE.finditer(text, pos, min(len(text), reach + 1))
            if m.end() <= reach and len(_WORD.findall(text, pos, m.end())) >= 4
        ]
        if marks:
            return marks[-1]
        return stop
