"""The calculator against hostile input: a result's size is bounded before it is computed, anything
that could still run away runs in a child process that is killed at the timeout, and infinities,
undefined results and deep nesting come back as one-line answers."""

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from jarvis.messages import ToolCall
from jarvis.tools import executor
from jarvis.tools.base import Tool, ToolError, ToolResult
from jarvis.tools.calculator import CalculatorTool, calculate
from jarvis.tools.executor import ToolExecutor
from jarvis.tools.registry import ToolRegistry

TICKS = os.sysconf("SC_CLK_TCK")


def children() -> dict[int, str]:
    """This process's child processes: pid -> state letter (R running, S sleeping, Z zombie ...)."""
    me, out = os.getpid(), {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[1]) == me:
                out[int(entry.name)] = fields[0]
    return out


def cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def assert_children_idle(allowed: set[int]) -> None:
    """No child is left but those we had before and the warm calculator worker, which is idle."""
    now = children()
    worker = executor.sandbox().pid
    assert all(state != "Z" for pid, state in now.items() if pid not in allowed), now
    extra = set(now) - allowed - {worker}
    assert not extra, f"child processes left: {extra}"
    if worker is not None:
        used = cpu_seconds(worker)
        time.sleep(0.5)
        assert cpu_seconds(worker) - used < 0.2, "the worker is still computing"


def test_a_huge_power_through_the_executor_ends_within_its_timeout_and_nothing_keeps_running():
    before = set(children())
    ex = ToolExecutor(ToolRegistry([CalculatorTool()]), timeout_s=2.0, slow_after_s=0.5)
    t0 = time.monotonic()
    use, result = ex.run(ToolCall("calculator", {"expression": "(1e9999)^9999"}))
    assert time.monotonic() - t0 < 2.0 + 1.5
    assert not use.ok and result is None and "\n" not in use.result
    assert_children_idle(before)


def test_the_same_power_asked_directly_is_refused_at_once():
    t0 = time.monotonic()
    with pytest.raises(ToolError) as err:
        calculate("what is (1e9999)^9999")  # the instant path checks a question this way
    assert time.monotonic() - t0 < 10
    assert "digits" in err.value.message and err.value.hint


class Spinner(Tool):
    """A tool that never ends by itself, holding the interpreter lock all the while."""

    name = "spinner"
    description = "spins"
    isolated = True

    def run(self, args: dict[str, Any]) -> ToolResult:
        return ToolResult(str(sum(range(10**14))))


def test_a_runaway_isolated_tool_is_killed_at_the_timeout():
    box = executor.sandbox()
    assert box.call(abs, (-3,), 60) == 3  # warm (a fresh worker imports sympy first)
    worker, before = box.pid, set(children())
    slow = []
    ex = ToolExecutor(ToolRegistry([Spinner()]), timeout_s=1.0, slow_after_s=0.2)
    t0 = time.monotonic()
    use, _ = ex.run(ToolCall("spinner", {}), on_slow=lambda: slow.append(1))
    assert time.monotonic() - t0 < 1.0 + 2.0
    assert not use.ok and "did not answer within 1 s" in use.result
    assert slow == [1]
    assert worker is not None and not Path(f"/proc/{worker}").exists(), "the worker was not killed"
    assert_children_idle(before - {worker})
    assert calculate("2^10").data["value"] == "1024"  # a fresh worker takes over


def test_the_worker_does_not_outlive_a_runaway_called_directly():
    box = executor.sandbox()
    box.call(abs, (-1,), 60)
    worker = box.pid
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        box.call(sum, (range(10**14),), 0.5)
    assert time.monotonic() - t0 < 2.5
    assert not Path(f"/proc/{worker}").exists()


@pytest.mark.parametrize("expression", ["0^-1", "log(0)", "ln(0)", "tan(pi/2)", "0^-1 + 1", "(0^-1) * 0", "1/(1-1)"])
def test_infinite_or_undefined_results_say_so(expression):
    with pytest.raises(ToolError) as err:
        CalculatorTool().run({"expression": expression})
    message = err.value.message
    assert "no finite value" in message or "division by zero" in message, message
    assert not any(word in message for word in ("zoo", "nan", "oo")), message


@pytest.mark.parametrize(
    "expression",
    ["(1e9999)^9999", "1e9999 * 1e9999", "1000!^9", "(10^5000)^3", "(1/7)^9999 / 3^9999", "1e99999999999",
     "exp(1e9999)", "exp(-1e9999)", "x^9999 = 2", "2^(10^9999)", "(1000!)!"],
)
def test_results_too_large_to_compute_are_refused_before_computing(expression):
    t0 = time.monotonic()
    with pytest.raises(ToolError) as err:
        CalculatorTool().run({"expression": expression})
    assert time.monotonic() - t0 < 10
    message = err.value.message
    expected = r"would have about [\d,.e+]+ digits|too large|degree is too high|factorial needs"
    assert re.search(expected, message), message
    assert "\n" not in message and len(message) < 200 and err.value.hint
    assert "set_int_max_str_digits" not in message + err.value.hint


@pytest.mark.parametrize(
    ("expression", "start"),
    [("exp(1000)", "1.970071114e+434"), ("10^5000", "1e+5000"), ("(1+sqrt(2))^9999", "2.366342988e+3827"),
     ("sin(1e999)", "0.3758933776"), ("2^9999", "99753155844"), ("10^-5000", "1e-5000")],
)
def test_large_but_bounded_results_are_answered_readably(expression, start):
    t0 = time.monotonic()
    result = CalculatorTool().run({"expression": expression})
    assert time.monotonic() - t0 < 10
    assert result.data["value"].startswith(start), result.data["value"]
    assert "inf" not in result.text and len(result.text) < 5000


@pytest.mark.parametrize(
    "expression",
    ["(" * 140 + "1" + ")" * 140, "sqrt(" * 40 + "2" + ")" * 40, "-" * 290 + "1", "2^" * 140 + "2"],
    ids=["brackets", "functions", "signs", "powers"],
)
def test_deep_nesting_is_a_one_line_error(expression):
    use, result = ToolExecutor(ToolRegistry([CalculatorTool()])).run(ToolCall("calculator", {"expression": expression}))
    assert not use.ok and result is None
    assert "nested too deeply" in use.result or "too large" in use.result, use.result
    assert "\n" not in use.result and len(use.result) < 200
