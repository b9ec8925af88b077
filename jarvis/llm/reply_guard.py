"""What a model writes is checked before anyone sees or hears it: no prompt sections, no tool syntax.

Small local models sometimes echo the prompt (``<memories>`` blocks, "Things you remember about the
user"), talk about it ("the function `clock` in the `tools` XML tag") or write a tool call as text
in a shape the chat template's parser does not know (double braces, a fenced ```json block, a JSON
call after a sentence of chatter). :class:`ReplyGuard` sits on the text stream after
:class:`~jarvis.llm.tool_calls.ToolCallSplitter`:

- clean text is released as it comes (a word is held back only while it could start a marker);
- from a *suspect* piece on (a brace, a tag, a backtick, a word such as "tool" or "memories") the
  rest of the sentence is held until it ends, then released only if it shows no leak;
- a held sentence that is a tool call is parsed into ``calls`` (it runs instead of being spoken);
  one that leaks is dropped, whole.

A reply's first sentence that only says the question back ("¿En qué número estoy pensando ahora
mismo?" -> "En qué número estoy pensando ahora mismo.") is no answer: it is held while it still
follows the question word for word, and dropped when it ends as the question did.

When everything a model wrote was dropped, :meth:`finish` returns a short "I'm not sure" in the
turn's language, so the user never gets silence or syntax. Pure text in, text out: no model here.
"""

from __future__ import annotations

import re
import unicodedata

from jarvis.llm.tool_calls import parse_calls
from jarvis.messages import ToolCall

#: Said when every sentence of a reply was dropped as a leak.
NOT_SURE = {
    "en": "Sorry, I'm not sure about that.",
    "es": "Lo siento, no estoy seguro de eso.",
}

# A piece that may begin a leak: hold the sentence from here until it ends, then check it.
_SUSPECT = re.compile(
    r"[<{}\[\]`|]|\b(?:tool|tools|function|functions|memor\w*|recuerd\w*|xml|json|prompt|system|"
    r"herramienta\w*|funci[oó]n\w*|arguments?|argumentos?|remember\w*|information|informaci[oó]n|provided|"
    r"proporcionad\w*|conversation\w*|conversaci[oó]n\w*|user|users|usuario|call|calls|query)\b",
    re.IGNORECASE,
)
# What must never reach the user.
_LEAK = re.compile(
    r"</?\s*(?:memories|memory|tools?|tool_call|tool_response|functions?|system|context|user|assistant)\s*>"
    r"|<\|\w+\|>"
    r"|\{\s*\{\s*\"|\"\s*\}\s*\}"
    r"|\{\s*\"?(?:name|function|arguments|parameters|tool)\"?\s*:"
    r"|\"(?:name|arguments|parameters)\"\s*:"
    r"|```\s*json\s*(?:\{|$)"
    r"|\bxml tags?\b|\bsystem prompt\b|\b(?:my|the|your) instructions\b|function signatures|^\s*#\s*tools\b"
    r"|one or more functions|assist with the user query|\buser query\b|function-name|args-json-object"
    r"|(?:facts|things|what) (?:i|you) (?:have )?told (?:you|me) before|ignore them unless|"
    r"lo que te he contado antes"
    r"|things you remember|cosas que recuerdas|from earlier conversations|de conversaciones anteriores"
    r"|information provided|informaci[oó]n proporcionada|user's conversation|conversaci[oó]n del usuario"
    r"|\b(?:the|a|this|that|el|la|esta|esa) (?:function|tool|herramienta|funci[oó]n) `"
    r"|`\w+(?:\.\w+)*`\s*(?:tool|function|herramienta|funci[oó]n)"
    r"|\b(?:tool|function|herramienta|funci[oó]n) (?:call|llamada)\b"
    r"|\bmemor(?:ies|y|ias) (?:block|section|tag|list)\b|\b(?:bloque|secci[oó]n|lista) de (?:memorias|recuerdos)\b",
    re.IGNORECASE,
)
# Where a sentence ends: . ! ? (not inside a number) or a newline.
_END = re.compile(r"(?<!\d)[.!?](?=\s|$)|(?<=\d)[.!?](?=\s+\D|$)|\n")
# A word-ish tail that may still grow into a suspect word.
_TAIL = re.compile(r"[\w'`<{\[|]+$")
_MAX_HELD = 2000  # a held "sentence" longer than this is judged as it stands
_HEAD_WORDS = 4  # a sentence's first words are held until there are this many: leaks show early
_BLOCK_OPEN = re.compile(r"<\s*(memories|memory|tools|tool_response|system)\s*>", re.IGNORECASE)


def echo_key(text: str) -> str:
    """``text`` as words only: lower case, no accents or punctuation (to compare a reply with the question)."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", plain))


def is_leak(text: str) -> bool:
    """True when ``text`` shows prompt sections, memory blocks or tool-call syntax."""
    return _LEAK.search(text) is not None


class ReplyGuard:
    """Filters one reply's text stream (see the module docstring).

    Args:
        language: the turn's language, for the "not sure" line ("en" when unknown).
        question: what the user said this turn; a first sentence that only repeats it is dropped.
    """

    def __init__(self, language: str | None = None, question: str | None = None) -> None:
        self.language = language if language in NOT_SURE else "en"
        self._question = echo_key(question or "")
        self.calls: list[ToolCall] = []
        self.dropped: list[str] = []
        self._released = ""  # what went out of the current sentence
        self._block: str | None = None  # inside an echoed <memories>-like block: dropped to its end
        self._block_start = 0  # where that block starts in ``dropped``
        self._pending = ""  # not released yet
        self._held = False  # the current sentence is held until it ends
        self._any_out = False

    def feed(self, piece: str) -> str:
        """Take the next piece of the reply; return the text that may be shown and spoken now."""
        self._pending += piece
        out: list[str] = []
        pos = 0
        while True:
            end = _END.search(self._pending, pos)
            if end is None:
                break
            if _open_block(self._released + self._pending[: end.end()]) and len(self._pending) < _MAX_HELD:
                pos = end.end()  # inside braces or a fence: the "sentence" goes on to its close
                continue
            sentence, self._pending = self._pending[: end.end()], self._pending[end.end():]
            pos = 0
            out.append(self._close_sentence(sentence))
        out.append(self._release_safe())
        return self._emit("".join(out))

    def finish(self) -> str:
        """The end of the reply: what is still held, checked (or the "not sure" line)."""
        rest = self._close_sentence(self._pending) if self._pending else ""
        self._pending = ""
        text = self._emit(rest)
        if not self._any_out and self.dropped and not self.calls:
            return self._emit(NOT_SURE[self.language])
        return text

    # ------------------------------------------------------------------ internals
    def _may_echo(self, sentence: str) -> bool:
        """True while the reply's first sentence has followed the question word for word."""
        if not self._question or self._any_out:
            return False
        said = echo_key(sentence)
        return bool(said) and self._question.startswith(said)

    def _emit(self, text: str) -> str:
        if not self._any_out:
            text = text.lstrip()  # a reply never starts with the space a dropped sentence left
        if text.strip():
            self._any_out = True
        return text

    def _release_safe(self) -> str:
        """Release the clean start of the open sentence; hold from the first suspect piece on."""
        if self._held or self._block is not None or not self._pending:
            return ""
        suspect = _SUSPECT.search(self._released + self._pending)
        if suspect is not None:
            self._held = True
            return ""
        if self._may_echo(self._released + self._pending):
            return ""  # word for word the question so far: wait until it says something else
        if len(self._pending) > _MAX_HELD:
            keep = 0
        elif not self._released and len(self._pending.split()) <= _HEAD_WORDS:
            return ""  # the sentence's first words wait for the next ones
        else:
            tail = _TAIL.search(self._pending)
            keep = len(tail.group(0)) if tail else 0  # the last word may grow into a suspect one
        text = self._pending[: len(self._pending) - keep]
        self._pending = self._pending[len(self._pending) - keep:]
        self._released += text
        return text

    def _close_sentence(self, held: str) -> str:
        """A sentence ended (``held``: its unreleased part): release it, run it or drop it."""
        whole = self._released + held
        self._released, self._held = "", False
        if self._block is not None:  # an echoed prompt block: dropped up to its closing tag
            close = re.search(rf"</\s*{self._block}\s*>", held, re.IGNORECASE)
            self.dropped.append(held if close is None else held[: close.end()])
            if close is None:
                return ""
            self._block = None
            block = "".join(self.dropped[self._block_start:])
            if '"arguments"' in block and '"description"' not in block:  # a call in the wrong tag, not schemas
                self.calls.extend(_calls_in(re.sub(r"</?\s*\w+\s*>", " ", block)))
            rest = held[close.end():]
            return self._close_sentence(rest) if rest.strip() else ""
        opened = _BLOCK_OPEN.search(held)
        if opened is not None and not re.search(rf"</\s*{opened.group(1)}\s*>", held, re.IGNORECASE):
            self._block = opened.group(1)
            self._block_start = len(self.dropped)
            self.dropped.append(held[opened.start():])
            before = held[: opened.start()]
            return before if before.strip() and not is_leak(self._released + before) else ""
        if self._question and not self._any_out and echo_key(whole) == self._question:
            self.dropped.append(held)
            return ""
        if not _SUSPECT.search(whole):
            return held
        calls = _calls_in(held)
        if calls:
            self.calls.extend(calls)
            self.dropped.append(held)
            return ""
        if is_leak(whole):
            self.dropped.append(held)
            return ""
        return held


def _open_block(text: str) -> bool:
    """True while ``text`` has a brace or a code fence that is not closed yet."""
    return text.count("{") > text.count("}") or text.count("```") % 2 == 1


def _calls_in(text: str) -> list[ToolCall]:
    """Tool calls written as JSON inside ``text`` (fenced, double-braced, or after some chatter)."""
    start = text.find("{")
    if start < 0:
        return []
    body = text[start:]
    body = re.sub(r"```\s*$", "", body.strip()).strip()
    while body.startswith("{{") and body.endswith("}}"):
        body = body[1:-1].strip()
    body = body.replace("{{", "{").replace("}}", "}")
    return parse_calls(body)
