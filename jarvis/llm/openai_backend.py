"""OpenAI chat completions (official ``openai`` SDK), streaming; also any OpenAI-compatible server.

:class:`OpenAIChat` talks to api.openai.com (or ``base_url``) with the key from ``OPENAI_API_KEY``
(or the variable named by ``key_env``). :class:`OpenAICompatibleChat` talks to vLLM, Ollama,
LM Studio or ``python -m llama_cpp.server`` by ``base_url``; a key is optional. Keys, SDK clients
and error mapping are shared with the Anthropic backend in :mod:`jarvis.llm.api_chat`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

from jarvis.config import ModelSpec, Settings
from jarvis.llm.api_chat import ApiChat, read_key, sdk_client
from jarvis.llm.base import GenerationRequest
from jarvis.messages import GenerationStats


class OpenAIChat(ApiChat):
    """An OpenAI chat model through the official SDK; streams deltas, reports usage when sent."""

    key_required = True
    send_usage_option = True

    def make_client(self, env: Mapping[str, str] | None) -> Any:
        """An ``openai.OpenAI`` client; without a required key it sends a placeholder."""
        key = read_key(self.spec, env, required=self.key_required) or "no-key"
        return sdk_client("openai", "OpenAI", key, self.spec, self.timeout_s)

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """Stream the reply; stops at the next chunk once ``request.stop_event`` is set."""
        kwargs: dict = dict(
            model=self.spec.id,
            messages=[{"role": m.role, "content": m.content} for m in request.messages],
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            top_p=request.top_p,
            stream=True,
        )
        if self.send_usage_option:
            kwargs["stream_options"] = {"include_usage": True}
        if request.seed >= 0:
            kwargs["seed"] = request.seed
        t0 = time.monotonic()
        first: float | None = None
        n_out, usage_in, usage_out, finish = 0, None, None, "stop"
        try:
            chunks = self.client.chat.completions.create(**kwargs)
        except Exception as exc:
            raise self.mapped(exc) from None
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
                piece = choice.delta.content if choice.delta is not None else None
                if piece:
                    n_out += 1
                    if first is None:
                        first = time.monotonic() - t0
                    yield piece
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
                completion_tokens=int(usage_out if usage_out is not None else n_out),
                time_to_first_token_s=first,
                total_s=time.monotonic() - t0,
                finish_reason=finish,
            )


class OpenAICompatibleChat(OpenAIChat):
    """Any server speaking the OpenAI chat API (vLLM, Ollama, LM Studio, llama.cpp server) by ``base_url``.

    A key is sent only when ``key_env`` names a variable; a server on this machine does not count as
    a turn leaving the machine.
    """

    key_required = False
    send_usage_option = True

    def __init__(self, spec: ModelSpec, settings: Settings, env: Mapping[str, str] | None = None) -> None:
        self.needs_key = bool(spec.key_env)
        if spec.key_env:
            self.key_required = True
        super().__init__(spec, settings, env)
