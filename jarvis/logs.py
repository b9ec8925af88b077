"""Logging: a rotating file (path shown by ``jarvis doctor``); ``-v`` adds debug on stderr.

Nothing is ever written over the TUI: in the TUI only the file handler exists. API keys are
scrubbed from every record. The log file is private (0600 in a 0700 folder, see :mod:`jarvis.private`).
Headless commands print :mod:`jarvis.notices` on stderr as ``note: ...``.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import re
import sys
from pathlib import Path
from typing import IO

from jarvis.config import Settings
from jarvis.notices import LOGGER_NAME as NOTICE_LOGGER
from jarvis.private import open_private, private_dir

_SECRET = re.compile(r"(sk-[A-Za-z0-9_\-]{8,}|sk-ant-[A-Za-z0-9_\-]{8,}|(?i:bearer)\s+[A-Za-z0-9._\-]{8,})")


def scrub(text: str) -> str:
    """Replace anything shaped like an API key or bearer token with ``[redacted]``."""
    out = _SECRET.sub("[redacted]", text)
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        value = os.environ.get(var)
        if value and len(value) >= 8:
            out = out.replace(value, "[redacted]")
    return out


class ScrubFilter(logging.Filter):
    """Removes secrets from log records before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = scrub(msg)
        if clean != msg:
            record.msg, record.args = clean, ()
        return True


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file that only its owner can read (each new file is created 0600)."""

    def _open(self) -> IO[str]:
        return open_private(Path(self.baseFilename), "a")


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes (it may be swapped after set-up)."""

    @property  # type: ignore[override]
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass


def default_log_file(settings: Settings | None) -> Path:
    """The log file for these settings (or the default data dir when settings are unknown)."""
    if settings is not None:
        return settings.general.log_file
    return Path("~/.local/share/jarvis/logs/jarvis.log").expanduser()


def setup_logging(
    args: argparse.Namespace | None = None, console: bool = False, settings: Settings | None = None,
    notices: bool = False,
) -> Path:
    """Configure the root logger once: rotating file (+ stderr when ``console``); returns the file.

    ``notices``: print :mod:`jarvis.notices` on stderr as ``note: ...`` (headless commands; with
    ``console`` they are on stderr already).
    """
    root = logging.getLogger()
    notice_log = logging.getLogger(NOTICE_LOGGER)
    for logger in (root, notice_log):
        for h in list(logger.handlers):
            if getattr(h, "_jarvis", False):
                logger.removeHandler(h)
                h.close()
    if settings is None and args is not None:
        try:
            from jarvis.config import load_settings

            settings = load_settings(getattr(args, "config", None))
        except Exception:
            settings = None
    path = default_log_file(settings)
    level = logging.INFO
    max_bytes, backups = 1_000_000, 3
    if settings is not None:
        level = getattr(logging, settings.general.log_level.upper())
        max_bytes, backups = settings.general.log_max_bytes, settings.general.log_backups
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = []
    try:
        private_dir(path.parent)
        handlers.append(PrivateRotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups))
    except OSError:
        pass
    if console:
        level = logging.DEBUG
        handlers.append(logging.StreamHandler())
    for h in handlers:
        h.setFormatter(fmt)
        h.addFilter(ScrubFilter())
        h._jarvis = True  # type: ignore[attr-defined]
        root.addHandler(h)
    root.setLevel(level)
    notice_log.setLevel(logging.WARNING)  # a notice is never filtered out by log_level
    if notices and not console:
        to_stderr = StderrHandler()
        to_stderr.setFormatter(logging.Formatter("note: %(message)s"))
        to_stderr.addFilter(ScrubFilter())
        to_stderr._jarvis = True  # type: ignore[attr-defined]
        notice_log.addHandler(to_stderr)
    for noisy in ("httpx", "httpcore", "urllib3", "chromadb", "asyncio", "markdown_it"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    return path
