"""Command line: ``jarvis`` (the TUI) and the headless sub-commands.

Every expected failure is a :class:`JarvisError`: printed as ``error: ...`` / ``hint: ...`` on
stderr, exit status 2, no traceback. Commands that print results take ``--json``.
Feature packages add their own sub-commands through ``register(subparsers)`` in the modules
listed in :data:`COMMAND_MODULES`; a handler is ``func(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
from typing import Any

from jarvis.errors import Interrupted, JarvisError

COMMAND_MODULES = (
    "jarvis.commands.core",
    "jarvis.commands.memory",
    "jarvis.commands.routing",
    "jarvis.commands.voice",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (core options plus every feature's sub-commands)."""
    ap = argparse.ArgumentParser(prog="jarvis", description="Local-first voice assistant in your terminal.")
    ap.add_argument("--config", help="config file (default: $JARVIS_CONFIG or the repository's config.toml)")
    ap.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    ap.add_argument("--resume", action="store_true", help="continue the last conversation")
    ap.add_argument("--model", help="force this model (skip routing)")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that feature is not written yet
                continue
            raise
        module.register(sub)
    return ap


def print_json(data: Any) -> None:
    """Print one JSON document on stdout."""
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
    sys.stdout.flush()


def fail(exc: JarvisError) -> int:
    """Print a JarvisError as two clean lines on stderr; exit status 2."""
    sys.stderr.write(f"error: {exc.message}\n")
    if exc.hint:
        sys.stderr.write(f"hint: {exc.hint}\n")
    sys.stderr.flush()
    return 2


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``jarvis`` console script."""
    ap = build_parser()
    args = ap.parse_args(argv)
    from jarvis.logs import setup_logging

    try:
        if args.command is None:
            from jarvis.commands.core import run_tui

            return run_tui(args)
        setup_logging(args, console=args.verbose)
        return int(args.func(args) or 0)
    except JarvisError as exc:
        return fail(exc)
    except KeyboardInterrupt:
        return fail(Interrupted("interrupted", "the reply so far is saved in the conversation"))
    except BrokenPipeError:  # e.g. `jarvis ask ... | head`
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        return 0


if __name__ == "__main__":
    sys.exit(main())
