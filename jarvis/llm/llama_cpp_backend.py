"""llama.cpp backend (llama-cpp-python): a local GGUF model, the model's own chat template."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jarvis.assets import SHA256, ChecksumCache
from jarvis.config import ModelSpec
from jarvis.errors import ModelCorrupt, ModelLoadError, ModelNotFound
from jarvis.llm.base import ChatMessage, ChatModel, GenerationRequest
from jarvis.llm.tool_calls import ToolCallSplitter
from jarvis.messages import GenerationStats

log = logging.getLogger(__name__)


def verify_model_file(path: Path) -> None:
    """Raise :class:`ModelNotFound` or :class:`ModelCorrupt` when a GGUF file is missing or bad.

    Files of the embedded models are checked against their recorded sha256 (cached by size and
    mtime); any other file must have a readable GGUF header and be as long as the tensor data it
    declares (a truncated download or copy is caught here, not by llama.cpp).
    """
    if not path.is_file():
        raise ModelNotFound(
            f"model file not found: {path}",
            "run ./install.sh to assemble the embedded models, or fix 'file' in config.toml",
        )
    models_dir = path.parent
    expected = SHA256.get(path.name)
    if expected is not None:
        cache = ChecksumCache(models_dir)
        digest = cache.digest(path)
        cache.save()
        if digest != expected:
            raise ModelCorrupt(
                f"model file is corrupt (sha256 mismatch): {path}",
                "delete it and run ./install.sh to assemble it again",
            )
        return
    from jarvis.gguf import check_gguf

    check_gguf(path)


def llama_messages(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """Messages as llama.cpp's chat templates read them (tool calls with their arguments as objects)."""
    out: list[dict[str, Any]] = []
    for m in messages:
        row: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.tool_calls:
            row["tool_calls"] = [
                {"type": "function", "id": c.id, "function": {"name": c.name, "arguments": c.arguments}}
                for c in m.tool_calls
            ]
        if m.role == "tool":
            row["name"] = m.name
            row["tool_call_id"] = m.tool_call_id
        out.append(row)
    return out


# Hermes-style tool instructions (the wording of Qwen2.5's own chat template), for models whose
# template writes <tool_call> blocks: sent as a system message just before the newest question
# instead of through the template, which would put them at the very start of the prompt and change
# the prefix llama.cpp keeps cached whenever the tools offered change (a turn offered the clock took
# 4.7 s instead of ~1.5 s: issue 21).
TOOLS_NOTE = (
    "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{tools}\n</tools>\n\n"
    "For each function call, return a json object with function name and arguments within "
    "<tool_call></tool_call> XML tags:\n<tool_call>\n{{\"name\": <function-name>, \"arguments\": "
    "<args-json-object>}}\n</tool_call>"
)


def tools_before_question(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``messages`` with the tool instructions as a system message just before the newest user message."""
    import json

    note = {"role": "system", "content": TOOLS_NOTE.format(tools="\n".join(json.dumps(t) for t in tools))}
    last = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=len(messages))
    return [*messages[:last], note, *messages[last:]]


class LlamaCppChat(ChatModel):
    """A GGUF chat model in this process; streams and stops between tokens."""

    is_local = True
    supports_tools = True

    def __init__(
        self,
        spec: ModelSpec,
        n_ctx: int | None = None,
        n_threads: int | None = None,
        gpu_layers: int = 0,
        seed: int = -1,
        device: str | None = None,
    ) -> None:
        super().__init__(spec.name)
        assert spec.file is not None
        self.spec = spec
        self.path = Path(spec.file)
        verify_model_file(self.path)
        from jarvis.llm.llama_gpu import device_kwargs, import_llama

        llama_class = import_llama()
        self.device = device or ("cuda:0" if gpu_layers else "cpu")
        t0 = time.monotonic()
        kwargs = dict(
            model_path=str(self.path),
            n_ctx=n_ctx or spec.context,
            verbose=False,
            **device_kwargs(spec.name, self.device, gpu_layers),
        )
        if n_threads:
            kwargs["n_threads"] = n_threads
        if seed >= 0:
            kwargs["seed"] = seed
        if spec.chat_format:
            kwargs["chat_format"] = spec.chat_format
        try:
            self.llm = llama_class(**kwargs)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelLoadError(
                f"llama.cpp could not load {self.path.name}: {exc}",
                "check the file is a GGUF model this llama.cpp supports; try a smaller context or device = 'cpu'",
            ) from None
        self.load_seconds = time.monotonic() - t0
        self.n_ctx = self.llm.n_ctx()
        template = str((getattr(self.llm, "metadata", None) or {}).get("tokenizer.chat_template", ""))
        # tools go next to the question (a stable cached prefix) where the template speaks Hermes' syntax
        self.tools_near_question = "<tool_call>" in template and not spec.chat_format
        log.info("loaded %s in %.1fs (ctx %d, gpu_layers %d)", spec.name, self.load_seconds, self.n_ctx, gpu_layers)

    def count_tokens(self, text: str) -> int:
        """Exact token count with the model's tokenizer."""
        if not text:
            return 0
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """Stream the reply; stops within one token once ``request.stop_event`` is set.

        With ``request.tools`` the schemas go through the model's own chat template and the
        ``<tool_call>`` blocks it writes are held back, parsed into ``request.tool_calls``.
        """
        messages = llama_messages(request.messages)
        uses_tools = bool(request.tools) or any(m.role == "tool" for m in request.messages)
        splitter = ToolCallSplitter() if uses_tools else None  # a call written anyway is never spoken
        t0 = time.monotonic()
        first: float | None = None
        n_out = 0
        finish = "stop"
        kwargs = dict(
            messages=messages,
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            top_p=request.top_p,
            stream=True,
        )
        if request.seed >= 0:
            kwargs["seed"] = request.seed
        if request.tools and self.tools_near_question:
            kwargs["messages"] = tools_before_question(messages, request.tools)
        elif request.tools:
            kwargs["tools"] = request.tools
        chunks = self.llm.create_chat_completion(**kwargs)
        try:
            for chunk in chunks:
                if request.stop_event.is_set():
                    finish = "interrupted"
                    break
                choice = chunk["choices"][0]
                piece = choice.get("delta", {}).get("content") or ""
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
                if piece:
                    n_out += 1
                    if first is None:
                        first = time.monotonic() - t0
                    shown = splitter.feed(piece) if splitter is not None else piece
                    if shown:
                        yield shown
            if splitter is not None:
                rest = splitter.finish()
                request.tool_calls.extend(splitter.calls)
                request.bad_tool_calls.extend(splitter.bad)
                if splitter.calls:
                    finish = "tool_calls"
                if rest:
                    yield rest
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
            total = time.monotonic() - t0
            prompt_tokens = max(0, int(self.llm.n_tokens) - n_out)
            self.last_stats = GenerationStats(
                model=self.name,
                prompt_tokens=prompt_tokens,
                completion_tokens=n_out,
                time_to_first_token_s=first,
                total_s=total,
                finish_reason=finish,
            )

    def prefill(self, messages: list[ChatMessage], tools: list[dict[str, Any]] | None = None) -> None:
        """Evaluate ``messages`` (and one token) so llama.cpp keeps them in its cache as a prompt prefix.

        Pass the same ``tools`` the turns will pass: they are part of the prompt's start.
        """
        if not messages:
            return
        kwargs: dict[str, Any] = {"tools": tools} if tools and not self.tools_near_question else {}
        self.llm.create_chat_completion(messages=llama_messages(messages), max_tokens=1, temperature=0.0, **kwargs)

    def close(self) -> None:
        """Free the model."""
        llm = getattr(self, "llm", None)
        if llm is not None:
            try:
                llm.close()
            except Exception:  # pragma: no cover
                pass
            self.llm = None  # type: ignore[assignment]
