"""Where Jarvis's echo sits in the microphone, relative to what the device clocks predict (GCC-PHAT).

:class:`DelayTracker` keeps the last seconds of raw microphone blocks with their capture times and,
while Jarvis speaks (at the start of each stretch of speech, then every ``every_s`` of it),
cross-correlates them with what the speaker played around those times
(:func:`~jarvis.audio.echo_cancel.estimate_delay`). The echo-cancelled microphone
(:mod:`jarvis.audio.echo_input`) re-aims its reference when the result says the echo would
otherwise come before the reference or too long after it.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from jarvis.audio.echo_cancel import estimate_delay
from jarvis.audio.echo_reference import EchoReference

SEARCH_AHEAD_MS = 150  # the search covers echoes up to this much *before* the clocks say ...
SEARCH_MAX_MS = 500  # ... and up to this much after
ACTIVE_RMS = 10 ** (-50 / 20)  # a reference quieter than -50 dBFS holds no speech to correlate


class DelayTracker:
    """Finds where Jarvis's echo sits in the raw mic, relative to what the clocks predict.

    Args:
        rate: of both streams.
        window_s: how much speech is correlated at once.
        every_s: while Jarvis keeps speaking, measure again after this much more speech.
        quiet_s: this much silence from the speaker starts a new stretch (measured at its start).
    """

    def __init__(self, rate: int, window_s: float = 2.0, every_s: float = 5.0, quiet_s: float = 1.0) -> None:
        self.rate = rate
        self.window = int(window_s * rate)
        self.every = int(every_s * rate)
        self.quiet = int(quiet_s * rate)
        self._blocks: deque[tuple[np.ndarray, float]] = deque()  # (raw block, its capture time)
        self._kept = 0
        self._keep = self.window + rate  # samples of history
        self._active_since_estimate = 0
        self._quiet_run = self.quiet  # the speaker was quiet before we started
        self._measured_this_stretch = False

    def add(self, raw: np.ndarray, t: float, active: bool) -> None:
        """One mic block (before cancelling), the device time it was captured at, far activity."""
        self._blocks.append((raw, t))
        self._kept += len(raw)
        while self._kept - len(self._blocks[0][0]) >= self._keep:
            self._kept -= len(self._blocks.popleft()[0])
        if active:
            if self._quiet_run >= self.quiet:
                self._measured_this_stretch = False
            self._quiet_run = 0
            self._active_since_estimate += len(raw)
        else:
            self._quiet_run += len(raw)

    def forget(self) -> None:
        """Drop the history (the microphone's clock restarted)."""
        self._blocks.clear()
        self._kept = 0

    def due(self) -> bool:
        """True when a measurement is worth doing now (enough speech since the last one)."""
        if self._active_since_estimate < self.rate:
            return False
        return not self._measured_this_stretch or self._active_since_estimate >= self.every

    def estimate(self, reference: EchoReference) -> tuple[float, float] | None:
        """``(delay_ms, confidence)``: what played at ``t - delay`` is heard in the mic at ``t``.

        None when too little of the window holds played audio yet (then it is tried again after
        another half second of speech).
        """
        self._active_since_estimate = self.rate // 2
        until = reference.played_until
        if until is None:
            return None
        ahead = SEARCH_AHEAD_MS / 1000
        near, far, total = [], [], 0
        for raw, t in reversed(self._blocks):  # the newest window whose reference has been played
            if t + ahead + len(raw) / self.rate > until:
                continue
            near.append(raw)
            far.append(reference.aligned(t + ahead, len(raw)))
            total += len(raw)
            if total >= self.window:
                break
        if total < self.rate:
            return None
        x, y = np.concatenate(far[::-1]), np.concatenate(near[::-1])
        if float(np.sqrt(np.mean(np.square(x)))) < ACTIVE_RMS:
            return None
        self._active_since_estimate = 0
        self._measured_this_stretch = True
        lag_ms, confidence = estimate_delay(x, y, self.rate, max_ms=SEARCH_AHEAD_MS + SEARCH_MAX_MS)
        if lag_ms <= 0 or lag_ms >= SEARCH_AHEAD_MS + SEARCH_MAX_MS:  # a peak at the edge: no clear echo
            return float(lag_ms - SEARCH_AHEAD_MS), 0.0
        return float(lag_ms - SEARCH_AHEAD_MS), confidence
