"""Tools inside a turn: the instant path (no model), a real llama.cpp model calling built-in and MCP
tools, confirmation, fillers, personal results kept from cloud models, and the metrics line."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from devsupport.config import write_config
from devsupport.paths import MCP_SERVER
from jarvis.assembly import build
from jarvis.config import load_settings
from jarvis.messages import ConfirmRequest, Filler, ToolCall, ToolUse, Transcript
from jarvis.pipeline.confirmations import yes_or_no
from jarvis.pipeline.tool_turn import WITHHELD, run_calls
from jarvis.tools.base import Tool, ToolResult


def settings_for(tmp_path: Path, extra: str = "", **sections: str):
    return load_settings(write_config(tmp_path, extra, **sections))


def test_instant_answers_come_without_a_model_and_are_recorded(tmp_path):
    settings = settings_for(tmp_path, memory="enabled = false")
    with build(settings) as jarvis:
        jarvis.start(preload=False)
        before = dt.datetime.now().strftime("%H:%M")
        done = jarvis.assistant.ask("What time is it?")
        after = dt.datetime.now().strftime("%H:%M")
        assert done.model == "instant" and done.text in (f"It's {before}.", f"It's {after}.")
        assert "40.8" in jarvis.assistant.ask("What is 17% of 240?").text
        assert jarvis.assistant.ask("¿Cuánto es el 17 por ciento de 240?").text == "Son 40,8."
        assert jarvis.assistant.ask("Set a timer for ten minutes").text == "Timer set for 10 minutes."
        listed = jarvis.assistant.ask("¿Qué temporizadores hay?")
        assert listed.text.startswith("Tienes 1: temporizador 1 a las")
        assert jarvis.assistant.pool.resident() == {}  # no model was loaded for any of it
    stored = json.loads((settings.general.data_dir / "timers.json").read_text())
    assert [(t["kind"], t["seconds"], t["language"]) for t in stored] == [("timer", 600.0, "en")]
    lines = [json.loads(x) for x in settings.general.metrics_file.read_text().splitlines()]
    assert [r["model"] for r in lines] == ["instant"] * 5
    assert lines[1]["tools"][0]["name"] == "calculator" and lines[1]["tools"][0]["ok"] is True
    # arguments and results never reach metrics (a number of its own: a turn id made at 22:40:44 holds "240")
    assert re.search(r"(?<!\d)240(?!\d)", json.dumps(lines)) is None


def test_a_local_model_calls_a_builtin_tool_and_answers_from_it(tmp_path):
    settings = settings_for(tmp_path)
    uses: list[ToolUse] = []
    with build(settings, memory=False) as jarvis:
        jarvis.assistant.bus.subscribe(lambda e: isinstance(e, ToolUse) and uses.append(e))
        jarvis.start(preload=False)
        done = jarvis.assistant.ask("How busy is my computer right now, CPU and memory?")
    assert [u.name for u in done.tools] == ["system_status"] and done.tools[0].ok
    assert uses == list(done.tools)
    assert done.text.strip() and "{" not in done.text  # an answer, never a call read out


MCP_CONFIG = f"""
[[mcp_servers]]
name = "orders"
command = "{sys.executable}"
args = ["{MCP_SERVER}"]
"""


def test_a_configured_mcp_server_answers_through_the_model(tmp_path):
    settings = settings_for(tmp_path, MCP_CONFIG)
    with build(settings, memory=False) as jarvis:
        jarvis.start(preload=False)  # the server starts in the background ...
        assert jarvis.tools is not None
        jarvis.tools.wait_mcp()  # ... and is up before the one question, as in `jarvis ask`
        done = jarvis.assistant.ask("What is the status of order A101?")
    assert [(u.name, u.arguments, u.ok) for u in done.tools] == [("orders.lookup_order", {"order_id": "A101"}, True)]
    assert "process" in done.text.lower()  # the order is "processing"


class Slow(Tool):
    name = "slow"
    description = "takes its time"

    def run(self, args: dict[str, Any]) -> ToolResult:
        time.sleep(0.6)
        return ToolResult("done slowly")


class Secret(Tool):
    name = "diary"
    description = "reads the diary"
    personal = True

    def run(self, args: dict[str, Any]) -> ToolResult:
        return ToolResult("Dear diary, my PIN is 4321")


def test_slow_tools_get_a_filler_and_personal_results_stay_home(tmp_path):
    settings = settings_for(tmp_path, tools="filler_after_s = 0.2")
    with build(settings, memory=False) as jarvis:
        box = jarvis.tools
        assert box is not None
        box.registry.add(Slow())
        box.registry.add(Secret())
        events: list[Any] = []
        item = Transcript("q", "es", turn_id=3)
        calls = [ToolCall("slow", {}), ToolCall("diary", {})]
        for private in (True, False):
            messages, uses = run_calls(box, calls, item, "m", private=private, publish=events.append,
                                       confirm=None, language="es")
            assert [u.ok for u in uses] == [True, True]
            assert messages[2].content == (WITHHELD if private else "Dear diary, my PIN is 4321")
            assert messages[1].content == "done slowly"  # not personal: always sent
        fillers = [e for e in events if isinstance(e, Filler)]
        assert [f.text for f in fillers] == ["Un momento.", "Un momento."]  # once per round
        assert {s["function"]["name"] for s in box.schemas(personal=False)}.isdisjoint({"diary"})


def test_a_tool_that_changes_things_waits_for_a_spoken_yes(tmp_path):
    settings = settings_for(tmp_path)
    with build(settings, memory=False) as jarvis:
        assistant = jarvis.assistant
        asked: list[ConfirmRequest] = []
        assistant.bus.subscribe(lambda e: isinstance(e, ConfirmRequest) and asked.append(e))
        answers: list[bool] = []
        worker = threading.Thread(
            target=lambda: answers.append(assistant.confirmations.ask("Forget 'x'?", "forget", 1, timeout_s=20))
        )
        worker.start()
        deadline = time.monotonic() + 10
        while not asked and time.monotonic() < deadline:
            time.sleep(0.01)
        assert asked and asked[0].question == "Forget 'x'?"
        assert assistant.submit_text("Sí, hazlo", source="voice") == 0  # answers it; no new turn
        worker.join(5)
        assert answers == [True]
        assert assistant.confirmations.ask("again?", "forget", 1, timeout_s=0.2) is False  # silence is a no


@pytest.mark.parametrize(("text", "verdict"), [("yes", True), ("Yes please", True), ("vale", True), ("no", False),
                                               ("mejor no", False), ("what time is it", None)])
def test_yes_or_no(text, verdict):
    assert yes_or_no(text) is verdict


def test_stop_asks_the_voice_to_stop_without_a_model(tmp_path):
    from jarvis.messages import StopRequested

    settings = settings_for(tmp_path)
    with build(settings, memory=False) as jarvis:
        seen: list[Any] = []
        jarvis.assistant.bus.subscribe(seen.append)
        done = jarvis.assistant.ask("Cállate")
        assert done.model == "instant" and done.text == "Vale."
        assert any(isinstance(e, StopRequested) for e in seen)
        assert jarvis.assistant.pool.resident() == {}
