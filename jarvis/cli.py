"""Command line: ``jarvis`` (the TUI) and the headless sub-commands.

Every expected failure is a :class:`JarvisError`: printed as ``error: ...`` / ``hint: ...`` on
stderr, exit status 2, no traceback. Commands that print results take ``--json``.
Each module in :data:`COMMAND_MODULES` adds its sub-commands through ``register(subparsers)``; a
handler is ``func(args) -> int``. Jarvis itself is built by :mod:`jarvis.assembly`.
"""

from __future__ import annotations

import argparse
import signal
import sys

from jarvis.commands import core, memory, routing, voice
from jarvis.errors import Interrupted, JarvisError

COMMAND_MODULES = (core, memory, routing, voice)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (core options plus every feature's sub-commands)."""
    ap = argparse.ArgumentParser(prog="jarvis", description="Local-first voice assistant in your terminal.")
    ap.add_argument("--config", help="config file (default: $JARVIS_CONFIG or the repository's config.toml)")
    ap.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    ap.add_argument("--resume", action="store_true", help="continue the last conversation")
    ap.add_argument("--model", help="force this model (skip routing)")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return ap


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
            return core.run_tui(args)
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
