"""The executor: argument checks, confirmation, timeouts; a failed call is a result, never a crash."""

import time
from typing import Any

from jarvis.messages import ToolCall
from jarvis.tools.base import Tool, ToolResult
from jarvis.tools.calculator import CalculatorTool
from jarvis.tools.executor import ToolExecutor
from jarvis.tools.registry import ToolRegistry


class Sleepy(Tool):
    name = "sleepy"
    description = "sleeps"
    parameters = {"type": "object", "properties": {"s": {"type": "number"}}, "required": ["s"]}

    def run(self, args: dict[str, Any]) -> ToolResult:
        time.sleep(args["s"])
        return ToolResult("slept")


class Dangerous(Tool):
    name = "wipe"
    description = "deletes things"
    side_effects = needs_confirmation = True
    ran = False

    def run(self, args: dict[str, Any]) -> ToolResult:
        Dangerous.ran = True
        return ToolResult("wiped")


class Broken(Tool):
    name = "broken"
    description = "raises"

    def run(self, args: dict[str, Any]) -> ToolResult:
        raise RuntimeError("boom")


def executor(**kw):
    return ToolExecutor(ToolRegistry([Sleepy(), Dangerous(), Broken(), CalculatorTool()]), **kw)


def test_numbers_given_as_strings_are_coerced():
    use, result = executor().run(ToolCall("sleepy", {"s": "0.01"}))
    assert use.ok and use.arguments == {"s": 0.01}


def test_bad_calls_come_back_as_errors():
    ex = executor()
    for call, words in [
        (ToolCall("nope", {}), "unknown tool 'nope'"),
        (ToolCall("sleepy", {}), "missing argument 's'"),
        (ToolCall("sleepy", {"s": "soon"}), "must be a number"),
        (ToolCall("broken", {}), "RuntimeError: boom"),
        (ToolCall("calculator", {"expression": "1/0"}), "division by zero"),
    ]:
        use, result = ex.run(call)
        assert not use.ok and result is None and words in use.result, use.result


def test_a_hung_tool_is_cut_off_and_the_filler_is_asked_for_once():
    slow = []
    t0 = time.monotonic()
    use, _ = executor(timeout_s=0.5, slow_after_s=0.1).run(ToolCall("sleepy", {"s": 5}), on_slow=lambda: slow.append(1))
    assert time.monotonic() - t0 < 2
    assert not use.ok and "did not answer within 0.5 s" in use.result
    assert slow == [1]


def test_side_effects_wait_for_a_yes():
    Dangerous.ran = False
    use, _ = executor().run(ToolCall("wipe", {}), confirm=lambda tool, args: False)
    assert not use.ok and "said no" in use.result and not Dangerous.ran
    use, _ = executor().run(ToolCall("wipe", {}), confirm=lambda tool, args: True)
    assert use.ok and Dangerous.ran
