"""``jarvis tools list`` and ``jarvis tools call NAME '{json}'``; the terminal's yes/no for tools."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from jarvis.commands.common import add_json_flag, print_json, settings_from
from jarvis.errors import InputError
from jarvis.messages import ConfirmRequest, ToolCall


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``tools list`` and ``tools call``."""
    p = sub.add_parser("tools", help="the tools Jarvis can call (built-in and MCP)")
    tsub = p.add_subparsers(dest="tools_command", metavar="ACTION")
    lp = tsub.add_parser("list", help="every tool with its description and source")
    add_json_flag(lp)
    lp.set_defaults(func=cmd_tools_list)
    cp = tsub.add_parser("call", help="run one tool: jarvis tools call calculator '{\"expression\": \"2^10\"}'")
    cp.add_argument("name", help="the tool's name (see `jarvis tools list`)")
    cp.add_argument("arguments", nargs="?", default="{}", help="a JSON object of arguments")
    cp.add_argument("--yes", action="store_true", help="do not ask before a tool that changes things")
    add_json_flag(cp)
    cp.set_defaults(func=cmd_tools_call)
    p.set_defaults(func=cmd_tools_list, json=False)


def _toolbox(args: argparse.Namespace) -> Any:
    from jarvis.tools.toolbox import Toolbox

    settings = settings_from(args)
    toolbox = Toolbox(settings)
    if settings.memory.enabled:
        from jarvis.memory.service import memory_service

        toolbox.add_memory(memory_service(settings, None, "cli"))  # opens lazily, on a memory tool's first use
    errors = toolbox.start_mcp()
    for line in errors:
        sys.stderr.write(f"note: MCP {line}\n")
    return toolbox


def cmd_tools_list(args: argparse.Namespace) -> int:
    """Print every tool: name, source, whether it changes things, description."""
    toolbox = _toolbox(args)
    try:
        rows = [
            {"name": t.name, "source": t.source, "side_effects": t.side_effects,
             "needs_confirmation": t.needs_confirmation, "description": t.description, "parameters": t.parameters}
            for t in toolbox.registry
        ]
    finally:
        toolbox.close()
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        flag = " (asks first)" if r["needs_confirmation"] else " (changes things)" if r["side_effects"] else ""
        print(f"{r['name']:<24} {r['source']:<10} {r['description']}{flag}")
    return 0


def cmd_tools_call(args: argparse.Namespace) -> int:
    """Run one tool with JSON arguments and print its result (exit 2 when it fails)."""
    try:
        arguments = json.loads(args.arguments)
    except ValueError as exc:
        raise InputError(
            f"the arguments are not JSON: {exc.msg}", "pass a JSON object, e.g. '{\"expression\": \"2+2\"}'"
        ) from None
    if not isinstance(arguments, dict):
        raise InputError("the arguments must be a JSON object", "pass e.g. '{\"expression\": \"2+2\"}'")
    toolbox = _toolbox(args)
    try:
        confirm = (lambda tool, a: True) if args.yes else _ask_terminal
        use, result = toolbox.executor.run(ToolCall(args.name, arguments), source="cli", confirm=confirm)
    finally:
        toolbox.close()
    if args.json:
        print_json({"name": use.name, "arguments": use.arguments, "ok": use.ok, "result": use.result,
                    "data": result.data if result is not None else None, "duration_s": use.duration_s})
    elif use.ok:
        print(use.result)
    if not use.ok:
        from jarvis.tools.base import ToolError

        raise ToolError(use.result.removeprefix("error: "), "see `jarvis tools list` for names and arguments")
    return 0


def _ask_terminal(tool: Any, args: dict[str, Any]) -> bool:
    return ask_yes_no(tool.summary(args))


def ask_yes_no(question: str) -> bool:
    """Ask on the terminal; "no" when there is no terminal to ask on."""
    if not sys.stdin.isatty():
        sys.stderr.write(f"note: {question} -> no (no terminal to ask; pass --yes to allow)\n")
        return False
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes", "s", "si", "sí")


class TerminalConfirm:
    """A bus observer that answers a tool's :class:`ConfirmRequest` on the terminal (headless ask)."""

    def __init__(self, assistant: Any) -> None:
        self.assistant = assistant

    def __call__(self, event: Any) -> None:
        if isinstance(event, ConfirmRequest):
            self.assistant.confirm(event.request_id, ask_yes_no(event.question))
