"""Servers the backend and fallback tests talk to.

* :func:`llama_server` - a real ``python -m llama_cpp.server`` process serving the embedded SmolLM2
  GGUF on 127.0.0.1 (free port, API key required), started once per test process.
* :class:`StubAPI` - a small local HTTP server standing in for the cloud services we cannot reach
  here: it speaks the Anthropic Messages streaming protocol (server-sent events) and returns the
  OpenAI/Anthropic error statuses (401, 429, 5xx) and hangs (timeouts) the real services produce.
  It is a fake only because the real services cannot run on this machine.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support.paths import SMOLLM

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
        log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"jarvis-llama-server-{port}.log", "w")  # noqa: SIM115
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


def _sse(handler: BaseHTTPRequestHandler, event: str, data: dict) -> None:
    handler.wfile.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
    handler.wfile.flush()


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
        if anthropic:
            bearer = self.headers.get("authorization", "").removeprefix("Bearer ")
            sent = self.headers.get("x-api-key") or bearer
            if sent != self.server.anthropic_key:
                return self._json(401, {"type": "error", "error": {"type": "authentication_error",
                                                                    "message": "invalid x-api-key"}})
            return self._anthropic_stream(body, model)
        return self._json(404, {"error": {"message": "unknown path", "type": "not_found"}})

    def _anthropic_stream(self, body: dict, model: str) -> None:
        last_user = [m for m in body.get("messages", []) if m.get("role") == "user"][-1]["content"]
        words = ("Echo: " + last_user).split()[: int(body.get("max_tokens", 16))]
        n_in = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
        n_in += len(str(body.get("system", "")).split())
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.end_headers()
        _sse(self, "message_start", {"type": "message_start", "message": {
            "id": "msg_stub", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": n_in, "output_tokens": 1}}})
        _sse(self, "content_block_start", {"type": "content_block_start", "index": 0,
                                           "content_block": {"type": "text", "text": ""}})
        _sse(self, "ping", {"type": "ping"})
        for i, word in enumerate(words):
            if model.endswith("-midstream") and i == 2:
                _sse(self, "error", {"type": "error", "error": {"type": "overloaded_error",
                                                                "message": "Overloaded"}})
                return
            piece = word if i == 0 else " " + word
            _sse(self, "content_block_delta", {"type": "content_block_delta", "index": 0,
                                               "delta": {"type": "text_delta", "text": piece}})
        _sse(self, "content_block_stop", {"type": "content_block_stop", "index": 0})
        _sse(self, "message_delta", {"type": "message_delta",
                                     "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                     "usage": {"output_tokens": len(words)}})
        _sse(self, "message_stop", {"type": "message_stop"})


class StubAPI(ThreadingHTTPServer):
    """Local stand-in for the cloud APIs (see the module docstring); ``url`` is its base URL."""

    daemon_threads = True

    def __init__(self, anthropic_key: str = ANTHROPIC_KEY) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.anthropic_key = anthropic_key
        self.requests: list[dict] = []
        self.release = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        """Stop serving and free hanging handlers."""
        self.release.set()
        self.shutdown()
        self.server_close()
