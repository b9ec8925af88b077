"""OpenAI chat completions (official ``openai`` SDK), streaming; also any OpenAI-compatible server.

:class:`OpenAIChat` talks to api.openai.com (or ``base_url``) with the key from ``OPENAI_API_KEY``
(or the variable named by ``key_env``). :class:`OpenAICompatibleChat` talks to vLLM, Ollama,
LM Studio or ``python -m llama_cpp.server`` by ``base_url``; a key is optional. The SDK is imported
when a backend is built. Keys are never logged or put in error messages.
"""

from __future__ import annotations

import importlib
import logging
import os
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlparse

from jarvis.config import ModelSpec, Settings
from jarvis.errors import BackendUnavailable, JarvisError, MissingDependency, ModelNotFound, NeedsKey
from jarvis.llm.base import ChatModel, GenerationRequest
from jarvis.llm.router import key_env_var, leaves_machine
from jarvis.logs import scrub
from jarvis.messages import GenerationStats

log = logging.getLogger(__name__)


def read_key(spec: ModelSpec, env: Mapping[str, str] | None = None, required: bool = True) -> str | None:
    """The API key for ``spec`` from its environment variable; :class:`NeedsKey` names the variable."""
    var = key_env_var(spec)
    if var is None:
        return None
    value = (os.environ if env is None else env).get(var, "").strip()
    if value:
        return value
    if not required:
        return None
    return _raise_needs_key(spec, var)


def _raise_needs_key(spec: ModelSpec, var: str) -> str:
    raise NeedsKey(
        f"model '{spec.name}' ({spec.backend}) needs an API key: {var} is not set",
        f"export {var}=... in the shell that starts Jarvis (or set key_env in config.toml)",
    )


def _error_type(exc: BaseException) -> str:
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


def sdk_client(module: str, cls: str, key: str, spec: ModelSpec, timeout_s: float) -> Any:
    """The official SDK's client (``openai.OpenAI``, ``anthropic.Anthropic``) for ``spec``.

    No retries inside the SDK: the fallback chain decides what happens after a failure.
    """
    try:
        sdk = importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - install.sh installs it
        raise MissingDependency(f"the {module} package is not importable ({exc})", "run ./install.sh") from None
    return getattr(sdk, cls)(api_key=key, base_url=spec.base_url or None, timeout=timeout_s, max_retries=0)


def _is_api_error(exc: BaseException) -> bool:
    mod = type(exc).__module__ or ""
    return mod.startswith(("openai", "anthropic", "httpx", "httpcore"))


class OpenAIChat(ChatModel):
    """An OpenAI chat model through the official SDK; streams deltas, reports usage when sent."""

    is_local = False
    needs_key = True
    key_required = True
    send_usage_option = True

    def __init__(self, spec: ModelSpec, settings: Settings, env: Mapping[str, str] | None = None) -> None:
        super().__init__(spec.name)
        self.spec = spec
        self.key_env_var = key_env_var(spec)
        self.leaves_machine = leaves_machine(spec)
        self.timeout_s = settings.router.api_timeout_s
        self.n_ctx = spec.context
        key = read_key(spec, env, required=self.key_required) or "no-key"
        self.client = sdk_client("openai", "OpenAI", key, spec, self.timeout_s)

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
            raise self._mapped(exc) from None
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
            raise self._mapped(exc) from None
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

    def _mapped(self, exc: BaseException) -> BaseException:
        if isinstance(exc, JarvisError):
            return exc
        if not _is_api_error(exc):
            return exc
        err = map_api_error(exc, self.spec, self.timeout_s)
        log.warning("%s: %s", self.name, err.message)
        return err

    def close(self) -> None:
        """Close the HTTP client."""
        client = getattr(self, "client", None)
        if client is not None:
            try:
                client.close()
            except Exception:  # pragma: no cover
                pass


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
