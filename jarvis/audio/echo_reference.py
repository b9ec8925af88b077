"""The far end of echo cancellation: what the speaker played, placed on the device clock.

The speaker's PortAudio callback hands every block it writes (at the device rate, after the
player's resampling) with its DAC time to :meth:`EchoReference.push`, which only appends to a
bounded deque. The capture thread calls :meth:`EchoReference.drain`: blocks are resampled to the
capture rate into a ring buffer, and the time each one plays at is learnt. The capture side then
asks :meth:`EchoReference.aligned` for what played at the device time its own block was captured.

Clocks (measured on PulseAudio's ALSA plugin): a speaker's DAC times are clean, but every output
underrun (a late callback on a busy CPU) shifts the rest of the stream later by the silence the
device played meanwhile. So the played audio is kept as *spans*: a new span starts where the
blocks' epoch (``time - index / rate``) steps by more than ``STEP_S`` for ``CONFIRM`` blocks in a
row; a time that falls between two spans was silence. A microphone's ADC times jitter by several
ms from block to block, so :class:`StreamClock` smooths them (a trimmed mean over many blocks,
applied with some slack).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

STEP_S = 0.004  # an epoch this far from its span's starts a new span ...
CONFIRM = 3  # ... when this many blocks in a row agree on it (within STEP_S / 2)
# a clock estimate is applied only when it moved more than this: every move of the alignment, even
# by 1-3 ms, makes AEC3 leak echo for up to a second while it re-converges (measured), and block
# time stamps jitter by several ms
SLACK_S = 0.015


class StreamClock:
    """A continuous stream's clock: the device time of its sample 0, from per-block timestamps.

    Each block gives ``time - index / rate`` (the stream's epoch). The estimate is the mean of the
    middle half of the latest ``window`` epochs (robust to the wrong stamps PortAudio gives while a
    stream starts, and to jitter), and the applied :attr:`epoch` only moves when the estimate has
    moved more than ``slack_s`` (so the alignment does not twitch). Times of 0 or less are ignored.
    """

    def __init__(self, rate: int, window: int = 200, slack_s: float = SLACK_S) -> None:
        self.rate = rate
        self.slack_s = slack_s
        self._epochs: deque[float] = deque(maxlen=window)
        self._applied: float | None = None
        self.moves = 0  # times the applied epoch moved (after the first)

    def add(self, index: int, time: float | None) -> None:
        """Block starting at stream sample ``index`` was played / captured at device ``time`` (s)."""
        if time is None or time <= 0:
            return
        self._epochs.append(time - index / self.rate)
        estimate = self.estimate()
        if self._applied is None:
            self._applied = estimate
        elif estimate is not None and abs(estimate - self._applied) > self.slack_s:
            self._applied = estimate
            self.moves += 1

    def estimate(self) -> float | None:
        """The smoothed epoch right now (None before any stamped block)."""
        if not self._epochs:
            return None
        e = np.sort(np.fromiter(self._epochs, dtype=np.float64))
        q = len(e) // 4
        return float(e[q : len(e) - q].mean()) if len(e) > 3 else float(np.median(e))

    @property
    def epoch(self) -> float | None:
        """Device time of sample 0 as applied (None until a block was stamped)."""
        return self._applied

    def reset(self) -> None:
        """Forget everything (the stream restarted or lost samples)."""
        self._epochs.clear()
        self._applied = None


@dataclass
class _Span:
    """Far samples from ``first`` on (capture-rate index), played without a gap: k at ``epoch + k / rate``."""

    first: int
    clock: StreamClock
    pending: list[tuple[int, float]] = field(default_factory=list)  # (index, epoch) of blocks off this span's clock


class EchoReference:
    """What the speaker played, at the capture rate, addressable by device time.

    Args:
        output_rate: the speaker's rate (the blocks pushed).
        rate: the capture rate (what :meth:`aligned` hands out).
        seconds: how much played audio is kept.
        max_blocks: pushed blocks waiting for :meth:`drain` beyond this are dropped (oldest first).
    """

    def __init__(self, output_rate: int, rate: int, seconds: float = 8.0, max_blocks: int = 1000) -> None:
        self.rate = rate
        self._pending: deque[tuple[float, Any]] = deque(maxlen=max_blocks)
        self._ring = np.zeros(int(seconds * rate), np.float32)
        self.end = 0  # far samples written so far, at the capture rate
        self._pushed = 0  # far samples drained so far, at the speaker's rate (exact: the resampler's
        # output comes in bursts, so block times are placed by this count)
        self._spans: list[_Span] = []
        self._lock = threading.Lock()  # drain/aligned may come from two threads (tests, bench)
        self._resampler: Any = None
        self.set_output_rate(output_rate)

    def set_output_rate(self, output_rate: int) -> None:
        """The speaker's rate (set before anything is pushed: the speaker opens after the microphone)."""
        self.output_rate = output_rate
        self._resampler = None
        if output_rate != self.rate:
            import soxr

            self._resampler = soxr.ResampleStream(output_rate, self.rate, 1, dtype="float32")

    # ------------------------------------------------------------------ the speaker's callback
    def push(self, block: Any, dac_time: float | None) -> None:
        """The block just written to the speaker and the device time its first sample plays at.

        Called from the PortAudio callback: an append to a bounded deque, nothing else.
        """
        self._pending.append((dac_time or 0.0, block))

    # ------------------------------------------------------------------ the capture thread
    @property
    def spans(self) -> int:
        """How many continuous stretches the played audio came in so far (1 + output underruns seen)."""
        return len(self._spans)

    def drain(self) -> None:
        """Move the pushed blocks into the ring (resampled to the capture rate) and onto the clock."""
        with self._lock:
            while self._pending:
                t, block = self._pending.popleft()
                data = np.asarray(block, dtype=np.float32).reshape(-1)
                if t > 0:  # where this block's first sample lands at the capture rate
                    self._place(round(self._pushed * self.rate / self.output_rate), t)
                self._pushed += len(data)
                if self._resampler is not None:
                    data = self._resampler.resample_chunk(data)
                self._write(data)

    def _place(self, index: int, t: float) -> None:
        """Put the block starting at capture-rate ``index``, played at ``t``, on its span's clock."""
        epoch = t - index / self.rate
        span = self._spans[-1] if self._spans else None
        if span is None:
            self._spans.append(_Span(index, StreamClock(self.rate, window=32, slack_s=SLACK_S)))
            self._spans[-1].clock.add(index, t)
            return
        current = span.clock.estimate()
        if current is None or abs(epoch - current) <= STEP_S:
            span.pending.clear()  # a stray stamp, not a step
            span.clock.add(index, t)
            return
        span.pending.append((index, epoch))
        first = span.pending[0][1]
        if any(abs(e - first) > STEP_S / 2 for _, e in span.pending):
            span.pending[:] = span.pending[-1:]
        if len(span.pending) >= CONFIRM:  # the stream really moved (an underrun): a new span
            new = _Span(span.pending[0][0], StreamClock(self.rate, window=32, slack_s=SLACK_S))
            for i, e in span.pending:
                new.clock.add(i, e + i / self.rate)
            span.pending.clear()
            self._spans.append(new)
            oldest = self.end - len(self._ring)
            while len(self._spans) > 2 and self._spans[1].first <= oldest:
                self._spans.pop(0)

    def _write(self, data: np.ndarray) -> None:
        size = len(self._ring)
        skip = max(0, len(data) - size)  # more than the ring holds: keep the newest part
        self.end += skip
        data = data[skip:]
        n = len(data)
        at = self.end % size
        first = min(n, size - at)
        self._ring[at : at + first] = data[:first]
        self._ring[: n - first] = data[first:]
        self.end += n

    @property
    def played_until(self) -> float | None:
        """Device time at which the last far sample kept ends (None before any stamped block)."""
        with self._lock:
            if not self._spans or self._spans[-1].clock.epoch is None:
                return None
            return self._spans[-1].clock.epoch + self.end / self.rate  # type: ignore[operator]

    def aligned(self, t: float, n: int) -> np.ndarray:
        """``n`` capture-rate samples of what played from device time ``t`` on (silence where nothing did)."""
        with self._lock:
            span, limit = None, self.end
            for i in range(len(self._spans) - 1, -1, -1):
                s = self._spans[i]
                if s.clock.epoch is not None and s.clock.epoch + s.first / self.rate <= t:
                    span = s
                    if i + 1 < len(self._spans):
                        limit = self._spans[i + 1].first
                    break
            if span is None:
                return np.zeros(n, np.float32)
            start = round((t - span.clock.epoch) * self.rate)  # type: ignore[operator]
            out = self._segment(start, n)
            if start + n > limit:  # past this span's end: the device played silence until the next one
                out[max(0, limit - start) :] = 0.0
            return out

    def segment(self, start: int, n: int) -> np.ndarray:
        """Far samples ``[start, start + n)`` by index (silence where none are kept)."""
        with self._lock:
            return self._segment(start, n)

    def _segment(self, start: int, n: int) -> np.ndarray:
        out = np.zeros(n, np.float32)
        size = len(self._ring)
        lo, hi = max(start, self.end - size, 0), min(start + n, self.end)
        if hi <= lo:
            return out
        a, b = lo % size, (hi - 1) % size + 1
        if a < b:
            out[lo - start : hi - start] = self._ring[a:b]
        else:
            first = size - a
            out[lo - start : lo - start + first] = self._ring[a:]
            out[lo - start + first : hi - start] = self._ring[:b]
        return out
