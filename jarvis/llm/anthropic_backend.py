"""Anthropic Messages API (official ``anthropic`` SDK), streaming over server-sent events.

The key comes from ``ANTHROPIC_API_KEY`` (or the variable named by ``key_env``); ``base_url``
overrides the endpoint. System messages go in the ``system`` field; consecutive messages of one
role are merged (the API wants user/assistant turns alternating, starting with the user).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

from jarvis.llm.api_chat import ApiChat, read_key, sdk_client
from jarvis.llm.base import ChatMessage, GenerationRequest
from jarvis.messages import GenerationStats

_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"}


def to_messages_api(messages: list[ChatMessage]) -> tuple[str, list[dict[str, str]]]:
    """(system text, alternating user/assistant messages starting with a user message)."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    out: list[dict[str, str]] = []
    for m in messages:
        if m.role == "system" or not m.content:
            continue
        if out and out[-1]["role"] == m.role:
            out[-1]["content"] += "\n\n" + m.content
        else:
            out.append({"role": m.role, "content": m.content})
    while out and out[0]["role"] != "user":
        out.pop(0)
    return system, out


class AnthropicChat(ApiChat):
    """A Claude model through the official SDK; streams text deltas and reports token usage."""

    def make_client(self, env: Mapping[str, str] | None) -> Any:
        """An ``anthropic.Anthropic`` client; the key is required (:class:`NeedsKey` names its variable)."""
        return sdk_client("anthropic", "Anthropic", read_key(self.spec, env), self.spec, self.timeout_s)

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """Stream the reply; stops at the next event once ``request.stop_event`` is set."""
        system, messages = to_messages_api(request.messages)
        kwargs: dict = dict(
            model=self.spec.id,
            max_tokens=request.max_tokens,
            messages=messages,
            stream=True,
        )  # no sampling parameters: current Claude models and SDK (2.x) take none
        if system:
            kwargs["system"] = system
        t0 = time.monotonic()
        first: float | None = None
        n_in, n_out, pieces, finish = 0, None, 0, "stop"
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
                elif kind == "content_block_delta" and getattr(event.delta, "type", "") == "text_delta":
                    if event.delta.text:
                        pieces += 1
                        if first is None:
                            first = time.monotonic() - t0
                        yield event.delta.text
                elif kind == "message_delta":
                    usage = getattr(event, "usage", None)
                    if usage is not None and getattr(usage, "output_tokens", None) is not None:
                        n_out = int(usage.output_tokens)
                    reason = getattr(event.delta, "stop_reason", None)
                    if reason:
                        finish = _FINISH.get(reason, reason)
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
