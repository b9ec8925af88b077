"""A stdio MCP server's process: started in a process group of its own, its pipes bridged to the
SDK session's streams (newline-delimited JSON-RPC; stderr kept only as its last few KB), and ended
together with everything it started.

The server leads a new session, so everything it starts stays in its process group unless it
leaves on purpose (``setsid``, as daemons do). How it ends:

* closed by Jarvis (a session stopped or broken, ``McpServer.close``, ``Toolbox.close``): stdin is
  closed; after :data:`EXIT_GRACE_S` the whole group gets SIGTERM, and SIGKILL after
  :data:`TERM_GRACE_S` more. The group is signalled even when the server itself exited at once,
  so the children it left behind go too.
* Jarvis exits without closing it (an exception, ``sys.exit``): an ``atexit`` hook does the same
  for every group still running, with a shorter grace.
* Jarvis is killed or crashes (SIGKILL, a segfault, the OOM killer): nothing in Jarvis runs then.
  On Linux the server itself gets SIGKILL from the kernel (``PR_SET_PDEATHSIG``, set between fork
  and exec); what *it* started is not covered: it stays in the server's process group
  (``kill -- -PGID`` ends it), where a well-behaved server's own exit handling usually ends it.
  On other systems the server sees its stdin close, which ends most servers.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jarvis.config import McpServerSpec

EXIT_GRACE_S = 1.0  # after its stdin closes, how long a server gets to exit on its own
TERM_GRACE_S = 1.0  # after SIGTERM, how long its process group gets before SIGKILL
MAX_MESSAGE_BYTES = 32 * 2**20  # a longer line on a server's stdout breaks the session
STDERR_KEPT = 8192  # the last bytes of a server's stderr, kept for error messages


class ServerProcess:
    """One run of a stdio server (:meth:`open` starts it, and ends it on the way out).

    Args:
        spec: the ``[[mcp_servers]]`` entry (``command``, ``args``, ``env``).
        answered: whether the server has answered the handshake (one that has gets
            :data:`EXIT_GRACE_S` to exit after its stdin closes; one that has not is signalled at once).
    """

    def __init__(self, spec: McpServerSpec, answered: Callable[[], bool] = lambda: False) -> None:
        self.spec = spec
        self.pgid: int | None = None  # the server's process group (its pid) while it may be alive
        self._answered = answered
        self._stderr = bytearray()  # the end of what it wrote on stderr
        self._lock = threading.Lock()

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[tuple[Any, Any]]:
        """Start the server (its own process group, ended with Jarvis) and bridge its pipes to the
        session's streams: newline-delimited JSON-RPC, each line at most :data:`MAX_MESSAGE_BYTES`."""
        import anyio
        from mcp.client.stdio import get_default_environment

        spec = self.spec
        assert spec.command
        pipe = asyncio.subprocess.PIPE
        proc = await asyncio.create_subprocess_exec(
            spec.command, *spec.args, stdin=pipe, stdout=pipe, stderr=pipe,
            env=get_default_environment() | dict(spec.env), start_new_session=True,
            preexec_fn=_die_with_parent(), limit=2**16,
        )
        self.pgid = proc.pid  # it leads its own session, so its group id is its pid
        _GROUPS.add(proc.pid)
        read_in, read_out = anyio.create_memory_object_stream[Any](0)
        write_in, write_out = anyio.create_memory_object_stream[Any](0)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._pump_stdout, proc, read_in)
                tg.start_soon(self._pump_stdin, proc, write_out, read_in)
                tg.start_soon(self._pump_stderr, proc)
                try:
                    yield read_out, write_in
                finally:
                    with anyio.CancelScope(shield=True):
                        await self._end(proc)
                    for stream in (read_out, write_in, read_in, write_out):
                        await stream.aclose()
                    tg.cancel_scope.cancel()
        finally:  # whatever cut the above short (a cancelled task): nothing of the group survives
            self.kill_group(signal.SIGKILL)

    async def _pump_stdout(self, proc: Any, out: Any) -> None:
        import anyio

        buf = bytearray()
        async with out:
            try:
                while True:
                    chunk = await proc.stdout.read(2**16)
                    if not chunk:
                        return
                    start = len(buf)
                    buf += chunk
                    cut = buf.find(b"\n", start)
                    while cut >= 0:
                        line = bytes(buf[:cut]).strip()
                        del buf[: cut + 1]
                        if line:
                            await out.send(_parse(line))
                        cut = buf.find(b"\n")
                    if len(buf) > MAX_MESSAGE_BYTES:
                        await out.send(ValueError(f"a line longer than {MAX_MESSAGE_BYTES // 2**20} MiB"))
                        return
            except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
                return

    async def _pump_stdin(self, proc: Any, messages: Any, replies: Any) -> None:
        import anyio

        try:
            async with messages:
                async for message in messages:
                    data = message.message.model_dump_json(by_alias=True, exclude_unset=True) + "\n"
                    proc.stdin.write(data.encode("utf-8"))
                    await proc.stdin.drain()
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            await replies.aclose()  # the server stopped reading: the session sees the connection end

    async def _pump_stderr(self, proc: Any) -> None:
        with contextlib.suppress(OSError):
            while True:
                chunk = await proc.stderr.read(2**16)
                if not chunk:
                    return
                with self._lock:
                    self._stderr += chunk
                    del self._stderr[:-STDERR_KEPT]

    async def _end(self, proc: Any) -> None:
        """Close stdin; give the server :data:`EXIT_GRACE_S` to exit, then end its whole group."""
        with contextlib.suppress(OSError, RuntimeError):
            proc.stdin.close()
        end = time.monotonic() + (EXIT_GRACE_S if self._answered() else 0.0)  # one that never answered: no wait
        while proc.returncode is None and time.monotonic() < end:
            await asyncio.sleep(0.02)
        self.kill_group(signal.SIGTERM)
        end = time.monotonic() + TERM_GRACE_S
        while self.pgid is not None and _group_alive(self.pgid) and time.monotonic() < end:
            await asyncio.sleep(0.02)
        self.kill_group(signal.SIGKILL)
        end = time.monotonic() + 1.0
        while proc.returncode is None and time.monotonic() < end:  # let the loop reap it
            await asyncio.sleep(0.02)

    def kill_group(self, sig: int) -> None:
        """Send ``sig`` to the server's process group (any thread); after SIGKILL it is forgotten."""
        pgid = self.pgid
        if pgid is None:
            return
        _signal_group(pgid, sig)
        if sig == signal.SIGKILL:
            self.pgid = None
            _GROUPS.discard(pgid)

    def stderr_tail(self) -> str:
        """The last line the server wrote on stderr ('' for none); any thread."""
        with self._lock:
            text = self._stderr.decode("utf-8", "replace")
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        return lines[-1] if lines else ""

    def forget_stderr(self) -> None:
        """Drop the captured stderr (after the session has ended)."""
        with self._lock:
            self._stderr.clear()


def _parse(line: bytes) -> Any:
    """One line from a server's stdout: a ``SessionMessage``, or the error that says why it is not one."""
    import mcp_types as types
    from mcp.shared.message import SessionMessage

    try:
        text = line.decode("utf-8", "replace")
        return SessionMessage(types.jsonrpc_message_adapter.validate_json(text, by_name=False))
    except ValueError as exc:
        return exc


# ---------------------------------------------------------------------------------------------- process groups
_GROUPS: set[int] = set()  # process groups of stdio servers that may still be running


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


@atexit.register
def _end_groups() -> None:
    """At interpreter exit: end every server group nobody closed (SIGTERM, a short grace, SIGKILL)."""
    groups = list(_GROUPS)
    for pgid in groups:
        _signal_group(pgid, signal.SIGTERM)
    end = time.monotonic() + 0.5
    while any(_group_alive(g) for g in groups) and time.monotonic() < end:
        time.sleep(0.02)
    for pgid in groups:
        _signal_group(pgid, signal.SIGKILL)
    _GROUPS.clear()


def _die_with_parent() -> Any:
    """A ``preexec_fn`` that has the kernel SIGKILL the server when the thread that started it ends
    (Linux ``PR_SET_PDEATHSIG``; that thread is the server's event loop, which lives as long as its
    :class:`McpServer`). None where it is not available."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: the child only calls it
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # Jarvis died between fork and prctl: nobody will signal us
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec
