"""Command line: ``jarvis`` (the TUI) and the headless sub-commands.

Every expected failure is a :class:`JarvisError`: printed as ``error: ...`` / ``hint: ...`` on
stderr, exit status 2, no traceback; a bad command line, and a path the system refuses (OSError:
too long, no permission, disk full), are printed the same way. An unexpected
exception (a bug) is written with its traceback to the log file and reported in the same two lines
with exit status 70 (``-v`` shows the traceback). Commands that print results take ``--json``.
Each module in :data:`COMMAND_MODULES` adds its sub-commands through ``register(subparsers)``; a
handler is ``func(args) -> int``. Jarvis itself is built by :mod:`jarvis.assembly`.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from typing import NoReturn

from jarvis.commands import core, enrol, memory, routing, tools, voice, wake
from jarvis.errors import Interrupted, JarvisError

COMMAND_MODULES = (core, memory, routing, tools, voice, wake, enrol)
EXIT_BUG = 70  # EX_SOFTWARE: an unexpected exception, not something the user did

log = logging.getLogger(__name__)


class Parser(argparse.ArgumentParser):
    """argparse with Jarvis's error format: ``error: ...`` and ``hint: ...`` on stderr, exit 2."""

    def error(self, message: str) -> NoReturn:
        """Report a bad command line (the sub-parsers are of this class too)."""
        sys.stderr.write(f"error: {' '.join(message.split())}\nhint: see `{self.prog} --help`\n")
        sys.stderr.flush()
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (core options plus every feature's sub-commands)."""
    ap = Parser(prog="jarvis", description="Local-first voice assistant in your terminal.")
    ap.add_argument("--config", help="config file (default: $JARVIS_CONFIG or the repository's config.toml)")
    ap.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    ap.add_argument("--resume", action="store_true", help="continue the last conversation")
    ap.add_argument("--model", help="force this model (skip routing)")
    ap.add_argument("--profile", help="use this [[profiles]] entry of config.toml (an assistant or a tutor)")
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
    """Entry point of the ``jarvis`` console script; returns the exit status."""
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 is shown escaped, not a crash
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):  # not a text stream we may change
            pass
    ap = build_parser()
    try:
        args = ap.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a bad command line (2, already reported)
        return exc.code if isinstance(exc.code, int) else 0
    from jarvis.logs import setup_logging

    try:
        if args.command is None:
            return core.run_tui(args)
        setup_logging(args, console=args.verbose, notices=True)
        return int(args.func(args) or 0)
    except JarvisError as exc:
        return fail(exc)
    except KeyboardInterrupt:
        return fail(Interrupted("interrupted", "the reply so far is saved in the conversation"))
    except BrokenPipeError:  # e.g. `jarvis ask ... | head`
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        return 0
    except OSError as exc:  # the system refused a path the user gave (too long, no permission, disk full)
        log.warning("system error", exc_info=exc)
        where = f": {exc.filename}" if exc.filename else ""
        return fail(JarvisError(f"{exc.strerror or exc}{where}", "check the path, its permissions and free disk space"))
    except Exception as exc:
        if args.verbose:
            raise
        return bug(exc)


def bug(exc: Exception) -> int:
    """An unexpected exception: its traceback goes to the log file, two lines to stderr, status 70."""
    log.error("unexpected error", exc_info=exc)
    from jarvis.logs import default_log_file

    where = next(
        (h.baseFilename for h in logging.getLogger().handlers if isinstance(h, logging.FileHandler)),
        str(default_log_file(None)),
    )
    what = f"unexpected error: {type(exc).__name__}: {exc}"[:300]
    fail(JarvisError(what, f"this is a bug; the traceback is in {where}"))
    return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
