"""Servers the backend and fallback tests talk to.

* :func:`llama_server` - a real ``python -m llama_cpp.server`` process serving the embedded SmolLM2
  GGUF on 127.0.0.1 (free port, API key required), started once per test process.
* :class:`StubAPI` - a small local HTTP server standing in for the cloud services we cannot reach
  here: it speaks the Anthropic Messages streaming protocol and the OpenAI chat completions
  streaming protocol (server-sent events) and returns the OpenAI/Anthropic error statuses (401,
  429, 5xx) and hangs (timeouts) the real services produce. It is a fake only because the real
  services cannot run on this machine.

Unscripted, a model echoes the last user message. :meth:`StubAPI.script` queues replies for a model
id: text and tool calls (:class:`StubCall`), streamed in fragments the way the real APIs stream them
(OpenAI: ``delta.tool_calls`` with index, id and name, then argument pieces, finish reason
"tool_calls"; Anthropic: ``content_block_start`` with a ``tool_use`` block, ``input_json_delta``
pieces, stop reason "tool_use"). Every request is recorded (:attr:`StubAPI.requests`,
:meth:`StubAPI.bodies`) so tests can check what went over the wire. A model id ending in
``-notools`` answers 400 to a request with ``tools`` (as llama.cpp's server does without --jinja).
"""

from __future__ import annotations

import atexit
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from devsupport.paths import SMOLLM

SERVER_KEY = "srv-test-key-123456"
ANTHROPIC_KEY = "sk-ant-test-abcdefghijklmnop"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_server: dict[str, Any] = {}
_server_lock = threading.Lock()


def llama_server() -> str:
    """Base URL (``http://127.0.0.1:PORT/v1``) of a real llama.cpp server serving SmolLM2 as ``smol``."""
    with _server_lock:
        if "url" in _server:
            return _server["url"]
        port = free_port()
        folder = Path(tempfile.mkdtemp(prefix="jarvis-llama-server-"))  # the tests' own, removed at exit
        atexit.register(shutil.rmtree, folder, True)
        log = open(folder / "server.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(SMOLLM), "--model_alias", "smol",
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "1024", "--api_key", SERVER_KEY],
            stdout=log, stderr=subprocess.STDOUT,
        )
        atexit.register(_stop, proc)
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {proc.returncode}; see {log.name}")
            try:
                auth = {"Authorization": f"Bearer {SERVER_KEY}"}
                req = urllib.request.Request(f"{url}/models", headers=auth)
                with urllib.request.urlopen(req, timeout=2) as r:
                    if r.status == 200:
                        _server["url"] = url
                        return url
            except OSError:
                time.sleep(0.3)
        _stop(proc)
        raise RuntimeError("llama_cpp.server did not start within 180 s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass(frozen=True)
class StubCall:
    """A tool call the stub streams: ``name`` as it is on the wire, ``arguments`` raw text (may be bad JSON)."""

    name: str
    arguments: str = "{}"
    id: str = ""


@dataclass(frozen=True)
class StubReply:
    """One scripted reply: text (streamed word by word), then tool calls.

    ``requires``: text the request must contain (in its JSON body), else the stub answers 400.
    """

    text: str = ""
    calls: tuple[StubCall, ...] = ()
    requires: str = ""


@dataclass
class _Script:
    replies: deque[StubReply] = field(default_factory=deque)


def _sse(handler: BaseHTTPRequestHandler, event: str, data: dict) -> None:
    handler.wfile.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
    handler.wfile.flush()


def _data(handler: BaseHTTPRequestHandler, data: dict | str) -> None:
    """One OpenAI stream line (``data: {...}``, or ``data: [DONE]``)."""
    raw = data if isinstance(data, str) else json.dumps(data)
    handler.wfile.write(f"data: {raw}\n\n".encode())
    handler.wfile.flush()


def _words(text: str) -> list[str]:
    """``text`` in streamed pieces: words with their leading space."""
    return [w if i == 0 else " " + w for i, w in enumerate(text.split())]


def _fragments(raw: str, size: int = 5) -> list[str]:
    """Argument text cut in small pieces, as the APIs stream it."""
    return [raw[i:i + size] for i in range(0, len(raw), size)]


def _text_of(content: object) -> str:
    """The text of a message's content (a string, or the text of its blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict):
                inner = block.get("text", block.get("content", ""))
                parts.append(inner if isinstance(inner, str) else _text_of(inner))
        return " ".join(p for p in parts if p)
    return ""


def _echo(body: dict) -> StubReply:
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    last = _text_of(users[-1]["content"]) if users else ""
    words = ("Echo: " + last).split()[: int(body.get("max_tokens", 16) or 16)]
    return StubReply(" ".join(words))


class _Handler(BaseHTTPRequestHandler):
    server: StubAPI

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _json(self, status: int, body: dict) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))) or b"{}")
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        model = str(body.get("model", ""))
        anthropic = self.path.endswith("/messages")
        if model.endswith("-hang"):
            self.server.release.wait(15)
            return
        for code in (401, 429, 500, 503, 529):
            if model.endswith(f"-{code}"):
                kind = {401: "authentication_error", 429: "rate_limit_error", 529: "overloaded_error"}
                return self._json(code, {"type": "error", "error": {"type": kind.get(code, "api_error"),
                                                                     "message": f"stub status {code}"}})
        if model.endswith("-notools") and body.get("tools"):
            return self._json(400, {"error": {"message": "tools param requires --jinja flag",
                                              "type": "invalid_request_error"}})
        if anthropic:
            bearer = self.headers.get("authorization", "").removeprefix("Bearer ")
            sent = self.headers.get("x-api-key") or bearer
            if sent != self.server.anthropic_key:
                return self._json(401, {"type": "error", "error": {"type": "authentication_error",
                                                                    "message": "invalid x-api-key"}})
        elif self.path != "/v1/chat/completions":
            return self._json(404, {"error": {"message": "unknown path", "type": "not_found"}})
        reply = self.server.next_reply(model) or _echo(body)
        if reply.requires and reply.requires not in json.dumps(body):
            return self._json(400, {"type": "error", "error": {
                "type": "invalid_request_error", "message": f"stub: the request lacks {reply.requires!r}"}})
        if anthropic:
            return self._anthropic_stream(body, model, reply)
        return self._openai_stream(body, model, reply)

    def _openai_stream(self, body: dict, model: str, reply: StubReply) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        base = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}

        def chunk(delta: dict, finish: str | None = None) -> None:
            _data(self, {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]})

        chunk({"role": "assistant", "content": ""})
        pieces = _words(reply.text)
        for piece in pieces:
            chunk({"content": piece})
        for i, call in enumerate(reply.calls):
            chunk({"tool_calls": [{"index": i, "id": call.id or f"call_stub{i}", "type": "function",
                                   "function": {"name": call.name, "arguments": ""}}]})
            for piece in _fragments(call.arguments):
                chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
        chunk({}, "tool_calls" if reply.calls else "stop")
        if (body.get("stream_options") or {}).get("include_usage"):
            n_in = sum(len(_text_of(m.get("content")).split()) for m in body.get("messages", []))
            n_out = len(pieces) + len(reply.calls)
            _data(self, {**base, "choices": [], "usage": {"prompt_tokens": n_in, "completion_tokens": n_out,
                                                          "total_tokens": n_in + n_out}})
        _data(self, "[DONE]")

    def _anthropic_stream(self, body: dict, model: str, reply: StubReply) -> None:
        words = _words(reply.text)
        n_in = sum(len(_text_of(m.get("content", "")).split()) for m in body.get("messages", []))
        n_in += len(str(body.get("system", "")).split())
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.end_headers()
        _sse(self, "message_start", {"type": "message_start", "message": {
            "id": "msg_stub", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": n_in, "output_tokens": 1}}})
        _sse(self, "ping", {"type": "ping"})
        index = 0
        if words or not reply.calls:
            _sse(self, "content_block_start", {"type": "content_block_start", "index": 0,
                                               "content_block": {"type": "text", "text": ""}})
            for i, piece in enumerate(words):
                if model.endswith("-midstream") and i == 2:
                    _sse(self, "error", {"type": "error", "error": {"type": "overloaded_error",
                                                                    "message": "Overloaded"}})
                    return
                _sse(self, "content_block_delta", {"type": "content_block_delta", "index": 0,
                                                   "delta": {"type": "text_delta", "text": piece}})
            _sse(self, "content_block_stop", {"type": "content_block_stop", "index": 0})
            index = 1
        for n, call in enumerate(reply.calls):
            block = {"type": "tool_use", "id": call.id or f"toolu_stub{n}", "name": call.name, "input": {}}
            _sse(self, "content_block_start", {"type": "content_block_start", "index": index, "content_block": block})
            _sse(self, "content_block_delta", {"type": "content_block_delta", "index": index,
                                               "delta": {"type": "input_json_delta", "partial_json": ""}})
            for piece in _fragments(call.arguments):
                _sse(self, "content_block_delta", {"type": "content_block_delta", "index": index,
                                                   "delta": {"type": "input_json_delta", "partial_json": piece}})
            _sse(self, "content_block_stop", {"type": "content_block_stop", "index": index})
            index += 1
        _sse(self, "message_delta", {"type": "message_delta",
                                     "delta": {"stop_reason": "tool_use" if reply.calls else "end_turn",
                                               "stop_sequence": None},
                                     "usage": {"output_tokens": len(words) + len(reply.calls)}})
        _sse(self, "message_stop", {"type": "message_stop"})


class StubAPI(ThreadingHTTPServer):
    """Local stand-in for the cloud APIs (see the module docstring); ``url`` is its base URL."""

    daemon_threads = True

    def __init__(self, anthropic_key: str = ANTHROPIC_KEY) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.anthropic_key = anthropic_key
        self.requests: list[dict] = []
        self.release = threading.Event()
        self._scripts: dict[str, _Script] = {}
        self._script_lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def script(self, model: str, *replies: StubReply) -> None:
        """Queue ``replies`` for requests to ``model`` (one per request, in order; then it echoes)."""
        with self._script_lock:
            self._scripts.setdefault(model, _Script()).replies.extend(replies)

    def next_reply(self, model: str) -> StubReply | None:
        """The next scripted reply for ``model``, or None when none is left."""
        with self._script_lock:
            script = self._scripts.get(model)
            return script.replies.popleft() if script and script.replies else None

    def bodies(self, model: str) -> list[dict]:
        """The JSON bodies of the requests received for ``model``, oldest first."""
        return [r["body"] for r in list(self.requests) if r["body"].get("model") == model]

    def close(self) -> None:
        """Stop serving and free hanging handlers."""
        self.release.set()
        self.shutdown()
        self.server_close()
