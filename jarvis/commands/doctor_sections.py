"""``jarvis doctor``: the tools (``[tools]``), the MCP servers (``[[mcp_servers]]``) and the
configured audio devices, as plain data and as text.

Nothing here starts a server or opens a device, except :func:`mcp_section` with ``deep=True``
(``jarvis doctor --deep``): each enabled server is started once with a short timeout, its tools
listed, and stopped. Having no audio device at all is a normal state here (keyboard chat works).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from jarvis.config import McpServerSpec, Settings

DEEP_START_S = 10.0  # the longest a server may take to start under `doctor --deep`
_SCRIPTS = (".py", ".js", ".mjs", ".cjs", ".ts", ".jar", ".sh", ".rb", ".pl")


# ---------------------------------------------------------------------------------------------- [tools]
def tools_section(settings: Settings, mcp_tools: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """``[tools]``: on/off, the clock's time zone, and whether each name in ``tools.disabled`` exists.

    ``mcp_tools``: the tools each MCP server listed (``doctor --deep``); without it, a disabled
    SERVER.TOOL name cannot be checked and says so.
    """
    from jarvis.config import BUILTIN_TOOLS

    t = settings.tools
    return {
        "enabled": t.enabled,
        "instant": t.instant,
        "timezone": _timezone(t.timezone),
        "disabled": [_disabled(name, settings, mcp_tools) for name in t.disabled],
        "builtin": list(BUILTIN_TOOLS),
    }


def _timezone(name: str) -> dict[str, Any]:
    import datetime as dt

    from jarvis.tools.base import ToolError
    from jarvis.tools.clock import find_zone

    if not name:
        local = dt.datetime.now().astimezone()
        return {"setting": "", "state": "ok", "detail": f"the system's ({local.tzname()}, UTC{local:%z})"}
    try:
        zone = find_zone(name)
    except ToolError as exc:
        return {"setting": name, "state": "invalid", "detail": f"{exc.message}; {exc.hint}"}
    return {"setting": name, "state": "ok", "detail": zone.key}


def _disabled(name: str, settings: Settings, mcp_tools: dict[str, list[str]] | None) -> dict[str, str]:
    from jarvis.config import BUILTIN_TOOLS

    if name in BUILTIN_TOOLS:
        return {"name": name, "state": "ok", "detail": "built-in"}
    server, _, tool = name.partition(".")
    listed = (mcp_tools or {}).get(server)
    if listed is None:
        return {"name": name, "state": "unchecked",
                "detail": f"a tool of MCP server '{server}' (`jarvis doctor --deep` starts it to check)"}
    if name in listed:
        return {"name": name, "state": "ok", "detail": f"MCP server '{server}'"}
    return {"name": name, "state": "unknown",
            "detail": f"MCP server '{server}' has no tool '{tool}'; its tools: {', '.join(listed) or 'none'}"}


# ---------------------------------------------------------------------------------------------- [[mcp_servers]]
def mcp_section(settings: Settings, deep: bool = False) -> list[dict[str, Any]]:
    """One row per ``[[mcp_servers]]`` entry: its command found (or URL), and under ``deep`` a start."""
    rows = []
    for spec in settings.mcp_servers:
        row: dict[str, Any] = {"name": spec.name, "enabled": spec.enabled, "timeout_s": spec.timeout_s}
        if spec.command:
            row.update(_command(spec))
        else:
            parts = urlsplit(str(spec.url))
            row.update(transport="http", where=f"{parts.scheme}://{parts.hostname or ''}"
                       + (f":{parts.port}" if parts.port else "") + parts.path, state="ok", detail="")
        if not spec.enabled:
            row.update(state="off", detail="enabled = false")
        elif deep and (spec.url or shutil.which(str(spec.command))):  # (a command not found: said above)
            row["start"] = _start(spec)
        rows.append(row)
    return rows


def _command(spec: McpServerSpec) -> dict[str, Any]:
    """Whether the command runs here, and whether the files among its arguments exist (the
    arguments themselves are not shown: they may hold a token)."""
    command = str(spec.command)
    found = shutil.which(command)
    row: dict[str, Any] = {"transport": "stdio", "where": found or command, "state": "ok", "detail": ""}
    if found is None:
        path = Path(command).expanduser()
        if path.is_file():
            row.update(state="not executable", detail=f"{path} cannot be run (chmod +x, or fix 'command')")
        else:
            where = "not found" if os.sep in command else "not found on PATH"
            row.update(state="missing", detail=f"command '{command}' {where}; install it, or fix 'command'")
        return row
    for arg in spec.args:
        if _looks_like_file(arg) and not Path(arg).expanduser().exists():
            row.update(state="missing", detail=f"file {arg} not found (in 'args')")
            break
    return row


def _looks_like_file(arg: str) -> bool:
    if arg.startswith("-") or "://" in arg or "=" in arg or "\n" in arg:
        return False
    return arg.startswith(("/", "~/", "./", "../")) or arg.lower().endswith(_SCRIPTS)


def _start(spec: McpServerSpec) -> dict[str, Any]:
    """Start the server once (at most :data:`DEEP_START_S`), list its tools, stop it."""
    import time

    from jarvis.tools.base import ToolError
    from jarvis.tools.mcp_client import McpServer

    server = McpServer(spec.model_copy(update={"timeout_s": min(spec.timeout_s, DEEP_START_S)}))
    began = time.monotonic()
    try:
        tools = [t.name for t in server.tools()]
    except ToolError as exc:
        return {"ok": False, "detail": exc.one_line(), "tools": []}
    finally:
        elapsed = time.monotonic() - began
        server.close()
    return {"ok": True, "detail": f"{len(tools)} tools in {elapsed:.1f} s", "tools": tools}


# ---------------------------------------------------------------------------------------------- audio devices
def audio_devices_section(settings: Settings) -> dict[str, dict[str, Any]]:
    """``audio.input_device`` and ``audio.output_device``: which device each one opens, or why none."""
    from jarvis.audio.devices import find_device, list_devices
    from jarvis.errors import AudioDeviceError

    out = {}
    for kind in ("input", "output"):
        spec = getattr(settings.audio, f"{kind}_device")
        setting = "system default" if spec is None or spec == "" else repr(spec)
        try:
            index = find_device(spec, kind)
            name = next((r["name"] for r in list_devices(kind) if r["index"] == index), "?")
        except AudioDeviceError as exc:  # none at all is normal (no sound card, a server, a container)
            state = "none" if exc.message.startswith(("no audio", "PortAudio")) else (
                "missing" if exc.message.startswith(f"no {kind} device") else "error")
            out[kind] = {"setting": setting, "state": state, "detail": f"{exc.message}; {exc.hint}"}
            continue
        out[kind] = {"setting": setting, "state": "ok", "detail": f"{index} '{name}'"}
    return out


# ---------------------------------------------------------------------------------------------- text
def lines(rep: dict[str, Any]) -> list[str]:
    """The text of the three sections, from :func:`jarvis.commands.core.doctor_report`'s data."""
    t = rep["tools"]
    out = ["", "tools ([tools])"]
    out.append(f"  enabled    {'yes' if t['enabled'] else 'no'} (instant path {'on' if t['instant'] else 'off'})")
    tz = t["timezone"]
    out.append(f"  timezone   {tz['setting'] or '(not set)'}: {tz['state']}, {tz['detail']}")
    if not t["disabled"]:
        out.append("  disabled   none")
    for d in t["disabled"]:
        out.append(f"  disabled   {d['name']}: {d['state']} ({d['detail']})")
    out += ["", "MCP servers ([[mcp_servers]])"]
    if not rep["mcp_servers"]:
        out.append("  none configured")
    for m in rep["mcp_servers"]:
        line = f"  {m['name']:<16} {m['transport']:<6} {m['state']:<14} {m['where']}"
        out.append(line + (f" - {m['detail']}" if m["detail"] else ""))
        if "start" in m:
            out.append(f"  {'':<16} start  {'ok' if m['start']['ok'] else 'failed':<14} {m['start']['detail']}")
    out += ["", "audio devices (audio.input_device / audio.output_device)"]
    for kind, d in rep["audio_devices"].items():
        out.append(f"  {kind:<10} {d['setting']}: {d['state']}, {d['detail']}")
    return out
