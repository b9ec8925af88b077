"""What a tool is: a name, a description, JSON-schema parameters and ``run(args)``."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from jarvis.errors import JarvisError

STOP_STEMS = {w[:5] for w in (
    "what when where which with from that this there their about would could should tell give have your "
    "please make does them they then than into just like some more most only other also very will been "
    "cual cuando donde como para pero sobre este esta esto tiene puedes quiero dime hacer todo todos"
).split()}


class ToolError(JarvisError):
    """A tool could not do what was asked (bad arguments, unknown tool, failure, timeout)."""


@dataclass(frozen=True)
class ToolResult:
    """What a tool returns: ``text`` for the model, ``data`` for instant replies and the UI."""

    text: str
    data: dict[str, Any] = field(default_factory=dict)


class Tool(ABC):
    """A callable tool.

    Attributes:
        name: what a model calls it (``[a-z0-9_.-]``; MCP tools are ``server.tool``).
        description: one or two sentences a small model can follow.
        parameters: a JSON schema (``type: object``) for the arguments.
        side_effects: it changes something (a timer, a file, a memory).
        needs_confirmation: ask the user before a model-initiated call runs it.
        personal: its result may hold personal data (never sent to a cloud model unless memory
            sharing is allowed).
        source: "builtin" or the MCP server's name.
        timeout_s: longest run before the call is given up (None: the executor's default).
    """

    name: str = ""
    description: str = ""
    parameters: dict[str, Any] = {"type": "object", "properties": {}}
    side_effects: bool = False
    needs_confirmation: bool = False
    personal: bool = False
    source: str = "builtin"
    timeout_s: float | None = None
    keywords: str = ""  # a regex over accent-free lower-case text: the request may need this tool

    def is_relevant(self, text: str) -> bool:
        """Whether a request (accent-free, lower case) may need this tool.

        Built-ins match their ``keywords``; other tools match when the request shares a word of 4+
        letters (its first 5 letters) with the tool's name or description.
        """
        if self.keywords:
            return re.search(self.keywords, text) is not None
        said = {w[:5] for w in re.findall(r"[a-z]{4,}", text)} - STOP_STEMS
        mine = {w[:5] for w in re.findall(r"[a-z]{4,}", f"{self.name.replace('_', ' ')} {self.description}".lower())}
        return bool(said & (mine - STOP_STEMS))

    @abstractmethod
    def run(self, args: dict[str, Any]) -> ToolResult:
        """Do the work. Raises :class:`ToolError` with a message a person (and a model) understands."""

    def schema(self) -> dict[str, Any]:
        """The OpenAI-style function schema (also what Qwen's chat template reads)."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }

    def summary(self, args: dict[str, Any]) -> str:
        """A short confirmation question for a call with ``args``."""
        shown = ", ".join(f"{k}={v!r}" for k, v in args.items())
        return f"Run {self.name}({shown})?"


def check_arguments(tool: Tool, args: Any) -> dict[str, Any]:
    """Validate ``args`` against the tool's schema (required keys, simple types, enums).

    Coerces numbers given as strings ("10" -> 10) because small models often quote them.
    Raises :class:`ToolError` naming the bad argument.
    """
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ToolError(f"{tool.name}: arguments must be a JSON object", "pass {\"name\": value, ...}")
    props: dict[str, Any] = tool.parameters.get("properties", {})
    out: dict[str, Any] = {}
    for key, value in args.items():
        spec = props.get(key)
        if spec is None:
            if tool.parameters.get("additionalProperties", True) is False:
                raise ToolError(f"{tool.name}: unknown argument '{key}'", f"valid: {', '.join(props) or 'none'}")
            out[key] = value
            continue
        out[key] = _coerce(tool.name, key, value, spec)
    missing = [k for k in tool.parameters.get("required", []) if k not in out]
    if missing:
        raise ToolError(f"{tool.name}: missing argument '{missing[0]}'", f"required: {', '.join(missing)}")
    return out


def _coerce(tool: str, key: str, value: Any, spec: dict[str, Any]) -> Any:
    kind = spec.get("type")
    try:
        if kind == "integer" and not isinstance(value, bool):
            value = int(float(value)) if isinstance(value, str) else value
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            ok = isinstance(value, int)
        elif kind == "number" and not isinstance(value, bool):
            value = float(value) if isinstance(value, str) else value
            ok = isinstance(value, int | float)
        elif kind == "string":
            value = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
            ok = isinstance(value, str)
        elif kind == "boolean":
            ok = isinstance(value, bool)
        else:
            ok = True
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ToolError(f"{tool}: argument '{key}' must be a {kind}, got {value!r}", "fix the argument's type")
    if "enum" in spec and value not in spec["enum"]:
        raise ToolError(f"{tool}: argument '{key}' must be one of {spec['enum']}", "pick one of those values")
    return value
