"""MCP client: a real MCP server (``devsupport/mcp_server.py``, the official SDK's server side)
over stdio and streamable HTTP; listing, calls, tool errors, crashes, hangs, bad commands and URLs,
the manager and the registry, and that nothing is left running after ``close()``."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devsupport.paths import MCP_SERVER as SERVER
from jarvis.config import McpServerSpec
from jarvis.messages import ToolCall
from jarvis.tools.base import Tool, ToolError, ToolResult
from jarvis.tools.executor import ToolExecutor
from jarvis.tools.mcp_client import McpManager, McpServer
from jarvis.tools.registry import ToolRegistry

NAMES = {"lookup_order", "cancel_order", "crash", "hang", "garble", "ping_pid"}


# ---------------------------------------------------------------------------------------------- helpers
def stdio_spec(name: str = "orders", timeout_s: float = 15.0, **kw: object) -> McpServerSpec:
    """The test server over stdio (a roomy timeout: a Python start-up on a loaded machine is slow)."""
    return McpServerSpec(name=name, command=sys.executable, args=[str(SERVER)], timeout_s=timeout_s, **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, within: float = 20.0) -> None:
    end = time.monotonic() + within
    while time.monotonic() < end:
        assert proc.poll() is None, "the test server exited"
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")


def start_http(port: int, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, str(SERVER), "--http", str(port)] if not extra else [sys.executable, *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.kill()  # a test server may hold a hung call: no graceful shutdown needed
    proc.wait()


def gone(pid: int, within: float = 8.0) -> bool:
    """The process has ended and been reaped (no zombie left either)."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state == "X":
            return True
        time.sleep(0.05)
    return False


def threads_back_to(count: int, within: float = 5.0) -> bool:
    end = time.monotonic() + within
    while threading.active_count() > count and time.monotonic() < end:
        time.sleep(0.05)
    return threading.active_count() <= count


def one_line(exc: ToolError) -> None:
    assert "\n" not in exc.message and "\n" not in exc.hint
    assert "Traceback" not in exc.message
    assert exc.hint


def pid_of(server: McpServer) -> int:
    return int(server.call("ping_pid").text)


class Echo(Tool):
    name = "echo"
    description = "say it back"

    def run(self, args: dict) -> ToolResult:
        return ToolResult(str(args))


@pytest.fixture
def orders() -> Iterator[McpServer]:
    """A fresh stdio server (for tests that change or break it)."""
    server = McpServer(stdio_spec())
    yield server
    server.close()


@pytest.fixture(scope="module")
def shared() -> Iterator[McpServer]:
    """One stdio server for the tests that only read from it."""
    server = McpServer(stdio_spec())
    yield server
    server.close()


@pytest.fixture(scope="module")
def http_url() -> Iterator[str]:
    port = free_port()
    proc = start_http(port)
    yield f"http://127.0.0.1:{port}/mcp"
    stop(proc)


# ---------------------------------------------------------------------------------------------- stdio
def test_listing_prefixes_names_keeps_schemas_and_flags_side_effects(shared: McpServer) -> None:
    tools = {t.name: t for t in shared.tools()}
    assert set(tools) == {f"orders.{n}" for n in NAMES}
    lookup, cancel, crash = tools["orders.lookup_order"], tools["orders.cancel_order"], tools["orders.crash"]
    assert lookup.parameters["type"] == "object"
    assert lookup.parameters["required"] == ["order_id"]
    assert lookup.parameters["properties"]["order_id"]["type"] == "string"
    assert "status of an order" in lookup.description
    assert (lookup.side_effects, lookup.needs_confirmation) == (False, False)  # readOnlyHint
    assert (cancel.side_effects, cancel.needs_confirmation) == (True, True)  # destructiveHint
    assert (crash.side_effects, crash.needs_confirmation) == (True, True)  # no hints: assume it changes things
    assert all(t.personal and t.source == "orders" for t in tools.values())
    assert lookup.schema()["function"]["name"] == "orders.lookup_order"


def test_read_only_call_returns_text_and_structured_data(shared: McpServer) -> None:
    tool = next(t for t in shared.tools() if t.name == "orders.lookup_order")
    result = tool.run({"order_id": "A100"})
    assert result.data == {"order_id": "A100", "status": "shipped"}
    assert "shipped" in result.text
    assert shared.call("orders.lookup_order", {"order_id": "a102"}).data["status"] == "delivered"


def test_side_effecting_call_changes_the_server(orders: McpServer) -> None:
    assert orders.call("cancel_order", {"order_id": "A101"}).text == "order A101 cancelled"
    assert orders.call("lookup_order", {"order_id": "A101"}).data["status"] == "cancelled"


def test_an_error_result_is_a_tool_error_with_the_servers_text(shared: McpServer) -> None:
    pid = pid_of(shared)
    with pytest.raises(ToolError) as info:
        shared.call("lookup_order", {"order_id": "Z9"})
    assert "orders.lookup_order" in info.value.message and "no order Z9" in info.value.message
    one_line(info.value)
    with pytest.raises(ToolError, match="Unknown tool"):
        shared.call("no_such_tool", {})
    assert pid_of(shared) == pid  # a tool error is not a broken server: same process


def test_a_crash_mid_call_is_one_line_and_the_next_call_restarts_it(orders: McpServer) -> None:
    pid = pid_of(orders)
    with pytest.raises(ToolError) as info:
        orders.call("crash")
    assert info.value.message == "MCP server 'orders' exited during crash: crashing on purpose"
    assert "restarted on the next turn" in info.value.hint
    one_line(info.value)
    assert gone(pid)
    assert not orders.running
    new_pid = pid_of(orders)
    assert new_pid != pid and orders.restarts == 1
    assert orders.call("lookup_order", {"order_id": "A100"}).data["status"] == "shipped"


def test_a_hang_is_cut_off_at_the_timeout_and_the_next_call_restarts_it() -> None:
    server = McpServer(stdio_spec(timeout_s=5.0))  # the restart (a Python start-up) must fit in it too
    try:
        server.start()
        pid = pid_of(server)
        t0 = time.monotonic()
        with pytest.raises(ToolError) as info:
            server.call("hang")
        took = time.monotonic() - t0
        assert 4.9 <= took < 6.0
        assert "orders.hang did not answer within 5 s" in info.value.message
        assert "restarted on the next turn" in info.value.hint
        one_line(info.value)
        assert gone(pid)  # the hung process is stopped, not left behind
        new_pid = pid_of(server)
        assert new_pid != pid and server.restarts == 1
    finally:
        server.close()


def test_a_reply_that_is_not_json_rpc_fails_the_call_at_once_and_the_next_call_restarts(orders: McpServer) -> None:
    pid = pid_of(orders)
    t0 = time.monotonic()
    with pytest.raises(ToolError) as info:
        orders.call("garble")
    assert time.monotonic() - t0 < 4.0  # not the 15 s timeout
    assert info.value.message == (
        "MCP server 'orders' sent something that is not JSON-RPC during garble: 'this is not json'"
    )
    one_line(info.value)
    assert gone(pid)
    assert pid_of(orders) != pid


def test_a_missing_command_is_named() -> None:
    count = threading.active_count()
    server = McpServer(McpServerSpec(name="ghost", command="jarvis-no-such-mcp-server", timeout_s=5))
    with pytest.raises(ToolError) as info:
        server.tools()
    assert info.value.message == "MCP server 'ghost': command 'jarvis-no-such-mcp-server' not found"
    assert "config.toml" in info.value.hint
    one_line(info.value)
    server.close()
    assert threads_back_to(count)


def test_a_server_that_exits_at_start_shows_its_last_error_line() -> None:
    code = "import sys; sys.stderr.write('loading...\\n'); sys.exit('bad config: no API token')"
    server = McpServer(McpServerSpec(name="broken", command=sys.executable, args=["-c", code], timeout_s=8))
    try:
        with pytest.raises(ToolError) as info:
            server.start()
        assert info.value.message == "MCP server 'broken' exited while starting: bad config: no API token"
        assert info.value.hint == f"run '{sys.executable}' (with its args) by hand to see why"
        one_line(info.value)
    finally:
        server.close()


def test_a_server_that_does_not_speak_json_rpc_fails_fast() -> None:
    code = "print('Usage: frobnicate [--serve]', flush=True); import time; time.sleep(60)"
    server = McpServer(McpServerSpec(name="chatty", command=sys.executable, args=["-c", code], timeout_s=10))
    try:
        t0 = time.monotonic()
        with pytest.raises(ToolError) as info:
            server.start()
        assert time.monotonic() - t0 < 8.0  # noticed at once, not at the timeout
        assert "MCP server 'chatty' sent something that is not JSON-RPC" in info.value.message
        assert "Usage: frobnicate" in info.value.message
        one_line(info.value)
    finally:
        server.close()


def test_close_leaves_no_process_and_no_thread() -> None:
    count = threading.active_count()
    server = McpServer(stdio_spec())
    pid = pid_of(server)
    assert threading.active_count() > count  # the loop thread
    server.close()
    server.close()  # safe twice
    assert gone(pid, within=3.0)
    assert threads_back_to(count)
    with pytest.raises(ToolError, match="shut down"):
        server.call("ping_pid")


def test_tools_run_through_the_executor_with_confirmation(shared: McpServer) -> None:
    registry = ToolRegistry(shared.tools())
    executor = ToolExecutor(registry, timeout_s=2.0)
    use, result = executor.run(ToolCall("orders.lookup_order", {"order_id": "A100"}))
    assert use.ok and result is not None and result.data["status"] == "shipped"
    use, result = executor.run(ToolCall("orders.cancel_order", {"order_id": "A100"}), confirm=lambda t, a: False)
    assert not use.ok and result is None and "the user said no" in use.result
    assert shared.call("lookup_order", {"order_id": "A100"}).data["status"] == "shipped"  # nothing changed


# ---------------------------------------------------------------------------------------------- HTTP
def test_http_lists_calls_and_reports_tool_errors(http_url: str) -> None:
    server = McpServer(McpServerSpec(name="shop", url=http_url, timeout_s=8))
    try:
        tools = {t.name: t for t in server.tools()}
        assert set(tools) == {f"shop.{n}" for n in NAMES}
        assert not tools["shop.lookup_order"].side_effects and tools["shop.cancel_order"].needs_confirmation
        assert server.call("lookup_order", {"order_id": "A102"}).data == {"order_id": "A102", "status": "delivered"}
        with pytest.raises(ToolError, match="no order Q1 to cancel") as info:
            server.call("cancel_order", {"order_id": "Q1"})
        one_line(info.value)
    finally:
        server.close()


def test_http_hang_is_cut_off_and_the_next_call_works(http_url: str) -> None:
    count = threading.active_count()
    server = McpServer(McpServerSpec(name="shop", url=http_url, timeout_s=3))
    try:
        server.start()
        t0 = time.monotonic()
        with pytest.raises(ToolError, match="shop.hang did not answer within 3 s"):
            server.call("hang")
        assert time.monotonic() - t0 < 4.0
        assert server.call("lookup_order", {"order_id": "A100"}).data["status"] == "shipped"
        assert server.restarts == 1
    finally:
        server.close()
    assert threads_back_to(count)


def test_a_refused_url_is_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}/mcp"
    server = McpServer(McpServerSpec(name="remote", url=url, timeout_s=5))
    try:
        t0 = time.monotonic()
        with pytest.raises(ToolError) as info:
            server.start()
        assert time.monotonic() - t0 < 4.0
        assert info.value.message.startswith(f"MCP server 'remote': cannot connect to {url}")
        assert "'url'" in info.value.hint
        one_line(info.value)
    finally:
        server.close()


def test_a_url_that_is_not_an_mcp_endpoint_is_one_line(tmp_path: Path) -> None:
    port = free_port()
    web = start_http(port, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(tmp_path), str(port))
    server = McpServer(McpServerSpec(name="site", url=f"http://127.0.0.1:{port}/mcp", timeout_s=5))
    try:
        with pytest.raises(ToolError, match="MCP server 'site' refused the MCP handshake") as info:
            server.start()
        one_line(info.value)
    finally:
        server.close()
        stop(web)


def test_http_server_crash_mid_call_then_it_comes_back() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    proc = start_http(port)
    server = McpServer(McpServerSpec(name="shop", url=url, timeout_s=8))
    try:
        assert pid_of(server) == proc.pid
        with pytest.raises(ToolError) as info:
            server.call("crash")
        assert info.value.message.startswith("MCP server 'shop' lost the connection during crash")
        one_line(info.value)
        proc.wait(5)
        with pytest.raises(ToolError, match="cannot connect"):  # still down: one clear line, no hang
            server.call("ping_pid")
        proc = start_http(port)
        assert pid_of(server) == proc.pid
    finally:
        server.close()
        stop(proc)


def test_http_server_restarted_between_turns_gets_a_new_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 2025-era (initialize handshake) session: the restarted server answers 404 to the old
    session id; the client starts a new session and the call goes through (it never ran before)."""
    import mcp.client

    class LegacyClient(mcp.client.Client):
        def __init__(self, *args: object, **kw: object) -> None:
            super().__init__(*args, **{**kw, "mode": "legacy"})

    monkeypatch.setattr(mcp.client, "Client", LegacyClient)
    port = free_port()
    proc = start_http(port)
    server = McpServer(McpServerSpec(name="shop", url=f"http://127.0.0.1:{port}/mcp", timeout_s=8))
    try:
        assert pid_of(server) == proc.pid
        assert server._link is not None and server._link.client.protocol_version < "2026"
        stop(proc)
        proc = start_http(port)
        assert pid_of(server) == proc.pid
        assert server.restarts == 1
    finally:
        server.close()
        stop(proc)


# ---------------------------------------------------------------------------------------------- manager
def test_manager_adds_tools_reports_failures_and_removes_tools_on_close() -> None:
    registry = ToolRegistry([Echo()])
    specs = [
        stdio_spec(),
        McpServerSpec(name="ghost", command="jarvis-no-such-mcp-server"),
        McpServerSpec(name="off", command="jarvis-no-such-mcp-server", enabled=False),
    ]
    manager = McpManager(specs, registry)
    assert set(manager.servers) == {"orders", "ghost"}
    assert len(registry) == 1  # nothing starts before it is needed
    errors = manager.ensure_started()
    assert errors == manager.errors and len(errors) == 1
    assert errors[0].startswith("MCP server 'ghost': command 'jarvis-no-such-mcp-server' not found")
    assert set(registry.names()) == {"echo", *(f"orders.{n}" for n in NAMES)}
    assert registry.get("orders.lookup_order").run({"order_id": "A101"}).data["status"] == "processing"
    pid = pid_of(manager.servers["orders"])
    assert manager.ensure_started() == errors  # running servers are left alone
    assert pid_of(manager.servers["orders"]) == pid
    manager.close()
    manager.close()
    assert registry.names() == ["echo"]
    assert gone(pid, within=3.0)


def test_manager_restarts_a_crashed_server_and_retries_a_fixed_one(tmp_path: Path) -> None:
    script = tmp_path / "orders-server"
    registry = ToolRegistry()
    manager = McpManager([stdio_spec(), McpServerSpec(name="later", command=str(script))], registry, retry_after_s=0)
    try:
        assert len(manager.ensure_started()) == 1 and "later.ping_pid" not in registry
        with pytest.raises(ToolError, match="exited during crash"):
            registry.get("orders.crash").run({})
        script.write_text(f"#!/bin/sh\nexec {sys.executable} {SERVER}\n")
        script.chmod(0o755)
        assert manager.ensure_started() == []
        assert manager.servers["orders"].running and manager.servers["orders"].restarts == 1
        assert "later.ping_pid" in registry and "orders.ping_pid" in registry
    finally:
        manager.close()


def test_manager_waits_before_retrying_a_failed_server(tmp_path: Path) -> None:
    script = tmp_path / "orders-server"
    registry = ToolRegistry()
    manager = McpManager([McpServerSpec(name="later", command=str(script))], registry, retry_after_s=60)
    try:
        first = manager.ensure_started()
        script.write_text(f"#!/bin/sh\nexec {sys.executable} {SERVER}\n")
        script.chmod(0o755)
        assert manager.ensure_started() == first  # not retried yet: still the same one line
        assert len(registry) == 0 and not manager.servers["later"].running
    finally:
        manager.close()


def test_env_is_passed_to_the_server() -> None:
    code = (
        "import os, sys; sys.argv = ['s']; sys.path.insert(0, os.path.dirname(os.environ['ORDERS_SERVER']));"
        "import mcp_server as m; m.ORDERS['ENV'] = os.environ['ORDER_ENV']; m.main()"
    )
    spec = McpServerSpec(
        name="envy", command=sys.executable, args=["-c", code], timeout_s=15,
        env={"ORDERS_SERVER": str(SERVER), "ORDER_ENV": "from-env"},
    )
    server = McpServer(spec)
    try:
        assert server.call("lookup_order", {"order_id": "env"}).data["status"] == "from-env"
    finally:
        server.close()
