"""MCP servers that misbehave: children they start, garbage on stdout, huge results, a start that
hangs. Nothing they start may outlive Jarvis, nothing they return may flood the model, and a server
that does not start costs its timeout once, not every turn.

The hostile server is written into ``tmp_path`` (the official SDK's server side, like
``devsupport/mcp_server.py``); it appends ``server PID`` / ``child PID`` lines to a file so the
test can look the processes up by pid after Jarvis has let go of them.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devsupport.config import write_config
from devsupport.paths import ROOT
from jarvis.config import McpServerSpec, load_settings
from jarvis.notices import LOGGER_NAME
from jarvis.tools.mcp_client import RESULT_CHARS, McpServer
from jarvis.tools.toolbox import Toolbox

HOSTILE = r'''
import argparse, os, subprocess, sys, time

opts = argparse.ArgumentParser()
opts.add_argument("--pids")
opts.add_argument("--child", action="store_true")
opts.add_argument("--garbage", action="store_true")
opts.add_argument("--hang-until")
opts.add_argument("--linger", action="store_true")
o = opts.parse_args()

def note(what, pid):
    with open(o.pids, "a") as f:
        f.write(f"{what} {pid}\n")

STUBBORN = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"

def spawn():
    child = subprocess.Popen([sys.executable, "-c", STUBBORN], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    note("child", child.pid)
    return child.pid

note("server", os.getpid())
if o.linger:  # a thread that keeps the process alive after its stdin closes (it never reads EOF)
    import threading
    threading.Thread(target=time.sleep, args=(600,)).start()
if o.child:
    spawn()
if o.garbage:
    os.write(1, b"hello, this is not JSON-RPC\n" * 50)
if o.hang_until:
    while not os.path.exists(o.hang_until):
        time.sleep(0.05)

from mcp.server.mcpserver import MCPServer

server = MCPServer("hostile")

@server.tool()
def big(n: int) -> str:
    """Test only: n characters of text."""
    return "x" * n

@server.tool()
def spawn_child() -> str:
    """Test only: start a child process that ignores SIGTERM."""
    return str(spawn())

@server.tool()
def ping_pid() -> str:
    """Test only: this server's process id."""
    return str(os.getpid())

server.run()
'''


# ---------------------------------------------------------------------------------------------- helpers
def hostile(tmp_path: Path, *flags: str) -> tuple[list[str], Path]:
    script = tmp_path / "hostile_server.py"
    script.write_text(HOSTILE)
    pids = tmp_path / "pids.txt"
    return [str(script), "--pids", str(pids), *flags], pids


def spec(tmp_path: Path, *flags: str, name: str = "hostile", timeout_s: float = 30.0) -> tuple[McpServerSpec, Path]:
    args, pids = hostile(tmp_path, *flags)
    return McpServerSpec(name=name, command=sys.executable, args=args, timeout_s=timeout_s), pids


def pids_of(path: Path, what: str) -> list[int]:
    if not path.is_file():
        return []
    return [int(p) for w, p in (line.split() for line in path.read_text().splitlines()) if w == what]


def wait_for_pid(path: Path, what: str, within: float = 30.0) -> int:
    end = time.monotonic() + within
    while time.monotonic() < end:
        found = pids_of(path, what)
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"no {what} pid in {path}")


def dead(pid: int, within: float = 10.0) -> bool:
    """The process has ended: ``os.kill(pid, 0)`` says there is no such process, or it is a zombie
    (ended; an orphan waits there for PID 1 of this container to reap it)."""
    end = time.monotonic() + within
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return True
        except (FileNotFoundError, IndexError):
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(0.05)


def kill_quietly(*pids: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# ---------------------------------------------------------------------------------------------- processes
def test_a_server_and_the_children_it_starts_end_when_jarvis_closes_it(tmp_path: Path) -> None:
    s, pids = spec(tmp_path, "--child")
    server = McpServer(s)
    try:
        assert {t.name for t in server.tools()} >= {"hostile.big", "hostile.spawn_child"}
        later = int(server.call("spawn_child").text)  # one started mid-session too; both ignore SIGTERM
        leader, first = pids_of(pids, "server")[0], pids_of(pids, "child")[0]
        assert os.getpgid(first) == os.getpgid(later) == leader  # the server leads its own group
    finally:
        server.close()
    try:
        assert dead(leader), "the server outlived close()"
        assert dead(first) and dead(later), "a child the server started outlived close()"
    finally:
        kill_quietly(first, later)


EXITING = """
import os, signal, sys
sys.path.insert(0, {root!r})
from jarvis.config import McpServerSpec
from jarvis.tools.mcp_client import McpServer
from jarvis.tools.base import ToolError
server = McpServer(McpServerSpec(name="h", command=sys.executable, args={args!r}, timeout_s=60))
try:
    server.tools()
except ToolError as exc:  # garbage on stdout: the start fails at once
    print(exc.message)
print("ready", flush=True)
if sys.argv[1] == "crash":
    os.kill(os.getpid(), signal.SIGKILL)  # no close(), no atexit: only the kernel can help
sys.exit(0)  # no close(): the interpreter ends with the server running
"""


@pytest.mark.parametrize(("how", "flags"), [("exit", ()), ("crash", ()), ("exit", ("--garbage",))])
def test_a_server_does_not_outlive_a_jarvis_that_exits_without_closing_it(
    tmp_path: Path, how: str, flags: tuple[str, ...]
) -> None:
    """The server lingers after its stdin closes (a thread keeps it alive), as some servers do."""
    args, pids = hostile(tmp_path, "--child", "--linger", *flags)
    code = EXITING.format(root=str(ROOT), args=args)
    p = subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True, timeout=120)
    assert "ready" in p.stdout, p.stderr
    assert ("not JSON-RPC" in p.stdout) == ("--garbage" in flags)
    leader, child = pids_of(pids, "server")[0], pids_of(pids, "child")[0]
    try:
        assert dead(leader), f"the MCP server outlived a Jarvis that {how}ed"
        if how == "exit":
            assert dead(child), "a child of the server outlived Jarvis"
        # crash: the kernel ends the server (PR_SET_PDEATHSIG); what the server started is its own
        # business then (it is still in the server's process group: `kill -- -PGID` ends it)
    finally:
        try:
            os.killpg(leader, signal.SIGKILL)
        except ProcessLookupError:
            pass
        kill_quietly(child)


# ---------------------------------------------------------------------------------------------- results
def test_a_huge_result_is_capped_with_a_note(tmp_path: Path) -> None:
    s, _ = spec(tmp_path)
    server = McpServer(s)
    try:
        result = server.call("big", {"n": 5_000_000})
        assert len(result.text) < RESULT_CHARS + 200
        assert result.text.startswith("x" * 1000)
        assert "5,000,000" in result.text and "cut" in result.text  # says how much there was
        small = server.call("big", {"n": 10})
        assert small.text == "x" * 10  # a normal result is untouched
    finally:
        server.close()


# ---------------------------------------------------------------------------------------------- start-up
def _toolbox(tmp_path: Path, s: McpServerSpec) -> Toolbox:
    args = ", ".join(f'"{a}"' for a in s.args)
    extra = (f'[[mcp_servers]]\nname = "{s.name}"\ncommand = "{s.command}"\nargs = [{args}]\n'
             f"timeout_s = {s.timeout_s}\n")
    return Toolbox(load_settings(write_config(tmp_path, extra)))


def _notices(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER_NAME]


def test_a_server_that_does_not_start_is_tried_once_and_said_once(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    s, pids = spec(tmp_path, "--hang-until", str(tmp_path / "never"), timeout_s=2.0)
    box = _toolbox(tmp_path, s)
    try:
        box.start_mcp_background()  # as Jarvis starts
        box.wait_mcp()  # this one pays the timeout, once
        for _ in range(2):  # two turns in one Jarvis
            names = {x["function"]["name"] for x in box.schemas(request="what is the pid of the server")}
            assert not {n for n in names if n.startswith("hostile.")}
            box.start_mcp_background()  # a profile switch asks again: not started again
        assert len(pids_of(pids, "server")) == 1  # started once, not once per turn
        said = _notices(caplog)
        assert len(said) == 1 and "hostile" in said[0] and "did not start within 2 s" in said[0]
    finally:
        box.close()
    assert dead(pids_of(pids, "server")[0])


def test_the_next_jarvis_does_not_wait_for_a_server_that_did_not_start(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    release = tmp_path / "release"
    s, pids = spec(tmp_path, "--hang-until", str(release), timeout_s=2.0)
    first = _toolbox(tmp_path, s)
    try:
        first.wait_mcp()  # this one (`jarvis ask`) pays the timeout, once
    finally:
        first.close()
    caplog.clear()
    # the next `jarvis ask` (same config and data folder; a long timeout, so only the order of
    # events matters): it starts the server in the background and asks without waiting for it
    s = s.model_copy(update={"timeout_s": 120.0})
    box = _toolbox(tmp_path, s)
    try:
        box.wait_mcp()
        names = {x["function"]["name"] for x in box.schemas(request="what is the pid of the server")}
        assert not {n for n in names if n.startswith("hostile.")}
        mcp = box.mcp
        assert mcp is not None and mcp.attempts == {"hostile": 1} and mcp.starting == ["hostile"]
        assert any("hostile" in n and "not waiting" in n for n in _notices(caplog))
        release.touch()  # the server comes up in the background: its tools are there for the next turn
        assert mcp.wait(timeout=60.0)
        names = {x["function"]["name"] for x in box.schemas(request="what is the pid of the server")}
        assert "hostile.ping_pid" in names and mcp.attempts == {"hostile": 1}
    finally:
        box.close()
    # it started: the next `jarvis ask` waits for it again (its tools are in its one prompt)
    box = _toolbox(tmp_path, s)
    try:
        box.wait_mcp()
        names = {x["function"]["name"] for x in box.schemas(request="what is the pid of the server")}
        assert "hostile.ping_pid" in names
    finally:
        box.close()
    for pid in pids_of(pids, "server"):
        assert dead(pid)
