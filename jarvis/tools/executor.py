"""Runs one tool call: checks the arguments, asks for confirmation, enforces the timeout.

A call never raises: failures come back as a :class:`ToolUse` with ``ok=False`` and a one-line
``result`` the model can read ("error: ..."), so the turn goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from jarvis.messages import ToolCall, ToolUse
from jarvis.tools.base import Tool, ToolError, ToolResult, check_arguments
from jarvis.tools.registry import ToolRegistry

log = logging.getLogger(__name__)

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
