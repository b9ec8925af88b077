"""Runs one tool call: checks the arguments, asks for confirmation, enforces the timeout.

A call never raises: failures come back as a :class:`ToolUse` with ``ok=False`` and a one-line
``result`` the model can read ("error: ..."), so the turn goes on.

A thread cannot be stopped, and one long C-level operation (a bignum power) holds the interpreter
lock, so even the caller's wait cannot end on time. Tools whose work can run away (``isolated =
True``, the calculator) therefore run in a :class:`Sandbox`: one warm child process, killed at the
timeout, so nothing keeps running (or holding memory) after a call is given up.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from jarvis.errors import JarvisError
from jarvis.messages import ToolCall, ToolUse
from jarvis.tools.base import Tool, ToolError, ToolResult, check_arguments
from jarvis.tools.registry import ToolRegistry

log = logging.getLogger(__name__)

PRELOAD = ("sympy", "jarvis.tools.calculator")  # what the sandbox imports while it waits for its first call

ConfirmFn = Callable[[Tool, dict[str, Any]], bool]


class ToolExecutor:
    """Runs tool calls from the registry.

    Args:
        registry: the tools.
        timeout_s: default longest run of a call.
        slow_after_s: ``on_slow`` is called once when a call runs longer than this.
    """

    def __init__(self, registry: ToolRegistry, timeout_s: float = 10.0, slow_after_s: float = 0.7) -> None:
        self.registry = registry
        self.timeout_s = timeout_s
        self.slow_after_s = slow_after_s

    def run(
        self,
        call: ToolCall,
        *,
        source: str = "",
        turn_id: int = 0,
        generation: int = 0,
        confirm: ConfirmFn | None = None,
        on_slow: Callable[[], None] | None = None,
    ) -> tuple[ToolUse, ToolResult | None]:
        """Run ``call``; returns the :class:`ToolUse` (for the log, the UI and metrics) and the result.

        ``confirm`` is asked first for tools that need confirmation; a "no" is a failed call.
        """
        t0 = time.monotonic()
        result: ToolResult | None = None
        args: dict[str, Any] = dict(call.arguments) if isinstance(call.arguments, dict) else {}
        try:
            tool = self.registry.get(call.name)
            args = check_arguments(tool, call.arguments)
            if tool.needs_confirmation and confirm is not None and not confirm(tool, args):
                raise ToolError(f"{tool.name}: the user said no", "nothing was changed")
            result = self._run_with_timeout(tool, args, on_slow)
            text, ok = result.text, True
        except ToolError as exc:
            text, ok = f"error: {exc.message}", False
        except Exception as exc:  # a tool bug: the turn goes on, the log has the details
            log.exception("tool %s failed", call.name)
            text, ok = f"error: {call.name} failed ({type(exc).__name__}: {exc})", False
        use = ToolUse(
            name=call.name, arguments=args, result=text, ok=ok, duration_s=round(time.monotonic() - t0, 4),
            source=source, turn_id=turn_id, generation=generation,
        )
        return use, result

    def _run_with_timeout(
        self, tool: Tool, args: dict[str, Any], on_slow: Callable[[], None] | None
    ) -> ToolResult:
        timeout = tool.timeout_s or self.timeout_s
        if getattr(tool, "isolated", False):
            return self._run_isolated(tool, args, timeout, on_slow)
        return self._run_in_thread(tool, args, timeout, on_slow)

    def _run_in_thread(
        self, tool: Tool, args: dict[str, Any], timeout: float, on_slow: Callable[[], None] | None
    ) -> ToolResult:
        """``tool.run(args)`` in a daemon thread; given up at the timeout (a thread cannot be killed:
        tools that can run away are ``isolated``)."""
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["result"] = tool.run(args)
            except BaseException as exc:  # handed back to the calling thread
                box["error"] = exc

        worker = threading.Thread(target=work, name=f"tool-{tool.name}", daemon=True)
        worker.start()
        worker.join(min(self.slow_after_s, timeout))
        if worker.is_alive() and on_slow is not None:
            on_slow()
        worker.join(max(0.0, timeout - self.slow_after_s))
        if worker.is_alive():
            raise ToolError(f"{tool.name} did not answer within {timeout:g} s", "try again, or raise tools.timeout_s")
        if "error" in box:
            raise box["error"]
        result = box.get("result")
        if not isinstance(result, ToolResult):
            raise ToolError(f"{tool.name} returned nothing", "see the log file")
        return result

    def _run_isolated(
        self, tool: Tool, args: dict[str, Any], timeout: float, on_slow: Callable[[], None] | None
    ) -> ToolResult:
        """``tool.run(args)`` in the sandbox: at the timeout the child is killed, not left running."""
        try:
            result = sandbox().call(_run_tool, (tool, args), timeout, on_slow=on_slow, slow_after_s=self.slow_after_s)
        except SandboxUnavailable:
            log.warning("no sandbox process: %s runs in-process", tool.name, exc_info=True)
            return self._run_in_thread(tool, args, timeout, on_slow)
        except TimeoutError:
            raise ToolError(
                f"{tool.name} did not answer within {timeout:g} s", "try again, or raise tools.timeout_s"
            ) from None
        except ChildProcessError as exc:
            raise ToolError(f"{tool.name} stopped unexpectedly ({exc})", "see the log file") from None
        if not isinstance(result, ToolResult):
            raise ToolError(f"{tool.name} returned nothing", "see the log file")
        return result


def _run_tool(tool: Tool, args: dict[str, Any]) -> Any:
    return tool.run(args)


# ---------------------------------------------------------------------------------------------- sandbox
_IN_SANDBOX = False


class SandboxUnavailable(ChildProcessError):
    """No worker process can be started here (the work may run in-process instead)."""


def in_sandbox() -> bool:
    """Whether this process is a sandbox worker (work sent here runs directly)."""
    return _IN_SANDBOX


class Sandbox:
    """One warm child Python process that runs picklable calls, one at a time, each with a deadline.

    At the deadline the child is killed (SIGKILL) and reaped, and :meth:`call` raises
    :class:`TimeoutError`; the next call starts a fresh child. The child also limits its own CPU
    time per call (RLIMIT_CPU), so it dies by itself even if this process is killed mid-call. It
    ignores Ctrl-C (the terminal's signal is for the parent) and exits when the parent closes its pipe.
    """

    def __init__(self, preload: tuple[str, ...] = PRELOAD) -> None:
        self.preload = preload
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._send: Connection | None = None
        self._recv: Connection | None = None
        self._owner = os.getpid()

    @property
    def pid(self) -> int | None:
        """The worker's process id (None when none is running)."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def call(
        self, fn: Callable[..., Any], args: tuple[Any, ...], timeout_s: float, *,
        on_slow: Callable[[], None] | None = None, slow_after_s: float | None = None,
    ) -> Any:
        """``fn(*args)`` in the child; its result, or its exception raised here.

        Raises :class:`TimeoutError` at ``timeout_s`` (the child is killed), :class:`ChildProcessError`
        when the child died or could not start. ``on_slow`` is called once after ``slow_after_s``.
        """
        start = time.monotonic()
        deadline = start + timeout_s
        try:
            request = pickle.dumps((fn, args, timeout_s))
        except Exception as exc:  # not something a child process can be given
            raise SandboxUnavailable(f"cannot send {getattr(fn, '__name__', fn)!r} to a worker: {exc}") from None
        if not self._lock.acquire(timeout=max(0.0, timeout_s)):
            raise TimeoutError(f"the sandbox stayed busy for {timeout_s:g} s")
        try:
            for attempt in (1, 2):  # a worker that died while idle is replaced once
                if self._proc is None or self._proc.poll() is not None or self._owner != os.getpid():
                    self._start()
                assert self._send is not None and self._recv is not None
                try:
                    self._send.send_bytes(request)
                    break
                except OSError as exc:
                    self._kill()
                    if attempt == 2:
                        raise ChildProcessError(f"the worker is gone ({exc})") from None
            assert self._recv is not None
            slow_at = start + slow_after_s if on_slow is not None and slow_after_s is not None else None
            while True:
                now = time.monotonic()
                if slow_at is not None and now >= slow_at:
                    slow_at = None
                    assert on_slow is not None
                    on_slow()
                    continue
                wait = min(deadline, slow_at) if slow_at is not None else deadline
                if self._recv.poll(max(0.0, wait - now)):
                    break
                if time.monotonic() >= deadline:
                    self._kill()
                    raise TimeoutError(f"no answer within {timeout_s:g} s")
            try:
                status, payload = self._recv.recv()
            except (EOFError, OSError):
                why = self._died()
                raise ChildProcessError(why) from None
        finally:
            self._lock.release()
        if status == "ok":
            return payload
        if status == "jarvis":
            raise ToolError(*payload)
        if status == "raise":
            raise payload
        raise RuntimeError(payload)

    def _start(self) -> None:
        self._kill()
        req_r, req_w = os.pipe()
        res_r, res_w = os.pipe()
        paths = [p for p in sys.path if p] + [os.environ.get("PYTHONPATH", "")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
        code = ("import sys; from jarvis.tools.executor import serve; "
                "serve(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:])")
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", code, str(req_r), str(res_w), *self.preload],
                pass_fds=(req_r, res_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, env=env, close_fds=True,
            )
        except OSError as exc:
            for fd in (req_r, req_w, res_r, res_w):
                os.close(fd)
            raise SandboxUnavailable(f"cannot start a worker process: {exc}") from None
        finally:
            if self._proc is not None:
                os.close(req_r)
                os.close(res_w)
        self._send = Connection(req_w, readable=False)
        self._recv = Connection(res_r, writable=False)
        self._owner = os.getpid()

    def _died(self) -> str:
        """Why the child stopped (its exit and the last line it wrote to stderr); it is reaped."""
        proc = self._proc
        code: int | None = None
        tail = b""
        if proc is not None:
            try:
                code = proc.wait(5)
                if proc.stderr is not None:
                    tail = proc.stderr.read()[-300:]
            except (subprocess.TimeoutExpired, OSError, ValueError):
                pass
        self._kill()
        last = (tail.decode(errors="replace").strip().splitlines() or [""])[-1][:120]
        log.warning("sandbox worker stopped (exit %s): %s", code, last)
        if code is not None and code < 0:
            try:
                return f"the worker was stopped by {signal.Signals(-code).name}"
            except ValueError:
                return f"the worker was stopped by signal {-code}"
        return f"the worker stopped (exit {code})" + (f": {last}" if last else "")

    def _kill(self) -> None:
        """Kill and reap the child; close the pipes."""
        proc, self._proc = self._proc, None
        for conn in (self._send, self._recv):
            if conn is not None:
                conn.close()
        self._send = self._recv = None
        if proc is None or self._owner != os.getpid():
            return
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a SIGKILLed process is reaped at once
            log.warning("sandbox worker %s did not exit after SIGKILL", proc.pid)
        if proc.stderr is not None:
            proc.stderr.close()

    def close(self) -> None:
        """Stop the worker (it exits when its pipe closes; killed if it does not within 1 s)."""
        with self._lock:
            proc = self._proc
            if proc is not None and self._owner == os.getpid():
                if self._send is not None:
                    self._send.close()
                    self._send = None
                try:
                    proc.wait(1)
                except subprocess.TimeoutExpired:
                    pass
            self._kill()


_sandbox: Sandbox | None = None
_sandbox_lock = threading.Lock()


def sandbox() -> Sandbox:
    """This process's sandbox (its worker starts on the first call)."""
    global _sandbox
    with _sandbox_lock:
        if _sandbox is None:
            _sandbox = Sandbox()
            atexit.register(_sandbox.close)
        return _sandbox


def serve(inbox_fd: int, outbox_fd: int, preload: list[str]) -> None:
    """The sandbox child's loop: receive ``(fn, args, timeout_s)``, send back ``(status, payload)``."""
    global _IN_SANDBOX
    import importlib

    _IN_SANDBOX = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))  # no core file
    except (ValueError, OSError):  # pragma: no cover
        pass
    inbox, outbox = Connection(inbox_fd, writable=False), Connection(outbox_fd, readable=False)
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:  # the call that needs it will say what is wrong
            pass
    while True:
        try:
            data = inbox.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            fn, args, timeout_s = pickle.loads(data)
            _limit_cpu(timeout_s)
            reply: tuple[str, Any] = ("ok", fn(*args))
        except JarvisError as exc:
            reply = ("jarvis", (exc.message, exc.hint))
        except BaseException as exc:  # handed back to the caller
            reply = ("raise", exc) if _round_trips(exc) else ("error", f"{type(exc).__name__}: {exc}"[:500])
        try:
            outbox.send(reply)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            outbox.send(("error", f"the result could not be sent back ({type(exc).__name__}: {exc})"[:500]))
        except OSError:
            return


def _limit_cpu(timeout_s: float) -> None:
    """Die of SIGXCPU after ``timeout_s`` (+2 s) more CPU seconds, should the parent not kill us first."""
    try:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(usage.ru_utime + usage.ru_stime + timeout_s) + 2
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (ValueError, OSError):  # pragma: no cover - limits not allowed here: the parent's kill still works
        pass


def _round_trips(exc: BaseException) -> bool:
    try:
        pickle.loads(pickle.dumps(exc))
        return True
    except Exception:
        return False
