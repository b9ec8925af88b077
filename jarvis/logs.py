"""Logging: a rotating file (path shown by ``jarvis doctor``); ``-v`` adds debug on stderr.

Nothing is ever written over the TUI: in the TUI only the file handler exists. API keys are
scrubbed from every record.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import re
from pathlib import Path

from jarvis.config import Settings

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


def default_log_file(settings: Settings | None) -> Path:
    """The log file for these settings (or the default data dir when settings are unknown)."""
    if settings is not None:
        return settings.general.log_file
    return Path("~/.local/share/jarvis/logs/jarvis.log").expanduser()


def setup_logging(
    args: argparse.Namespace | None = None, console: bool = False, settings: Settings | None = None
) -> Path:
    """Configure the root logger once: rotating file (+ stderr when ``console``); returns the file."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_jarvis", False):
            root.removeHandler(h)
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
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups))
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
    for noisy in ("httpx", "httpcore", "urllib3", "chromadb", "asyncio", "markdown_it"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    return path
