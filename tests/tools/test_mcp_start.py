"""MCP servers start with Jarvis, in the background: a turn never waits for one (its start-up never
counts against the model's first-token watchdog), a server that fails is said in one line and the
others go on, and closing Jarvis stops them.

Real MCP stdio servers (the hostile test server, which can be told to hang at start until a file
appears), Jarvis built by the composition root, the smallest real model answering.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from devsupport.config import write_config
from jarvis.assembly import build
from jarvis.config import McpServerSpec, load_settings
from jarvis.notices import LOGGER_NAME
from tests.tools.test_mcp_hostile import dead, pids_of, spec, wait_for_pid


def settings_with(tmp_path: Path, *servers: McpServerSpec):
    extra = ""
    for s in servers:
        args = ", ".join(f'"{a}"' for a in s.args)
        extra += (f'[[mcp_servers]]\nname = "{s.name}"\ncommand = "{s.command}"\nargs = [{args}]\n'
                  f"timeout_s = {s.timeout_s}\n\n")
    return load_settings(write_config(tmp_path, extra, default="smollm2-135m"))


def test_a_slow_server_starts_with_jarvis_and_the_first_turn_does_not_wait_for_it(tmp_path: Path) -> None:
    release = tmp_path / "release"
    # a long start timeout: if a turn waited for the server, it would still be waiting
    s, pids = spec(tmp_path, "--hang-until", str(release), timeout_s=300.0)
    with build(settings_with(tmp_path, s), memory=False) as jarvis:
        jarvis.start(preload=False)
        wait_for_pid(pids, "server")  # started by Jarvis.start, before any turn
        box = jarvis.tools
        assert box is not None and box.mcp is not None
        done = jarvis.assistant.ask("What is the process id of the hostile server?")
        assert done.model == "smollm2-135m"  # a model turn: its prompt was built ...
        assert box.mcp.starting == ["hostile"]  # ... while the server was still starting
        assert not [u for u in done.tools if u.name.startswith("hostile.")]
        release.touch()  # the server comes up: its tools are there for the next turn
        assert box.mcp.wait(timeout=120.0)
        names = {x["function"]["name"] for x in box.schemas(request="what is the pid of the server")}
        assert "hostile.ping_pid" in names
        assert len(pids_of(pids, "server")) == 1
    assert dead(pids_of(pids, "server")[0])  # closing Jarvis stopped it


def test_a_server_that_fails_is_said_in_one_line_and_the_others_start(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    good, pids = spec(tmp_path)
    ghost = McpServerSpec(name="ghost", command="jarvis-no-such-mcp-server", timeout_s=30.0)
    with build(settings_with(tmp_path, ghost, good), memory=False) as jarvis:
        jarvis.start(preload=False)
        box = jarvis.tools
        assert box is not None and box.mcp is not None
        assert box.mcp.wait(timeout=120.0)
        names = {x["function"]["name"] for x in box.schemas(request="what is the pid of the server")}
        assert "hostile.ping_pid" in names
        said = [r.getMessage() for r in caplog.records if r.name == LOGGER_NAME]
        assert len(said) == 1 and "ghost" in said[0] and "\n" not in said[0], said
    assert dead(pids_of(pids, "server")[0])


@pytest.mark.parametrize("instant", [True, False])
def test_jarvis_ask_starts_servers_only_for_a_question_for_a_model(tmp_path: Path, instant: bool) -> None:
    """``jarvis ask`` starts Jarvis with ``mcp`` off for an everyday command (nothing spawned)."""
    s, pids = spec(tmp_path)
    with build(settings_with(tmp_path, s), memory=False) as jarvis:
        jarvis.start(preload=False, mcp=not instant)
        assert jarvis.tools is not None and jarvis.tools.mcp is not None
        if instant:
            assert jarvis.tools.mcp.attempts == {}
        else:
            jarvis.tools.wait_mcp()
            assert jarvis.tools.mcp.attempts == {"hostile": 1} and not jarvis.tools.mcp.starting
