"""MCP servers as Jarvis tools.

The official ``mcp`` SDK is async (anyio). :class:`McpServer` is a synchronous facade over one
server: it runs one asyncio event loop in a daemon thread and submits coroutines to it from the
calling (turn) thread, each bounded by the server's ``timeout_s``. A server that cannot be started,
exits, hangs or speaks something other than JSON-RPC gives a :class:`ToolError` with one line and
a hint; its session is dropped and the next use starts it again. :class:`McpManager` starts the
configured servers (in the background, or on demand) and keeps their tools in the
:class:`ToolRegistry`. A result longer than :data:`RESULT_CHARS` is cut, with a note saying so.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import json
import logging
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jarvis.tools.base import Tool, ToolError, ToolResult
from jarvis.tools.mcp_link import CLOSE_GRACE_S, Broken, Link, SessionLost, describe

if TYPE_CHECKING:
    from jarvis.config import McpServerSpec
    from jarvis.tools.registry import ToolRegistry

log = logging.getLogger(__name__)

_RESTART_HINT = "it is restarted on the next turn"
RESULT_CHARS = 16_000  # the most of one result a model (or the screen) gets; the rest is cut, and said


class McpTool(Tool):
    """One tool of an MCP server, called ``server.tool``.

    ``side_effects`` and ``needs_confirmation`` are False only when the server marks the tool
    read-only (``readOnlyHint``) and not destructive. ``personal`` is always True: what another
    program returns may hold personal data, so it is never sent to a cloud model unless memory
    sharing is allowed.
    """

    personal = True

    def __init__(self, server: McpServer, remote: Any) -> None:
        spec = server.spec
        self.server = server
        self.remote_name: str = remote.name
        self.name = f"{spec.name}.{re.sub(r'[^A-Za-z0-9_.-]', '_', remote.name)}"
        self.description = _clip(remote.description or remote.title or f"{remote.name} (MCP server {spec.name})", 1024)
        schema = dict(remote.input_schema or {})
        schema.setdefault("type", "object")
        schema.setdefault("properties", {})
        self.parameters = schema
        hints = remote.annotations
        read_only = hints is not None and hints.read_only_hint is True
        destructive = hints is not None and hints.destructive_hint is True
        self.side_effects = destructive or not read_only
        self.needs_confirmation = self.side_effects
        self.source = spec.name
        self.timeout_s = spec.timeout_s + 1.0  # the server's own timeout answers first

    def run(self, args: dict[str, Any]) -> ToolResult:
        """Call the tool on its server (started or restarted if needed)."""
        return self.server.call(self.remote_name, args)


class McpServer:
    """A synchronous facade over one MCP server (stdio when ``spec.command``, HTTP when ``spec.url``).

    Nothing starts until :meth:`start`, :meth:`tools` or :meth:`call`; each of them returns within
    ``spec.timeout_s`` (a call that must restart the server first shares that time with the start).
    :meth:`close` stops the server and the loop thread: a few seconds at most for a hung server
    (stdin closed, then SIGTERM, then SIGKILL, as the SDK does it); safe to call twice.
    """

    def __init__(self, spec: McpServerSpec) -> None:
        self.spec = spec
        self.restarts = 0
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._quit: asyncio.Event | None = None
        self._link: Link | None = None
        self._pending: Link | None = None  # a session being started (close() cuts it short)
        self._ending: list[Link] = []
        self._tools: list[Tool] = []
        self._tools_of: Link | None = None
        self._started_once = False
        self._closed = False

    @property
    def name(self) -> str:
        """The server's name from the config."""
        return self.spec.name

    @property
    def running(self) -> bool:
        """A session is open and nothing has gone wrong with it."""
        link = self._link
        return link is not None and link.alive

    # ------------------------------------------------------------------ public API
    def start(self) -> None:
        """Connect, initialize and list the tools (nothing to do when already running)."""
        with self._lock:
            self._ensure(time.monotonic() + self.spec.timeout_s)

    def tools(self) -> list[Tool]:
        """The server's tools, named ``server.tool`` (starts or restarts the server if needed)."""
        with self._lock:
            link = self._ensure(time.monotonic() + self.spec.timeout_s)
            if self._tools_of is not link:
                self._tools = [McpTool(self, t) for t in link.tools]
                self._tools_of = link
            return list(self._tools)

    def call(self, tool_name: str, args: dict[str, Any] | None = None) -> ToolResult:
        """Call ``tool_name`` (with or without the ``server.`` prefix) and return its result.

        Raises :class:`ToolError` when the tool reports an error, the server rejects the call, or
        the server exits, hangs past ``timeout_s`` or breaks the protocol (then the session is
        dropped and the next call starts the server again).
        """
        spec = self.spec
        remote = tool_name.removeprefix(f"{spec.name}.")
        qualified = f"{spec.name}.{remote}"
        deadline = time.monotonic() + spec.timeout_s
        for attempt in (1, 2):
            with self._lock:
                link = self._ensure(deadline)
                assert self._loop is not None
                future = asyncio.run_coroutine_threadsafe(link.call(remote, dict(args or {})), self._loop)
            try:
                result = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except concurrent.futures.CancelledError:
                raise ToolError(f"MCP server '{spec.name}' was shut down during {remote}", "restart Jarvis") from None
            except SessionLost as exc:  # the server restarted; the call never ran: new session, call again
                self._forget(link)
                if attempt == 2:
                    raise self._call_error(exc, link, remote, qualified) from None
                continue
            except Exception as exc:  # noqa: BLE001 - every failure becomes one ToolError line
                if not future.done():
                    future.cancel()
                    self._forget(link)
                    raise ToolError(
                        f"{qualified} did not answer within {spec.timeout_s:g} s; MCP server '{spec.name}' was stopped",
                        f"{_RESTART_HINT}; raise 'timeout_s' of the [[mcp_servers]] entry '{spec.name}' if it is slow",
                    ) from None
                raise self._call_error(exc, link, remote, qualified) from None
            return _to_result(qualified, result, spec.name)
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Stop the server (its process group ends), then the loop thread; safe to call twice.

        A start in progress (in another thread) is cut short rather than waited for.
        """
        self._closed = True
        pending, loop = self._pending, self._loop
        if pending is not None and loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(pending.shutdown)
        with self._lock:
            if self._link is not None:
                self._drop(self._link)
                self._link = None
            ending = list(self._ending)
            self._reap(wait_s=CLOSE_GRACE_S + 3.0)
            for link in ending:  # whatever is left of a server that would not stop
                link.kill_group(signal.SIGKILL)
            thread, loop, quit_ = self._thread, self._loop, self._quit
            self._thread = None
        if thread is None or loop is None or quit_ is None:
            return
        try:
            loop.call_soon_threadsafe(quit_.set)
        except RuntimeError:  # the loop has already ended
            pass
        thread.join(timeout=5.0)
        if thread.is_alive():
            log.warning("MCP server '%s': its loop thread did not end", self.name)

    # ------------------------------------------------------------------ sessions
    def _ensure(self, deadline: float) -> Link:
        """The live session, starting one (once) when there is none or the last one broke."""
        spec = self.spec
        if self._closed:
            raise ToolError(f"MCP server '{spec.name}' is shut down", "restart Jarvis to use it again")
        link = self._link
        if link is not None and link.alive:
            return link
        if link is not None:
            self._link = None
            self._drop(link)
        self._reap()
        loop = self._start_loop()
        link = Link(spec)
        ready: concurrent.futures.Future[list[Any]] = concurrent.futures.Future()
        self._pending = link
        asyncio.run_coroutine_threadsafe(link.run(ready), loop)
        try:
            ready.result(timeout=max(0.0, deadline - time.monotonic()))
        except Exception as exc:  # noqa: BLE001 - every failure becomes one ToolError line
            timed_out = not ready.done()
            self._pending = None
            self._drop(link)
            if self._closed:
                raise ToolError(f"MCP server '{spec.name}' was shut down while starting", "restart Jarvis") from None
            if timed_out:
                raise ToolError(
                    f"MCP server '{spec.name}' did not start within {spec.timeout_s:g} s",
                    f"check it by hand, or raise 'timeout_s' of the [[mcp_servers]] entry '{spec.name}'",
                ) from None
            raise ToolError(*describe(exc, spec, "starting", link.stderr_tail())) from None
        self._pending = None
        if self._closed:  # closed while it started: stop it again
            self._drop(link)
            raise ToolError(f"MCP server '{spec.name}' is shut down", "restart Jarvis to use it again")
        if self._started_once:
            self.restarts += 1
        self._started_once = True
        self._link = link
        return link

    def _call_error(self, exc: BaseException, link: Link, remote: str, qualified: str) -> ToolError:
        from mcp.shared.exceptions import MCPError
        from pydantic import ValidationError

        spec = self.spec
        if isinstance(exc, Broken):
            self._forget(link)
            detail = f": {exc.detail}" if exc.detail else ""
            return ToolError(f"MCP server '{spec.name}' {exc.reason} during {remote}{detail}", _RESTART_HINT)
        if isinstance(exc, MCPError):
            return ToolError(f"{qualified}: {_clip(exc.message, 300)}", f"MCP server '{spec.name}' rejected the call")
        if isinstance(exc, ValidationError | RuntimeError):
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return ToolError(f"{qualified}: its reply cannot be read ({_clip(first, 160)})", "report it to its author")
        self._forget(link)
        message, hint = describe(exc, spec, f"calling {remote}", link.stderr_tail())
        return ToolError(message, f"{_RESTART_HINT}; {hint}")

    def _forget(self, link: Link) -> None:
        with self._lock:
            if self._link is link:
                self._link = None
            self._drop(link)

    def _drop(self, link: Link) -> None:
        """Stop ``link`` in the background (its teardown is bounded); :meth:`_reap` collects it."""
        if link in self._ending:
            return
        self._ending.append(link)
        if self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(link.shutdown)
            except RuntimeError:
                pass

    def _reap(self, wait_s: float = 0.0) -> None:
        """Forget stopped sessions (waiting up to ``wait_s`` for them to end) and close their logs."""
        end = time.monotonic() + wait_s
        for link in list(self._ending):
            while not link.finished and time.monotonic() < end:
                time.sleep(0.02)
            if link.finished or wait_s:
                link.close_log()
                self._ending.remove(link)

    def _start_loop(self) -> asyncio.AbstractEventLoop:
        if self._thread is not None and self._thread.is_alive() and self._loop is not None:
            return self._loop
        started = threading.Event()
        self._thread = threading.Thread(target=self._run_loop, args=(started,), name=f"mcp-{self.name}", daemon=True)
        self._thread.start()
        if not started.wait(10.0) or self._loop is None:
            raise ToolError(f"MCP server '{self.name}': its event loop did not start", "try again")
        return self._loop

    def _run_loop(self, started: threading.Event) -> None:
        try:
            asyncio.run(self._main(started))
        except Exception:  # pragma: no cover - logged, the next use starts a new loop
            log.exception("MCP server '%s': event loop failed", self.name)

    async def _main(self, started: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._quit = asyncio.Event()
        started.set()
        await self._quit.wait()


class McpManager:
    """The configured MCP servers, their tools kept in ``registry``.

    Two ways to start them:

    * :meth:`start_in_background` (turns): each server not tried yet starts in a thread of its own
      and the caller goes on; a server whose start failed is not tried again this way for the life of
      the process (the failure is said once, through ``on_failure``), and with ``state_file`` the
      next process knows it failed (:meth:`failed_before`) and need not wait for it;
    * :meth:`ensure_started` (``jarvis tools``, ``/tools``): start what is not running and wait.

    Args:
        specs: the ``[[mcp_servers]]`` entries (disabled ones are left out).
        registry: where the servers' tools go (and are removed from).
        retry_after_s: :meth:`ensure_started` tries a failed server again only after this long.
        state_file: where failed starts are remembered between runs (None: not remembered).
        on_failure: told each failed background start: the server's name and one line.
    """

    def __init__(
        self, specs: Iterable[McpServerSpec], registry: ToolRegistry, retry_after_s: float = 30.0,
        state_file: Path | None = None, on_failure: Callable[[str, str], None] | None = None,
    ) -> None:
        self.registry = registry
        self.retry_after_s = retry_after_s
        self.state_file = state_file
        self.on_failure = on_failure
        self.servers: dict[str, McpServer] = {s.name: McpServer(s) for s in specs if s.enabled}
        self.attempts: dict[str, int] = {}  # starts tried, per server
        self._errors: dict[str, str] = {}
        self._failed_at: dict[str, float] = {}
        self._starting: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._closed = False

    @property
    def errors(self) -> list[str]:
        """One line per server that is not running because it failed (message and hint)."""
        return [self._errors[n] for n in self.servers if n in self._errors]

    @property
    def starting(self) -> list[str]:
        """The servers whose background start is in progress."""
        with self._lock:
            return [n for n, t in self._starting.items() if t.is_alive()]

    def start_in_background(self) -> list[str]:
        """Start, each in a thread of its own, every server not tried yet; returns those started.

        Never waits and never raises; a failed start is not tried again here.
        """
        started = []
        with self._lock:
            if self._closed:
                return []
            for server in self.servers.values():
                if server.name in self.attempts or server.name in self._starting:
                    continue
                self.attempts[server.name] = 1
                thread = threading.Thread(target=self._start_one, args=(server,), name=f"mcp-start-{server.name}",
                                          daemon=True)
                self._starting[server.name] = thread
                started.append(server.name)
                thread.start()
        return started

    def wait(self, names: Iterable[str] | None = None, timeout: float | None = None) -> bool:
        """Wait for the background starts of ``names`` (all by default); True when none is left."""
        with self._lock:
            threads = [t for n, t in self._starting.items() if names is None or n in set(names)]
        end = None if timeout is None else time.monotonic() + timeout
        for thread in threads:
            thread.join(None if end is None else max(0.0, end - time.monotonic()))
        return not any(t.is_alive() for t in threads)

    def failed_before(self) -> dict[str, str]:
        """Servers whose last start (in this or an earlier run, same command) failed: name -> the line."""
        saved = _read_state(self.state_file)
        out = {}
        for name, server in self.servers.items():
            entry = saved.get(name)
            if name in self._errors:
                out[name] = self._errors[name]
            elif isinstance(entry, dict) and entry.get("spec") == _fingerprint(server.spec):
                out[name] = str(entry.get("error", ""))
        return out

    def ensure_started(self) -> list[str]:
        """Start every server not running yet (or crashed) and add its tools; never raises.

        Returns :attr:`errors`. A background start in progress is waited for; the others start in
        parallel, each bounded by its ``timeout_s``.
        """
        self.wait(timeout=max((s.spec.timeout_s for s in self.servers.values()), default=0.0) + CLOSE_GRACE_S)
        with self._lock:
            now = time.monotonic()
            due = [
                s for s in self.servers.values()
                if not s.running and now - self._failed_at.get(s.name, -1e18) >= self.retry_after_s
            ]
            for s in due:
                self.attempts[s.name] = self.attempts.get(s.name, 0) + 1
            results: dict[str, list[Tool] | ToolError] = {}
            _each(due, lambda s: results.__setitem__(s.name, _tools_or_error(s)))
            for name, outcome in results.items():
                self._settle(name, outcome)
            self._save()
            return self.errors

    def close(self) -> None:
        """Stop every server (a start in progress is cut short) and remove its tools."""
        with self._lock:
            self._closed = True
        _each(list(self.servers.values()), McpServer.close)
        with self._lock:
            for name in self.servers:
                self.registry.remove_source(name)

    # ------------------------------------------------------------------ internals
    def _start_one(self, server: McpServer) -> None:
        outcome = _tools_or_error(server)
        with self._lock:
            self._starting.pop(server.name, None)
            if self._closed:  # cut short by close(): neither a success nor a failure
                return
            self._settle(server.name, outcome)
            self._save()
        if isinstance(outcome, ToolError) and self.on_failure is not None:
            self.on_failure(server.name, outcome.one_line())

    def _settle(self, name: str, outcome: list[Tool] | ToolError) -> None:
        """Record a start's outcome (the lock is held)."""
        self.registry.remove_source(name)
        if isinstance(outcome, ToolError):
            self._failed_at[name] = time.monotonic()
            self._errors[name] = outcome.one_line()
            return
        self._failed_at.pop(name, None)
        self._errors.pop(name, None)
        for tool in outcome:
            self.registry.add(tool)

    def _save(self) -> None:
        """Remember the failed starts for the next run (the lock is held); never raises."""
        if self.state_file is None:
            return
        saved = _read_state(self.state_file)
        for name, server in self.servers.items():
            if name in self._errors:
                saved[name] = {"spec": _fingerprint(server.spec), "error": self._errors[name]}
            elif server.running:
                saved.pop(name, None)
        _write_state(self.state_file, saved)


def _fingerprint(spec: McpServerSpec) -> str:
    """What identifies a server's set-up (hashed: its args or env may hold a token)."""
    what = [spec.command, list(spec.args), sorted(spec.env.items()), spec.url]
    return hashlib.sha256(json.dumps(what, default=str).encode()).hexdigest()[:32]


def _read_state(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_state(path: Path, data: dict[str, Any]) -> None:
    from jarvis.private import open_private, private_dir

    try:
        if not data and not path.exists():
            return
        private_dir(path.parent, tighten_existing=False)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        with open_private(tmp, "w") as f:
            json.dump(data, f)
        os.replace(tmp, path)
    except OSError:
        log.warning("cannot write %s", path, exc_info=True)


def _tools_or_error(server: McpServer) -> list[Tool] | ToolError:
    try:
        return server.tools()
    except ToolError as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - the manager never raises
        log.exception("MCP server '%s' failed to start", server.name)
        return ToolError(f"MCP server '{server.name}' failed to start: {type(exc).__name__}", "see the log")


def _each(servers: list[McpServer], work: Callable[[McpServer], object]) -> None:
    """Run ``work(server)`` for every server, in parallel when there are several."""
    if len(servers) <= 1:
        for server in servers:
            work(server)
        return
    threads = [threading.Thread(target=work, args=(s,), name=f"mcp-start-{s.name}", daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    for thread, server in zip(threads, servers, strict=True):
        thread.join(timeout=server.spec.timeout_s + CLOSE_GRACE_S + 5.0)


def _to_result(qualified: str, result: Any, server: str) -> ToolResult:
    """A ``CallToolResult`` as a :class:`ToolResult` (text joined, structured content as data)."""
    texts: list[str] = []
    for block in result.content:
        kind = getattr(block, "type", "")
        if kind == "text":
            texts.append(block.text)
        elif kind == "resource":
            texts.append(getattr(block.resource, "text", None) or f"[resource {block.resource.uri}]")
        elif kind == "resource_link":
            texts.append(f"[link {block.uri}]")
        else:
            texts.append(f"[{kind} {getattr(block, 'mime_type', '') or ''}]".replace(" ]", "]"))
    text = "\n".join(t for t in texts if t).strip()
    if result.is_error:
        raise ToolError(f"{qualified}: {_clip(text or 'the tool failed', 300)}", f"MCP server '{server}' reported it")
    structured = result.structured_content
    data = structured if isinstance(structured, dict) else ({} if structured is None else {"result": structured})
    if not text and structured is not None:
        text = json.dumps(structured, ensure_ascii=False)
    if len(text) > RESULT_CHARS:
        log.info("%s returned %d characters; cut to %d", qualified, len(text), RESULT_CHARS)
        text = (text[:RESULT_CHARS] + f"\n[… cut: the result was {len(text):,} characters long; "
                f"only the first {RESULT_CHARS:,} are shown]")
    if data and len(json.dumps(data, ensure_ascii=False, default=str)) > RESULT_CHARS:
        data = {}  # structured data that large is not passed on either
    return ToolResult(text, data)


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
