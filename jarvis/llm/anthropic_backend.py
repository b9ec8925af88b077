"""Anthropic Messages API (official ``anthropic`` SDK), streaming over server-sent events.

The key comes from ``ANTHROPIC_API_KEY`` (or the variable named by ``key_env``); ``base_url``
overrides the endpoint. System messages go in the ``system`` field; consecutive messages of one
role are merged (the API wants user/assistant turns alternating, starting with the user).

Tools go out as ``tools=[{"name", "description", "input_schema"}]`` with API-safe names
(:class:`~jarvis.llm.api_chat.ToolNames`). An assistant's calls become ``tool_use`` blocks and
the results ``tool_result`` blocks of one user message. A streamed ``tool_use`` block and its
``input_json_delta`` pieces become ``request.tool_calls``. The API refuses a history with tool
blocks unless the tools are defined, so tools used earlier but not offered now are declared as
stubs (and, when none are offered, ``tool_choice`` is "none").
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

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

_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls"}
Content = str | list[dict[str, Any]]


def _blocks(content: Content) -> list[dict[str, Any]]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


def _join(a: Content, b: Content) -> Content:
    """Two contents of one role as one (text joined by a blank line, blocks concatenated)."""
    if isinstance(a, str) and isinstance(b, str):
        return a + "\n\n" + b
    return _blocks(a) + _blocks(b)


def to_messages_api(
    messages: list[ChatMessage], names: ToolNames | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """(system text, alternating user/assistant messages starting with a user message).

    Plain messages keep string content; an assistant's tool calls become ``tool_use`` blocks (after
    its text, if any) and ``tool`` results ``tool_result`` blocks of a user message.
    """
    names = names or ToolNames()
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    out: list[dict[str, Any]] = []
    for m in with_call_ids(messages, "toolu"):
        content: Content
        if m.role == "system":
            continue
        if m.tool_calls:
            role = "assistant"
            content = [{"type": "text", "text": m.content}] if m.content.strip() else []
            content += [{"type": "tool_use", "id": c.id, "name": names.wire(c.name), "input": c.arguments}
                        for c in m.tool_calls]
        elif m.role == "tool":
            role = "user"
            content = [{"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.content or "(empty)"}]
        elif not m.content:
            continue
        else:
            role, content = m.role, m.content
        if out and out[-1]["role"] == role:
            out[-1]["content"] = _join(out[-1]["content"], content)
        else:
            out.append({"role": role, "content": content})
    return system, _trim_start(out)


def _trim_start(out: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop what comes before the first user message, and results whose calls were dropped with it."""
    while out:
        first = out[0]
        if first["role"] != "user":
            out.pop(0)
            continue
        if isinstance(first["content"], list):
            kept = [b for b in first["content"] if b.get("type") != "tool_result"]
            if not kept:
                out.pop(0)
                continue
            first["content"] = kept
        break
    return out


def to_messages_tools(
    tools: list[dict[str, Any]] | None, messages: list[dict[str, Any]], names: ToolNames
) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    """(tool definitions, tool_choice) for a request: the offered tools, plus stubs for tools the
    history used but that are not offered now; ``tool_choice`` "none" when only stubs are sent."""
    out = []
    for tool in tools or []:
        fn = schema_function(tool)
        out.append({
            "name": names.wire(str(fn.get("name", ""))),
            "description": str(fn.get("description", "")),
            "input_schema": fn.get("parameters") or {"type": "object", "properties": {}},
        })
    offered = {t["name"] for t in out}
    used = [b["name"] for m in messages if isinstance(m["content"], list)
            for b in m["content"] if b.get("type") == "tool_use"]
    for name in dict.fromkeys(used):
        if name not in offered:
            out.append({"name": name, "description": "Not available now.",
                        "input_schema": {"type": "object", "properties": {}}})
    return out, ({"type": "none"} if out and not tools else None)


class AnthropicChat(ApiChat):
    """A Claude model through the official SDK; streams text deltas and tool calls, reports token usage."""

    supports_tools = True

    def make_client(self, env: Mapping[str, str] | None) -> Any:
        """An ``anthropic.Anthropic`` client; the key is required (:class:`NeedsKey` names its variable)."""
        return sdk_client("anthropic", "Anthropic", read_key(self.spec, env), self.spec, self.timeout_s)

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """Stream the reply; stops at the next event once ``request.stop_event`` is set.

        Tool calls the model makes land in ``request.tool_calls`` (finish reason "tool_calls").
        """
        names = ToolNames.for_request(request)
        system, messages = to_messages_api(request.messages, names)
        kwargs: dict = dict(
            model=self.spec.id,
            max_tokens=request.max_tokens,
            messages=messages,
            stream=True,
        )  # no sampling parameters: current Claude models and SDK (2.x) take none
        if system:
            kwargs["system"] = system
        tools, choice = to_messages_tools(request.tools, messages, names)
        if tools:
            kwargs["tools"] = tools
        if choice:
            kwargs["tool_choice"] = choice
        t0 = time.monotonic()
        first: float | None = None
        n_in, n_out, pieces, finish = 0, None, 0, "stop"
        calls: dict[int, PendingCall] = {}
        events = None
        try:
            events = self.client.messages.create(**kwargs)
            for event in events:
                if request.stop_event.is_set():
                    finish = "interrupted"
                    break
                kind = getattr(event, "type", "")
                if kind == "message_start":
                    n_in = int(getattr(event.message.usage, "input_tokens", 0) or 0)
                elif kind == "content_block_start" and getattr(event.content_block, "type", "") == "tool_use":
                    block = event.content_block
                    preset = getattr(block, "input", None)
                    calls[event.index] = PendingCall(block.id, block.name, preset=preset or None)
                    if first is None:
                        first = time.monotonic() - t0
                elif kind == "content_block_delta":
                    delta_type = getattr(event.delta, "type", "")
                    if delta_type == "text_delta" and event.delta.text:
                        pieces += 1
                        if first is None:
                            first = time.monotonic() - t0
                        yield event.delta.text
                    elif delta_type == "input_json_delta" and event.index in calls:
                        calls[event.index].pieces.append(event.delta.partial_json or "")
                elif kind == "message_delta":
                    usage = getattr(event, "usage", None)
                    if usage is not None and getattr(usage, "output_tokens", None) is not None:
                        n_out = int(usage.output_tokens)
                    reason = getattr(event.delta, "stop_reason", None)
                    if reason:
                        finish = _FINISH.get(reason, reason)
            if finish != "interrupted" and calls:
                finish_calls(request, (calls[i] for i in sorted(calls)), names)
                finish = "tool_calls"
        except Exception as exc:
            finish = "error"
            err = self.mapped(exc)
            if err is exc:
                raise
            raise err from None
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # pragma: no cover
                    pass
            self.last_stats = GenerationStats(
                model=self.name,
                prompt_tokens=n_in or sum(self.count_tokens(m.content) for m in request.messages),
                completion_tokens=n_out if n_out is not None else pieces,
                time_to_first_token_s=first,
                total_s=time.monotonic() - t0,
                finish_reason=finish,
            )
