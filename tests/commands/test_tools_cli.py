"""`jarvis tools list/call` and `jarvis ask` with tools, as a user runs them (real processes where a
terminal or a start-up matters: refusing without a terminal, ``ask``)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from devsupport.config import write_config
from devsupport.paths import JARVIS, MCP_SERVER
from jarvis.cli import main as cli_main

SERVER = MCP_SERVER


def run(args: list[str], env: dict, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*JARVIS, *args], env=env, capture_output=True, text=True, timeout=300, input=stdin)


def test_tools_list_call_and_ask(tmp_path, jarvis_env, capsys):
    extra = f'[[mcp_servers]]\nname = "orders"\ncommand = "{sys.executable}"\nargs = ["{SERVER}"]\n'
    env = dict(jarvis_env, JARVIS_CONFIG=str(write_config(tmp_path, extra)))
    # list and call in this process: the same entry point as the command, one start-up each fewer
    assert cli_main(["--config", env["JARVIS_CONFIG"], "tools", "list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert {"clock", "calculator", "set_timer", "system_status", "orders.lookup_order"} <= set(rows)
    assert rows["orders.cancel_order"]["needs_confirmation"] and rows["orders.cancel_order"]["source"] == "orders"
    code = cli_main(["--config", env["JARVIS_CONFIG"], "tools", "call", "calculator", '{"expression": "17% of 240"}',
                     "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["data"]["value"] == "40.8"
    # a tool that changes things, with no terminal to ask on: refused, nothing changed
    refused = run(["tools", "call", "orders.cancel_order", '{"order_id": "A100"}'], env, stdin="")
    assert refused.returncode == 2 and "said no" in refused.stderr and "Traceback" not in refused.stderr
    # the bad inputs in this process: the same entry point and error path, without three more start-ups
    for bad in (["tools", "call", "nope"], ["tools", "call", "clock", "{not json"],
                ["tools", "call", "calculator", '{"expression": "1/0"}']):
        code = cli_main(["--config", env["JARVIS_CONFIG"], *bad])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("error: ") and "Traceback" not in err, err
    before = dt.datetime.now().strftime("%H:%M")
    asked = run(["ask", "What time is it?"], env)
    after = dt.datetime.now().strftime("%H:%M")
    assert asked.returncode == 0 and asked.stdout.strip() in (f"It's {before}.", f"It's {after}.")
    answer = run(["ask", "--json", "What is the status of order A101?"], env)
    assert answer.returncode == 0, answer.stderr
    record = json.loads(answer.stdout)
    assert [t["name"] for t in record["tools"]] == ["orders.lookup_order"] and record["tools"][0]["ok"]
    assert "process" in record["text"].lower()
