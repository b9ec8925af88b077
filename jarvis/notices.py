"""Notices: things a user should know that are not errors (a question cut to fit, a file skipped).

The core calls :func:`notice`; the message goes to the ``jarvis.notice`` logger, which the log file
records and which the headless commands print on stderr as ``note: ...`` (see
:func:`jarvis.logs.setup_logging`). Stdlib only; nothing here knows about the CLI or the TUI.
"""

from __future__ import annotations

import logging

LOGGER_NAME = "jarvis.notice"
_log = logging.getLogger(LOGGER_NAME)


def notice(text: str) -> None:
    """Tell the user ``text`` (one line) without stopping anything."""
    _log.warning(" ".join(text.split()))
