"""OpenAI chat completions (official ``openai`` SDK), streaming; also any OpenAI-compatible server.

:class:`OpenAIChat` talks to api.openai.com (or ``base_url``) with the key from ``OPENAI_API_KEY``
(or the variable named by ``key_env``). :class:`OpenAICompatibleChat` talks to vLLM, Ollama,
LM Studio or ``python -m llama_cpp.server`` by ``base_url``; a key is optional. Keys, SDK clients
and error mapping are shared with the Anthropic backend in :mod:`jarvis.llm.api_chat`.

Tools go out as ``tools=[{"type": "function", "function": {...}}]`` with API-safe names
(:class:`~jarvis.llm.api_chat.ToolNames`); the ``delta.tool_calls`` fragments of the stream are
gathered by index into ``request.tool_calls``. A compatible server that refuses ``tools`` (llama.cpp
without ``--jinja``, an Ollama model without tool support) is asked again without them, and is not
offered tools again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from typing import Any

from jarvis.config import ModelSpec, Settings
from jarvis.llm.api_chat import (
    ApiChat,
    PendingCall,
    ToolNames,
    finish_calls,
    read_key,
    schema_function,
    sdk_client,
    with_call_ids,
)
from jarvis.llm.base import ChatMessage, GenerationRequest
from jarvis.messages import GenerationStats

log = logging.getLogger(__name__)


def to_chat_api(
    messages: list[ChatMessage], names: ToolNames | None = None, empty: str | None = None
) -> list[dict[str, Any]]:
    """Messages in the chat completions format: an assistant's calls as ``tool_calls`` (arguments
    as a JSON string, wire names), each result as a ``tool`` message with its ``tool_call_id``.

    ``empty`` is the content of an assistant message that only calls tools: None for OpenAI (its
    documented form); "" for compatible servers, some of which (llama-cpp-python's) want a string.
    """
    names = names or ToolNames()
    out: list[dict[str, Any]] = []
    for m in with_call_ids(messages):
        if m.tool_calls:
            out.append({
                "role": "assistant",
                "content": m.content or empty,
                "tool_calls": [
                    {"id": c.id, "type": "function",
                     "function": {"name": names.wire(c.name), "arguments": json.dumps(c.arguments)}}
                    for c in m.tool_calls
                ],
            })
        elif m.role == "tool":
            out.append({"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content})
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def to_chat_tools(tools: list[dict[str, Any]], names: ToolNames) -> list[dict[str, Any]]:
    """Function schemas with API-safe names (``parameters`` default to an empty object schema)."""
    out = []
    for tool in tools:
        fn = dict(schema_function(tool))
        fn["name"] = names.wire(str(fn.get("name", "")))
        fn.setdefault("parameters", {"type": "object", "properties": {}})
        out.append({"type": "function", "function": fn})
    return out


def _refuses_tools(exc: BaseException) -> bool:
    """True when a server answered 400/422 about tools (it cannot take ``tools=``)."""
    status = getattr(exc, "status_code", None)
    return status in (400, 422) and "tool" in str(getattr(exc, "message", "") or exc).lower()


class OpenAIChat(ApiChat):
    """An OpenAI chat model through the official SDK; streams deltas and tool calls, reports usage."""

    key_required = True
    send_usage_option = True
    supports_tools = True
    retry_without_tools = False  # ask again without tools when the server refuses them
    empty_content: str | None = None  # content of an assistant message that only calls tools

    def make_client(self, env: Mapping[str, str] | None) -> Any:
        """An ``openai.OpenAI`` client; without a required key it sends a placeholder."""
        key = read_key(self.spec, env, required=self.key_required) or "no-key"
        return sdk_client("openai", "OpenAI", key, self.spec, self.timeout_s)

    def _create(self, kwargs: dict[str, Any]) -> Any:
        """Start the streamed completion (again without tools when a compatible server refuses them)."""
        try:
            return self.client.chat.completions.create(**kwargs)
        except Exception as exc:
            if not ("tools" in kwargs and self.retry_without_tools and _refuses_tools(exc)):
                raise self.mapped(exc) from None
            log.warning("%s: the server refused tools (%s); answering without them",
                        self.name, getattr(exc, "status_code", "?"))
            self.supports_tools = False
        kwargs.pop("tools")
        try:
            return self.client.chat.completions.create(**kwargs)
        except Exception as exc:
            raise self.mapped(exc) from None

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """Stream the reply; stops at the next chunk once ``request.stop_event`` is set.

        Tool calls the model makes land in ``request.tool_calls`` (finish reason "tool_calls").
        """
        names = ToolNames.for_request(request)
        kwargs: dict = dict(
            model=self.spec.id,
            messages=to_chat_api(request.messages, names, self.empty_content),
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            top_p=request.top_p,
            stream=True,
        )
        if request.tools:
            kwargs["tools"] = to_chat_tools(request.tools, names)
        if self.send_usage_option:
            kwargs["stream_options"] = {"include_usage": True}
        if request.seed >= 0:
            kwargs["seed"] = request.seed
        t0 = time.monotonic()
        first: float | None = None
        n_out, usage_in, usage_out, finish = 0, None, None, "stop"
        calls: dict[int, PendingCall] = {}
        chunks = self._create(kwargs)
        try:
            for chunk in chunks:
                if request.stop_event.is_set():
                    finish = "interrupted"
                    break
                if getattr(chunk, "usage", None) is not None:
                    usage_in, usage_out = chunk.usage.prompt_tokens, chunk.usage.completion_tokens
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                if choice.finish_reason:
                    finish = choice.finish_reason
                delta = choice.delta
                if delta is not None and getattr(delta, "tool_calls", None):
                    if first is None:
                        first = time.monotonic() - t0
                    _gather(calls, delta.tool_calls)
                piece = delta.content if delta is not None else None
                if piece:
                    n_out += 1
                    if first is None:
                        first = time.monotonic() - t0
                    yield piece
            if finish != "interrupted" and calls:
                finish_calls(request, (calls[i] for i in sorted(calls)), names)
                finish = "tool_calls"
            elif finish == "function_call":
                finish = "tool_calls"
        except Exception as exc:
            finish = "error"
            raise self.mapped(exc) from None
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # pragma: no cover
                    pass
            prompt = usage_in
            if prompt is None:
                prompt = sum(self.count_tokens(m.content) for m in request.messages)
            self.last_stats = GenerationStats(
                model=self.name,
                prompt_tokens=int(prompt),
                completion_tokens=int(usage_out if usage_out is not None else n_out + len(calls)),
                time_to_first_token_s=first,
                total_s=time.monotonic() - t0,
                finish_reason=finish,
            )


def _gather(calls: dict[int, PendingCall], fragments: list[Any]) -> None:
    """Add one chunk's ``delta.tool_calls`` fragments to the calls being built, by index.

    A server that sends no index starts a new call when a fragment brings a new id.
    """
    for frag in fragments:
        index = getattr(frag, "index", None)
        frag_id = getattr(frag, "id", None) or ""
        if index is None:
            known = [i for i, c in calls.items() if frag_id and c.id == frag_id]
            if known:
                index = known[0]
            elif frag_id or not calls:
                index = len(calls)
            else:
                index = max(calls)
        call = calls.setdefault(int(index), PendingCall())
        if frag_id and not call.id:
            call.id = frag_id
        fn = getattr(frag, "function", None)
        if fn is None:
            continue
        if getattr(fn, "name", None) and not call.name:
            call.name = fn.name
        if getattr(fn, "arguments", None):
            call.pieces.append(fn.arguments)


class OpenAICompatibleChat(OpenAIChat):
    """Any server speaking the OpenAI chat API (vLLM, Ollama, LM Studio, llama.cpp server) by ``base_url``.

    A key is sent only when ``key_env`` names a variable; a server on this machine does not count as
    a turn leaving the machine. A server that refuses ``tools`` is answered without them.
    """

    key_required = False
    send_usage_option = True
    retry_without_tools = True
    empty_content = ""

    def __init__(self, spec: ModelSpec, settings: Settings, env: Mapping[str, str] | None = None) -> None:
        self.needs_key = bool(spec.key_env)
        if spec.key_env:
            self.key_required = True
        super().__init__(spec, settings, env)
