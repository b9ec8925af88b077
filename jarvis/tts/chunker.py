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
    line_start = text.rfind("\n", 0, start) + 1
    token_start = max(text.rfind(" ", 0, start), text.rfind("\t", 0, start), line_start - 1) + 1
    token = text[token_start:start].lstrip("(\"'“‘*_[")
    if not token:
        return True
    if token.lower() in ABBREVIATIONS or _INITIALS.match(token):
        return False
    if token.isdigit() and not text[line_start:token_start].strip():
        return False  # "1. " starting a line is a list marker
    following = text[match.end() :].lstrip()
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
    """

    def __init__(self, clause_words: int = 18, first_clause_words: int = 6, first_max_words: int = 0) -> None:
        self.clause_words = max(4, clause_words)
        self.first_clause_words = max(0, first_clause_words)
        self.first_max_words = first_max_words or 2 * self.first_clause_words
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

    def _next_cut(self, text: str, pos: int) -> int | None:
        """Index where the piece starting at ``pos`` ends, or None when it is not complete yet."""
        best: int | None = None
        newline = text.find("\n", pos)
        while newline >= 0 and not text[pos:newline].strip():
            newline = text.find("\n", newline + 1)
        if newline >= 0:
            best = newline + 1
        for m in _END.finditer(text, pos, best if best is not None else len(text)):
            if _is_sentence_end(text, m):
                return m.end()
        if best is not None:
            return best
        if self._emitted == 0 and self.first_clause_words:
            for m in _CLAUSE.finditer(text, pos):
                if len(_WORD.findall(text, pos, m.end())) >= self.first_clause_words:
                    return m.end()
            # A long first sentence with no clause mark: start speaking after first_max_words words
            # (cut at the last space, so a word still arriving is never split).
            if len(_WORD.findall(text, pos)) > self.first_max_words:
                space = text.rstrip().rfind(" ", pos)
                if space > pos:
                    return space + 1
        words = _WORD.findall(text, pos)
        if len(words) < self.clause_words:
            return None
        marks = [m.end() for m in _CLAUSE.finditer(text, pos) if len(_WORD.findall(text, pos, m.end())) >= 4]
        if marks:
            return marks[-1]
        if len(words) >= 2 * self.clause_words:
            space = text.rstrip().rfind(" ", pos)
            if space > pos:
                return space + 1
        return None
