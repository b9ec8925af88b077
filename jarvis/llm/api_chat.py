"""What the API chat backends (OpenAI wire, Anthropic) share: keys, SDK clients, error mapping.

:class:`ApiChat` is the base of :class:`~jarvis.llm.openai_backend.OpenAIChat`,
:class:`~jarvis.llm.openai_backend.OpenAICompatibleChat` and
:class:`~jarvis.llm.anthropic_backend.AnthropicChat`: it holds the model spec, the request timeout,
the SDK client (made by the subclass's :meth:`ApiChat.make_client`) and turns SDK or HTTP
exceptions into one-line :class:`JarvisError` messages with a hint. SDKs are imported only when a
client is made. Keys are never logged or put in error messages.

Native tool calling shares three helpers: :class:`ToolNames` maps our tool names ("server.tool" for
MCP tools) to names the APIs accept (``^[a-zA-Z0-9_-]{1,64}$``) and back; :class:`PendingCall`
gathers one streamed call's fragments; :func:`finish_calls` parses them into
``request.tool_calls`` (or ``request.bad_tool_calls``); :func:`with_call_ids` gives every call and
result in the history a safe, paired id.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import logging
import os
import re
from abc import abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from jarvis.config import ModelSpec, Settings
from jarvis.errors import BackendUnavailable, JarvisError, MissingDependency, ModelNotFound, NeedsKey
from jarvis.llm.base import ChatMessage, ChatModel, GenerationRequest
from jarvis.llm.locality import key_env_var, leaves_machine
from jarvis.llm.tool_calls import repair_json
from jarvis.logs import scrub
from jarvis.messages import ToolCall

_SDK_MODULES = ("openai", "anthropic", "httpx", "httpcore")


def read_key(spec: ModelSpec, env: Mapping[str, str] | None = None, required: bool = True) -> str | None:
    """The API key for ``spec`` from its environment variable; :class:`NeedsKey` names the variable.

    Returns None when the backend needs no key, or when the variable is unset and ``required`` is
    False.
    """
    var = key_env_var(spec)
    if var is None:
        return None
    value = (os.environ if env is None else env).get(var, "").strip()
    if value:
        return value
    if not required:
        return None
    raise NeedsKey(
        f"model '{spec.name}' ({spec.backend}) needs an API key: {var} is not set",
        f"export {var}=... in the shell that starts Jarvis (or set key_env in config.toml)",
    )


def is_api_error(exc: BaseException) -> bool:
    """True when ``exc`` comes from an SDK or its HTTP stack (and so is worth mapping)."""
    return (type(exc).__module__ or "").startswith(_SDK_MODULES)


def _error_type(exc: BaseException) -> str:
    """The ``type`` (or ``code``) of the error body the service sent, if any."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            return str(err.get("type") or err.get("code") or "")
    return ""


def map_api_error(exc: BaseException, spec: ModelSpec, timeout_s: float) -> JarvisError:
    """Turn an SDK or HTTP exception into a one-line :class:`JarvisError` with a hint (no secrets)."""
    name, cls = spec.name, type(exc).__name__
    host = urlparse(spec.base_url).netloc if spec.base_url else f"the {spec.backend} API"
    status = getattr(exc, "status_code", None)
    kind = _error_type(exc)
    if "Timeout" in cls or status == 408:
        return BackendUnavailable(
            f"{name}: no answer from {host} within {timeout_s:g}s (timeout)",
            "try again, or raise router.api_timeout_s in config.toml",
        )
    if cls == "APIConnectionError" or cls.endswith(("ConnectError", "NetworkError", "RemoteProtocolError")):
        return BackendUnavailable(
            f"{name}: cannot reach {host} (network down or server not running)",
            "check your connection, or start the server / fix base_url in config.toml",
        )
    if status in (401, 403) or kind in ("authentication_error", "permission_error", "invalid_api_key"):
        var = key_env_var(spec) or "the key variable"
        return NeedsKey(
            f"{name}: the API key in {var} was rejected ({status or kind})",
            f"check or replace the key in {var}; it may be revoked or for another account",
        )
    if status == 429 or kind == "rate_limit_error":
        return BackendUnavailable(
            f"{name}: rate limited by {host} (429)",
            "wait a little and try again, or check your plan's limits",
        )
    if status == 404 or kind == "not_found_error":
        return ModelNotFound(
            f"{name}: {host} does not know model '{spec.id}' (404)", "fix 'id' of this model in config.toml"
        )
    if (status is not None and status >= 500) or kind in ("overloaded_error", "api_error", "server_error"):
        return BackendUnavailable(
            f"{name}: server error from {host} ({status if status and status >= 500 else kind})",
            "the service is having trouble; try again later",
        )
    detail = scrub(str(getattr(exc, "message", "") or exc)).replace("\n", " ")[:120]
    return BackendUnavailable(f"{name}: request failed ({status or cls}): {detail}", "see the log file")


def sdk_client(module: str, cls: str, key: str | None, spec: ModelSpec, timeout_s: float) -> Any:
    """The official SDK's client (``openai.OpenAI``, ``anthropic.Anthropic``) for ``spec``.

    No retries inside the SDK: the fallback chain decides what happens after a failure.
    """
    try:
        sdk = importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - install.sh installs it
        raise MissingDependency(f"the {module} package is not importable ({exc})", "run ./install.sh") from None
    return getattr(sdk, cls)(api_key=key, base_url=spec.base_url or None, timeout=timeout_s, max_retries=0)


_WIRE_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_WIRE_ID = re.compile(r"[^a-zA-Z0-9_-]")


def wire_name(name: str) -> str:
    """``name`` as the APIs accept it: "." -> "__", any other odd character -> "_", at most 64 long."""
    if _WIRE_NAME.match(name):
        return name
    out = _WIRE_ID.sub("_", name.replace(".", "__")) or "tool"
    if len(out) > 64:
        out = out[:55] + "_" + hashlib.sha1(name.encode()).hexdigest()[:8]
    return out


def schema_function(tool: dict[str, Any]) -> dict[str, Any]:
    """The ``function`` part of an OpenAI-style tool schema (a bare function schema is taken as is)."""
    fn = tool.get("function", tool)
    return fn if isinstance(fn, dict) else {}


class ToolNames:
    """A reversible map between our tool names and the names sent on the wire, for one request.

    Names the APIs already accept keep their spelling (and are claimed first); the others are
    rewritten by :func:`wire_name`, with a suffix when two would collide.
    """

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._wire: dict[str, str] = {}
        self._original: dict[str, str] = {}
        unique = list(dict.fromkeys(n for n in names if n))
        for name in sorted(unique, key=lambda n: _WIRE_NAME.match(n) is None):
            self.wire(name)

    @classmethod
    def for_request(cls, request: GenerationRequest) -> ToolNames:
        """The map for every tool name in ``request``: offered tools, calls and results in the history."""
        names = [str(schema_function(t).get("name", "")) for t in request.tools or []]
        for m in request.messages:
            names.extend(c.name for c in m.tool_calls)
            if m.role == "tool":
                names.append(m.name)
        return cls(names)

    def wire(self, name: str) -> str:
        """The wire name of ``name`` (registered on first use)."""
        if name in self._wire:
            return self._wire[name]
        base = out = wire_name(name)
        n = 2
        while out in self._original:
            suffix = f"_{n}"
            out, n = base[: 64 - len(suffix)] + suffix, n + 1
        self._wire[name], self._original[out] = out, name
        return out

    def original(self, wire: str) -> str:
        """Our name for a wire name the model used (unknown names come back unchanged)."""
        return self._original.get(wire, wire)


@dataclass
class PendingCall:
    """One tool call while it streams in: id and name first, then the arguments in pieces."""

    id: str = ""
    name: str = ""
    pieces: list[str] = field(default_factory=list)
    preset: dict[str, Any] | None = None  # arguments sent whole (not as pieces), if any

    @property
    def raw(self) -> str:
        """The arguments as the model wrote them."""
        if not self.pieces and self.preset:
            return json.dumps(self.preset)
        return "".join(self.pieces)


def parse_arguments(raw: str) -> dict[str, Any] | None:
    """A call's JSON arguments as a dict ("" is no arguments); one repair attempt; None if unreadable."""
    text = raw.strip() or "{}"
    for attempt in (text, repair_json(text)):
        try:
            value = json.loads(attempt)
        except ValueError:
            continue
        return value if isinstance(value, dict) else None
    return None


def finish_calls(request: GenerationRequest, calls: Iterable[PendingCall], names: ToolNames) -> int:
    """Parse streamed calls into ``request.tool_calls`` (our names); unreadable ones go to
    ``request.bad_tool_calls`` as raw text. Returns how many calls were readable."""
    good = 0
    for call in calls:
        name = names.original(call.name)
        args = parse_arguments(call.raw) if call.name else None
        if args is None:
            request.bad_tool_calls.append(f'{{"name": {json.dumps(name)}, "arguments": {call.raw or "{}"}}}')
            continue
        request.tool_calls.append(ToolCall(name, args, call.id))
        good += 1
    return good


def with_call_ids(messages: list[ChatMessage], prefix: str = "call") -> list[ChatMessage]:
    """``messages`` with every tool call and result carrying an id the APIs accept.

    Ids are cleaned to ``[a-zA-Z0-9_-]``; a call without one gets ``{prefix}_N``, and a result
    without one is paired with the oldest call not yet answered.
    """
    out: list[ChatMessage] = []
    pending: list[str] = []
    n = 0
    for m in messages:
        if m.tool_calls:
            calls = []
            for c in m.tool_calls:
                n += 1
                cid = _WIRE_ID.sub("_", c.id) or f"{prefix}_{n}"
                calls.append(dataclasses.replace(c, id=cid))
                pending.append(cid)
            m = dataclasses.replace(m, tool_calls=tuple(calls))
        elif m.role == "tool":
            cid = _WIRE_ID.sub("_", m.tool_call_id)
            if not cid:
                cid = pending[0] if pending else f"{prefix}_0"
            if cid in pending:
                pending.remove(cid)
            m = dataclasses.replace(m, tool_call_id=cid)
        out.append(m)
    return out


class ApiChat(ChatModel):
    """A chat model behind an HTTP API, reached through its official SDK.

    Args:
        spec: the model's entry in the model table.
        settings: the settings (``router.api_timeout_s`` is the request timeout).
        env: where the API key is read from (default ``os.environ``).
    Raises:
        NeedsKey: the subclass requires a key and its variable is not set.
        MissingDependency: the SDK is not installed.
    """

    is_local = False
    needs_key = True

    def __init__(self, spec: ModelSpec, settings: Settings, env: Mapping[str, str] | None = None) -> None:
        super().__init__(spec.name)
        self.spec = spec
        self.key_env_var = key_env_var(spec)
        self.leaves_machine = leaves_machine(spec)
        self.timeout_s = settings.router.api_timeout_s
        self.n_ctx = spec.context
        self.client = self.make_client(env)

    @abstractmethod
    def make_client(self, env: Mapping[str, str] | None) -> Any:
        """The SDK client for ``self.spec``, with the key read from ``env`` as this backend requires."""

    def mapped(self, exc: BaseException) -> BaseException:
        """``exc`` as a logged :class:`JarvisError` when it came from the SDK or HTTP; otherwise ``exc``."""
        if isinstance(exc, JarvisError) or not is_api_error(exc):
            return exc
        err = map_api_error(exc, self.spec, self.timeout_s)
        # Logged under the backend's own module, as before the base class existed.
        logging.getLogger(type(self).__module__).warning("%s: %s", self.name, err.message)
        return err

    def close(self) -> None:
        """Close the HTTP client. Safe to call twice."""
        client = getattr(self, "client", None)
        if client is not None:
            try:
                client.close()
            except Exception:  # pragma: no cover
                pass
