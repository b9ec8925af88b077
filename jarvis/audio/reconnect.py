"""Waiting for a lost microphone to come back: open it again with back-off until it sends audio.

The VAD thread calls :func:`wait_for_input` after the microphone failed (its ``read`` raised
:class:`~jarvis.errors.AudioDeviceError`: the stream ended, or it stopped sending audio). Each try
closes the device and opens it again, found again by its setting; every ``RESCAN_EVERY``-th try
re-scans the devices first (PortAudio only sees a device plugged in again after a re-scan). A
re-scan reopens the speaker too, so it waits for a try when the speaker is quiet. The device is
back only when it delivers audio, not when it merely opens (a PulseAudio source can open and stay
silent). Between tries ``idle`` runs every ``POLL_S``, so the listening controls keep working.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from jarvis.audio.devices import AudioInput, speakers_idle
from jarvis.errors import AudioDeviceError

log = logging.getLogger(__name__)

BACKOFF_S = (0.25, 0.5, 1.0, 2.0, 4.0)  # wait before each try; then MAX_BACKOFF_S between tries
MAX_BACKOFF_S = 5.0
RESCAN_EVERY = 2  # re-scan the devices on every second try
POLL_S = 0.05


def backoff(attempt: int) -> float:
    """Seconds to wait before try number ``attempt`` (0-based)."""
    return BACKOFF_S[attempt] if attempt < len(BACKOFF_S) else MAX_BACKOFF_S


def wait_for_input(
    source: AudioInput, stop: threading.Event, idle: Callable[[], None] = lambda: None,
) -> tuple[Any, int] | None:
    """Open ``source`` again until it delivers audio.

    Args:
        source: the lost input (its ``reconnects`` is True).
        stop: set to give up (the voice pipeline is closing).
        idle: called about every ``POLL_S`` while waiting (handles listening commands).

    Returns:
        ``(first block, tries)`` once it sends audio again; None when ``stop`` was set first.
    """
    attempt = 0
    since_rescan = 0
    while not stop.is_set():
        deadline = time.monotonic() + backoff(attempt)
        while time.monotonic() < deadline:
            idle()
            if stop.wait(POLL_S):
                return None
        attempt += 1
        since_rescan += 1
        rescan = since_rescan >= RESCAN_EVERY and speakers_idle()
        if rescan:
            since_rescan = 0
        try:
            source.reopen(rescan=rescan)
            while not stop.is_set():  # read raises when no audio comes in its first_block_s
                idle()
                block = source.read(timeout=0.1)
                if block is not None and len(block):
                    return block, attempt
        except AudioDeviceError as exc:
            log.info("microphone not back yet (try %d): %s", attempt, exc.message)
    return None
