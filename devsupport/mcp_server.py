"""A real MCP server for the MCP client tests, written with the official SDK's server side.

Run it over stdio (``python mcp_server.py``) or streamable HTTP
(``python mcp_server.py --http PORT``, endpoint ``http://127.0.0.1:PORT/mcp``).

Tools:

* ``lookup_order(order_id)`` - read-only: the status of an order from a small table.
* ``cancel_order(order_id)`` - destructive: cancels an order (an unknown id is an ``isError`` result).
* ``crash()`` - test only: the process exits at once (``os._exit(1)``) mid-call.
* ``hang()`` - test only: never answers.
* ``garble()`` - test only: writes a line that is not JSON-RPC on stdout (stdio), then never answers.
* ``ping_pid()`` - test only: the server's process id, to tell a restarted server from the old one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

ORDERS = {"A100": "shipped", "A101": "processing", "A102": "delivered"}

server = MCPServer("orders", instructions="A small order desk for tests.")
# The SDK diverts fd 1 to stderr while it serves stdio (so stray prints cannot break the protocol);
# garble() writes to this copy of the real stdout pipe to break it on purpose.
WIRE = os.dup(1)


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def lookup_order(order_id: str) -> dict[str, str]:
    """Look up the status of an order by its id (like A100)."""
    status = ORDERS.get(order_id.upper())
    if status is None:
        raise ToolError(f"no order {order_id}")
    return {"order_id": order_id.upper(), "status": status}


@server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True))
def cancel_order(order_id: str) -> str:
    """Cancel an order by its id."""
    key = order_id.upper()
    if key not in ORDERS:
        raise ToolError(f"no order {order_id} to cancel")
    ORDERS[key] = "cancelled"
    return f"order {key} cancelled"


@server.tool()
def crash() -> str:
    """Test only: the server process exits in the middle of the call."""
    sys.stderr.write("crashing on purpose\n")
    sys.stderr.flush()
    os._exit(1)


@server.tool()
def hang() -> str:
    """Test only: never answers."""
    while True:
        time.sleep(3600)


@server.tool()
def garble() -> str:
    """Test only: breaks the stdio protocol with a line that is not JSON-RPC, then never answers."""
    os.write(WIRE, b"this is not json\n")
    while True:
        time.sleep(3600)


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def ping_pid() -> str:
    """Test only: this server's process id."""
    return str(os.getpid())


def main() -> None:
    """Serve over stdio, or over streamable HTTP with ``--http PORT``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, default=None, help="serve streamable HTTP on 127.0.0.1:PORT")
    opts = parser.parse_args()
    if opts.http is None:
        server.run()
    else:
        server.run("streamable-http", host="127.0.0.1", port=opts.http)


if __name__ == "__main__":
    main()
