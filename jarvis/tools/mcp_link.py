"""One live connection to an MCP server, as seen from inside the server's event loop.

:class:`Link` owns a runner task that enters the SDK's ``Client`` (stdio or streamable HTTP),
lists the tools, then holds the session open until it is told to stop. It watches the transport's
read stream, so a server that exits or writes something that is not JSON-RPC is noticed at once
and the calls waiting on it fail instead of hanging. :func:`describe` turns whatever the SDK raised
into one line and a hint. Everything here runs in the loop thread except :meth:`Link.stderr_tail`
and :meth:`Link.kill_group`. A stdio server's process (its group, its pipes, its end) is a
:class:`~jarvis.tools.mcp_stdio.ServerProcess`. The ``mcp`` package is imported inside functions:
importing Jarvis's core stays light.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from jarvis.tools.mcp_stdio import ServerProcess

if TYPE_CHECKING:
    from jarvis.config import McpServerSpec

CLOSE_GRACE_S = 5.0  # a stopping session gets this long to close cleanly before its task is cancelled
_REASON_WAIT_S = 0.5  # after "connection closed", how long a call waits to learn why
_MAX_PAGES = 50


class Broken(Exception):
    """The session broke: ``reason`` ("exited", "lost the connection"...) and a ``detail`` ('' if none)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason + (f": {detail}" if detail else ""))
        self.reason = reason
        self.detail = detail


class SessionLost(Broken):
    """An HTTP server answered 404 to our session id (it restarted): start a new session, call again."""


class Link:
    """One session with one server: started by :meth:`run`, stopped by :meth:`shutdown`."""

    def __init__(self, spec: McpServerSpec) -> None:
        self.spec = spec
        self.client: Any = None
        self.tools: list[Any] = []  # the server's mcp_types.Tool list, filled before ready
        self.ready = False
        self.dead = False
        self.stopping = False
        self.finished = False  # the runner has ended: the session is closed, its process gone
        self.session_lost = False  # an HTTP server said 404 to our session id
        self.reason: str | None = None  # what went wrong, as "MCP server 'x' <reason>"
        self.detail = ""  # e.g. the last line on stderr
        self.task: asyncio.Task[None] | None = None
        self.calls: set[asyncio.Task[Any]] = set()
        self._stop = asyncio.Event()
        self._ready: Any = None
        self.process = ServerProcess(spec, lambda: self.ready) if spec.command else None

    @property
    def alive(self) -> bool:
        """Ready, not stopping, and nothing has gone wrong."""
        return self.ready and not self.dead and not self.stopping

    # ------------------------------------------------------------------ runner
    async def run(self, ready: Any) -> None:
        """Connect, initialize and list tools (then ``ready.set_result(tools)``); hold until stopped."""
        from mcp.client import Client
        from mcp_types import Implementation

        self.task = asyncio.current_task()
        self._ready = ready
        if self.stopping:
            self._fail(ready, Broken("was stopped"))
            self.finished = True
            return
        try:
            client = Client(self._transport(), client_info=Implementation(name="jarvis", version="1"), cache=None)
            async with client:
                self.client = client
                self.tools = await _list_tools(client)
                if ready.done():  # broken meanwhile
                    return
                self.ready = True
                ready.set_result(self.tools)
                await self._stop.wait()
        except asyncio.CancelledError:
            self._fail(ready, Broken(self.reason, self.detail) if self.reason else Broken("was cut off"))
        except BaseException as exc:  # noqa: BLE001 - anything the SDK raises ends this session, nothing else
            if self.reason is None and not self.stopping:
                cause = leaf(exc)
                self.reason, self.detail = "lost the connection", _clip(str(cause) or type(cause).__name__, 160)
            self._fail(ready, exc)
        finally:
            self.dead = True  # the calls still waiting get "connection closed" from the SDK
            self.finished = True

    def _fail(self, ready: Any, exc: BaseException) -> None:
        self.dead = True
        if not ready.done():
            ready.set_exception(exc if isinstance(exc, Exception) else RuntimeError(str(exc)))

    def _transport(self) -> Any:
        spec = self.spec
        if self.process is not None:
            return self._watched(self.process.open())
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        async def on_response(response: Any) -> None:
            if response.status_code == 404 and "mcp-session-id" in response.request.headers:
                self.session_lost = True

        # The SDK's default timeouts (30 s, 300 s for streams); the caller's timeout_s cuts in first.
        http = httpx2.AsyncClient(timeout=httpx2.Timeout(30.0, read=300.0), event_hooks={"response": [on_response]})
        return self._watched(streamable_http_client(str(spec.url), http_client=http), http)

    @contextlib.asynccontextmanager
    async def _watched(self, inner: Any, http: Any = None) -> AsyncIterator[tuple[Any, Any]]:
        async with contextlib.AsyncExitStack() as stack:
            if http is not None:
                await stack.enter_async_context(http)
            read, write = await stack.enter_async_context(inner)
            yield _WatchedRead(read, self), write

    # ------------------------------------------------------------------ events from the transport
    def on_garbage(self, exc: Exception) -> None:
        """The server sent something that is not a JSON-RPC message: drop the session."""
        self.break_("sent something that is not JSON-RPC", _bad_input(exc))

    def on_eof(self) -> None:
        """The server closed the connection (its process exited): end the session."""
        if self.stopping or self.dead:
            return
        self.dead = True
        if self.reason is None and self.spec.command:
            self.reason, self.detail = "exited", self.stderr_tail()
        self._stop.set()

    def break_(self, reason: str, detail: str = "") -> None:
        """Mark the session broken for ``reason``; cut off the start or the calls waiting on it."""
        if self.dead or self.stopping:
            return
        self.dead = True
        if self.reason is None:
            self.reason, self.detail = reason, detail
        if not self.ready and self.task is not None:
            self._fail(self._ready, Broken(reason, detail))  # answer the caller now, tear down after
            self.task.cancel()
        self._stop.set()
        self._stop_calls()

    def _stop_calls(self) -> None:
        for call in list(self.calls):
            call.cancel()

    def shutdown(self) -> None:
        """Stop the session (loop thread): close it cleanly, cancel it if that takes too long."""
        self.stopping = True
        if self.task is None or self.task.done():
            return
        if not self.ready:
            self.task.cancel()
            return
        self._stop.set()
        asyncio.get_running_loop().call_later(CLOSE_GRACE_S, self.task.cancel)

    # ------------------------------------------------------------------ calls
    async def call(self, name: str, args: dict[str, Any]) -> Any:
        """Call a tool on this session; raises :class:`Broken` when the session breaks meanwhile."""
        from mcp.shared.exceptions import MCPError
        from mcp_types import CONNECTION_CLOSED

        task = asyncio.current_task()
        assert task is not None
        if not self.alive:
            raise Broken(self.reason or "was stopped", self.detail)
        self.calls.add(task)
        try:
            return await self.client.call_tool(name, args)
        except asyncio.CancelledError:
            if self.reason is not None:
                raise Broken(self.reason, self.detail) from None
            raise
        except MCPError as exc:
            if self.session_lost:
                self.dead = True
                raise SessionLost("lost its session", _clip(exc.message, 120)) from None
            if exc.code != CONNECTION_CLOSED:
                raise
            self.dead = True
            if self.task is not None and not self.task.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait({self.task}, timeout=_REASON_WAIT_S)
            raise Broken(self.reason or "closed the connection", self.detail) from None
        finally:
            self.calls.discard(task)

    # ------------------------------------------------------------------ stderr and the process
    def stderr_tail(self) -> str:
        """The last line the server wrote to stderr ('' for HTTP servers or a silent one)."""
        return _clip(self.process.stderr_tail(), 200) if self.process is not None else ""

    def close_log(self) -> None:
        """Forget the captured stderr (after the session has ended)."""
        if self.process is not None:
            self.process.forget_stderr()

    def kill_group(self, sig: int) -> None:
        """Signal a stdio server's whole process group (any thread); nothing for HTTP."""
        if self.process is not None:
            self.process.kill_group(sig)


class _WatchedRead:
    """The transport's read stream, reporting bad messages and the end of the stream to the link."""

    def __init__(self, inner: Any, link: Link) -> None:
        self._inner = inner
        self._link = link

    @property
    def last_context(self) -> Any:
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> Any:
        import anyio

        try:
            item = await self._inner.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            self._link.on_eof()
            raise
        if isinstance(item, Exception):
            self._link.on_garbage(item)
        return item

    def __aiter__(self) -> _WatchedRead:
        return self

    async def __anext__(self) -> Any:
        import anyio

        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _WatchedRead:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


async def _list_tools(client: Any) -> list[Any]:
    tools: list[Any] = []
    cursor: str | None = None
    for _ in range(_MAX_PAGES):
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return tools


def leaf(exc: BaseException) -> BaseException:
    """The first real error inside (nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup):
        inner = [e for e in exc.exceptions if not isinstance(e, asyncio.CancelledError)]
        if not inner:
            break
        exc = inner[0]
    return exc


def describe(exc: BaseException, spec: McpServerSpec, doing: str, tail: str = "") -> tuple[str, str]:
    """One line and a hint for ``exc``, raised by the SDK while ``doing`` ("starting", "calling x").

    ``tail`` is the last line the server wrote to stderr, shown when it exited.
    """
    import httpx2
    from mcp.shared.exceptions import MCPError
    from mcp_types import CONNECTION_CLOSED

    exc = leaf(exc)
    who = f"MCP server '{spec.name}'"
    entry = f"the [[mcp_servers]] entry '{spec.name}' in config.toml"
    if spec.command:
        # the command only: arguments may hold a token, and this line reaches the log and the screen
        where = f"run '{spec.command}' (with its args) by hand to see why"
    else:
        where = f"check that {spec.url} is the server's MCP endpoint"
    if isinstance(exc, FileNotFoundError) and spec.command:
        return f"{who}: command '{spec.command}' not found", f"install it, or fix 'command' of {entry}"
    if isinstance(exc, PermissionError) and spec.command:
        return f"{who}: command '{spec.command}' cannot be run (permission denied)", f"fix 'command' of {entry}"
    if isinstance(exc, httpx2.ConnectError | ConnectionRefusedError):
        return f"{who}: cannot connect to {spec.url} ({_clip(str(exc), 80)})", f"start it, or fix 'url' of {entry}"
    if isinstance(exc, httpx2.TimeoutException):
        return f"{who} at {spec.url} did not answer", f"check the server, or raise 'timeout_s' of {entry}"
    if isinstance(exc, httpx2.HTTPError):
        return f"{who} at {spec.url} failed while {doing}: {_clip(str(exc) or type(exc).__name__, 120)}", where
    if isinstance(exc, Broken):
        return f"{who} {exc.reason} while {doing}" + (f": {exc.detail}" if exc.detail else ""), where
    if isinstance(exc, MCPError) and exc.code == CONNECTION_CLOSED:
        gone = "exited" if spec.command else "closed the connection"
        return f"{who} {gone} while {doing}" + (f": {tail}" if tail else ""), where
    if isinstance(exc, MCPError):
        what = "refused the MCP handshake" if doing == "starting" else f"refused while {doing}"
        return f"{who} {what}: {_clip(exc.message, 160)}", where
    if isinstance(exc, OSError) and spec.command:
        return f"{who}: cannot start '{spec.command}' ({exc.strerror or exc})", f"fix 'command' of {entry}"
    text = _clip(str(exc).strip().splitlines()[0] if str(exc).strip() else "", 160)
    return f"{who} failed while {doing}: {type(exc).__name__}{': ' + text if text else ''}", where


def _bad_input(exc: Exception) -> str:
    """What the server sent, from the SDK's parse error (or the error's first line)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            return _clip(repr(errors()[0]["input"]), 120)
        except (LookupError, TypeError, ValueError):
            pass
    text = str(exc).strip()
    return _clip(text.splitlines()[0] if text else type(exc).__name__, 120)


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
