"""Tool calls written as text by local models (Qwen2.5's ``<tool_call>{json}</tool_call>``).

:class:`ToolCallSplitter` sits on the token stream: text passes through at once; a tool call is
held back and parsed when it ends. A model that writes a bare JSON object as its whole reply
(``{"name": ..., "arguments": ...}``) is understood too. Bad JSON gets one repair attempt
(:func:`repair_json`); a call that still cannot be read is reported, never spoken.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jarvis.messages import ToolCall

OPEN, CLOSE = "<tool_call>", "</tool_call>"
CALL_NAME = re.compile(r'"name"\s*:\s*"([\w.-]+)"')
LOOKS_LIKE_CALL = re.compile(r'\s*(?:```(?:json)?\s*)?\{\s*"(?:name|function)"\s*:')


def repair_json(text: str) -> str:
    """One repair attempt on almost-JSON: code fences, single quotes, Python literals, trailing
    commas, unbalanced braces."""
    t = text.strip()
    t = re.sub(r"^```(?:json)?\s*|\s*```$", "", t)
    if "'" in t and '"' not in t:
        t = t.replace("'", '"')
    t = re.sub(r"\bTrue\b", "true", t)
    t = re.sub(r"\bFalse\b", "false", t)
    t = re.sub(r"\bNone\b", "null", t)
    t = re.sub(r",\s*([}\]])", r"\1", t)
    t = re.sub(r'([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:', r'\1"\2":', t)  # unquoted keys
    opened = t.count("{") - t.count("}")
    if opened > 0:
        t += "}" * opened
    return t


def parse_call(text: str) -> ToolCall | None:
    """The tool call in ``text`` (``{"name": ..., "arguments": {...}}``), or None when unreadable."""
    for attempt in (text.strip(), repair_json(text)):
        try:
            obj = json.loads(attempt)
        except ValueError:
            continue
        call = _call_from(obj)
        if call is not None:
            return call
    return None


def parse_calls(text: str) -> list[ToolCall]:
    """Every tool call in a reply made only of JSON objects (one or more, any spacing); [] otherwise."""
    calls = parse_call(text)
    if calls is not None:
        return [calls]
    decoder = json.JSONDecoder()
    out: list[ToolCall] = []
    pos, t = 0, text.strip()
    while pos < len(t):
        try:
            obj, end = decoder.raw_decode(t, pos)
        except ValueError:
            return []
        call = _call_from(obj)
        if call is None:
            return []
        out.append(call)
        pos = end
        while pos < len(t) and t[pos] in " \n\r\t,":
            pos += 1
    return out


def _call_from(obj: Any) -> ToolCall | None:
    if not isinstance(obj, dict):
        return None
    if "function" in obj and isinstance(obj["function"], dict):  # OpenAI-shaped
        obj = obj["function"]
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        return None
    args = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args or "{}")
        except ValueError:
            try:
                args = json.loads(repair_json(args))
            except ValueError:
                return None
    if not isinstance(args, dict):
        return None
    if isinstance(args.get("properties"), dict) and set(args) <= {"type", "properties", "required"}:
        # a small model copied the schema around its values: keep the values, drop the schema parts
        args = {k: v for k, v in args["properties"].items() if not (isinstance(v, dict) and "type" in v)}
    return ToolCall(name, args)


class ToolCallSplitter:
    """Splits a streamed reply into spoken text and tool calls.

    ``feed(piece)`` returns the text that can be shown/spoken now; ``finish()`` returns the rest.
    ``calls`` holds the parsed calls; ``bad`` the raw text of calls that could not be read.
    """

    def __init__(self) -> None:
        self.calls: list[ToolCall] = []
        self.bad: list[str] = []
        self._pending = ""  # text not yet released (might be the start of a tag)
        self._in_call = False
        self._call = ""
        self._released = False  # some text went out already
        self._bare = False  # the reply began with "{": maybe a bare JSON call

    def feed(self, piece: str) -> str:
        """Take the next piece; return what may be shown now."""
        if self._bare:
            self._pending += piece
            return ""
        self._pending += piece
        out = []
        while True:
            if self._in_call:
                end = self._pending.find(CLOSE)
                if end < 0:
                    return "".join(out)
                self._call += self._pending[:end]
                self._pending = self._pending[end + len(CLOSE):]
                self._close_call()
                continue
            head = self._pending.lstrip()
            if not self._released and head.startswith(("{", "```json", "```\n{")):
                self._bare = True
                return "".join(out)
            if not self._released and head and "```json".startswith(head):
                return "".join(out)  # maybe the start of a fenced call: wait for more
            start = self._pending.find(OPEN)
            if start >= 0:
                out.append(self._pending[:start])
                self._pending = self._pending[start + len(OPEN):]
                self._in_call, self._call = True, ""
                continue
            keep = _partial_tag_suffix(self._pending)
            text = self._pending[: len(self._pending) - keep]
            self._pending = self._pending[len(self._pending) - keep:]
            if text.strip():
                self._released = True
            out.append(text)
            return "".join(out)

    def _close_call(self) -> None:
        call = parse_call(self._call)
        if call is None:
            self.bad.append(self._call.strip())
        else:
            self.calls.append(call)
        self._in_call, self._call = False, ""

    def finish(self) -> str:
        """The end of the stream: returns text still held back (none when it was a tool call)."""
        if self._in_call:  # the model stopped before </tool_call>
            self._call += self._pending
            self._pending = ""
            self._close_call()
            return ""
        rest, self._pending = self._pending, ""
        if self._bare:
            calls = parse_calls(rest)
            if calls:
                self.calls.extend(calls)
                return ""
            if LOOKS_LIKE_CALL.match(rest):  # a call cut short (out of tokens): never spoken
                name = CALL_NAME.search(rest)
                if name is not None:  # keep the tool it named; its arguments are checked when it runs
                    self.calls.append(ToolCall(name.group(1), {}))
                else:
                    self.bad.append(rest.strip())
                return ""
            return rest
        return rest


def _partial_tag_suffix(text: str) -> int:
    """Length of the longest end of ``text`` that could be the start of ``<tool_call>``."""
    for n in range(min(len(OPEN) - 1, len(text)), 0, -1):
        if OPEN.startswith(text[-n:]):
            return n
    return 0
