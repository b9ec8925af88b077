"""``jarvis doctor`` reports ``[tools]``, each ``[[mcp_servers]]`` entry and the configured audio
devices; the config refuses two MCP servers with one name and tool names that do not exist."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devsupport import pulse
from devsupport.config import write_config
from devsupport.paths import JARVIS, MCP_SERVER
from jarvis.commands.doctor_sections import audio_devices_section, mcp_section, tools_section
from jarvis.config import BUILTIN_TOOLS, load_settings
from jarvis.errors import ConfigError

SERVER = MCP_SERVER


def orders(name: str = "orders", **extra: str) -> str:
    more = "".join(f"{k} = {v}\n" for k, v in extra.items())
    return f'[[mcp_servers]]\nname = "{name}"\ncommand = "{sys.executable}"\nargs = ["{SERVER}"]\n{more}\n'


# ---------------------------------------------------------------------------------------------- config
def test_two_mcp_servers_with_one_name_are_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path, orders() + orders(timeout_s="5.0"))
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = info.value.message
    assert message.startswith(str(path)) and "'mcp_servers[1].name'" in message
    assert "'orders' is already the name of mcp_servers[0]" in message and "\n" not in message
    assert "name of its own" in info.value.hint


def test_tools_disabled_names_a_tool_that_exists(tmp_path: Path) -> None:
    ok = write_config(tmp_path, orders(), tools='disabled = ["forget", "set_alarm", "orders.cancel_order"]')
    assert load_settings(ok).tools.disabled == ["forget", "set_alarm", "orders.cancel_order"]
    for bad, hint in (
        ("forgett", "built-in tools: calculator"),
        ("orders", "is an MCP server, not a tool"),
        ("shop.delete_order", "'shop' is not an [[mcp_servers]] name (MCP servers: orders)"),
    ):
        path = write_config(tmp_path, orders(), tools=f'disabled = ["{bad}"]')
        with pytest.raises(ConfigError) as info:
            load_settings(path)
        assert info.value.message == f"{path}: bad value for 'tools.disabled': unknown tool '{bad}'"
        assert hint in info.value.hint


def test_the_builtin_tool_names_are_those_of_the_toolbox(tmp_path: Path) -> None:
    from jarvis.tools.memory_tools import ForgetTool, RecallTool, RememberTool
    from jarvis.tools.toolbox import Toolbox

    box = Toolbox(load_settings(write_config(tmp_path)))
    try:
        names = set(box.registry.names()) | {RememberTool.name, RecallTool.name, ForgetTool.name}
    finally:
        box.close()
    assert names == set(BUILTIN_TOOLS)


# ---------------------------------------------------------------------------------------------- sections
def test_tools_section_checks_the_time_zone_and_the_disabled_names(tmp_path: Path) -> None:
    settings = load_settings(write_config(
        tmp_path, orders(), tools='timezone = "Mars/Olympus"\ndisabled = ["forget", "orders.cancel_order"]'
    ))
    rep = tools_section(settings)
    assert rep["enabled"] is True and rep["timezone"]["state"] == "invalid"
    assert "Mars/Olympus" in rep["timezone"]["detail"]
    states = {d["name"]: d["state"] for d in rep["disabled"]}
    assert states == {"forget": "ok", "orders.cancel_order": "unchecked"}  # the server is not started
    good = tools_section(load_settings(write_config(tmp_path, tools='timezone = "Tokyo"')))
    assert good["timezone"] == {"setting": "Tokyo", "state": "ok", "detail": "Asia/Tokyo"}


def test_mcp_section_finds_commands_and_deep_starts_each_server(tmp_path: Path) -> None:
    extra = (
        orders()
        + '[[mcp_servers]]\nname = "ghost"\ncommand = "jarvis-no-such-mcp-server"\n\n'
        + f'[[mcp_servers]]\nname = "gone"\ncommand = "{sys.executable}"\nargs = ["{tmp_path / "nope.py"}"]\n\n'
        + '[[mcp_servers]]\nname = "web"\nurl = "http://me:secret@127.0.0.1:9/mcp?token=abc"\nenabled = false\n'
    )
    settings = load_settings(write_config(tmp_path, extra, tools='disabled = ["orders.cancel_order", "orders.nope"]'))
    rows = {r["name"]: r for r in mcp_section(settings)}
    assert rows["orders"]["state"] == "ok" and "start" not in rows["orders"]  # nothing starts without --deep
    assert rows["ghost"]["state"] == "missing" and "not found on PATH" in rows["ghost"]["detail"]
    assert rows["gone"]["state"] == "missing" and "nope.py not found" in rows["gone"]["detail"]
    assert rows["web"]["state"] == "off" and rows["web"]["where"] == "http://127.0.0.1:9/mcp"  # no secret shown
    deep = {r["name"]: r for r in mcp_section(settings, deep=True)}
    assert deep["orders"]["start"]["ok"] and "orders.lookup_order" in deep["orders"]["start"]["tools"]
    assert not deep["gone"]["start"]["ok"] and "MCP server 'gone'" in deep["gone"]["start"]["detail"]
    assert "start" not in deep["ghost"] and "start" not in deep["web"]  # not found (said once) / off
    listed = {n: r["start"]["tools"] for n, r in deep.items() if r.get("start", {}).get("ok")}
    states = {d["name"]: d["state"] for d in tools_section(settings, listed)["disabled"]}
    assert states == {"orders.cancel_order": "ok", "orders.nope": "unknown"}


@pytest.mark.skipif(pulse.available() is not None, reason=str(pulse.available()))
def test_audio_devices_section_names_the_device_or_what_is_there(tmp_path: Path, server) -> None:
    settings = load_settings(write_config(tmp_path, audio='input_device = "pulse"\noutput_device = "Blue Yeti"'))
    rep = audio_devices_section(settings)
    assert rep["input"]["state"] == "ok" and "'pulse'" in rep["input"]["detail"]
    assert rep["output"]["state"] == "missing"
    assert "no output device named 'Blue Yeti'" in rep["output"]["detail"] and "'pulse'" in rep["output"]["detail"]


def test_doctor_names_the_new_sections(tmp_path: Path, jarvis_env: dict[str, str]) -> None:
    config = write_config(tmp_path, orders(), tools='disabled = ["orders.cancel_order"]')
    env = dict(jarvis_env, JARVIS_CONFIG=str(config))
    for var in ("PULSE_SERVER", "PULSE_RUNTIME_PATH"):  # whatever devices this machine has, or none
        env.pop(var, None)
    p = subprocess.run([*JARVIS, "doctor"], env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    for title in ("tools ([tools])", "MCP servers ([[mcp_servers]])", "audio devices (audio.input_device"):
        assert title in p.stdout
    assert "orders.cancel_order: unchecked" in p.stdout
    line = next(x for x in p.stdout.splitlines() if x.strip().startswith("orders "))
    assert "stdio" in line and " ok " in line
    p = subprocess.run([*JARVIS, "doctor", "--json"], env=env, capture_output=True, text=True, timeout=300)
    rep = json.loads(p.stdout)
    assert rep["tools"]["disabled"][0]["name"] == "orders.cancel_order"
    assert [m["name"] for m in rep["mcp_servers"]] == ["orders"]
    for kind in ("input", "output"):
        device = rep["audio_devices"][kind]
        assert device["setting"] == "system default" and device["state"] in ("ok", "none")
        if device["state"] == "none":  # no device at all: a normal state, said plainly
            assert "keyboard chat still works" in device["detail"]
    assert "Traceback" not in p.stderr
