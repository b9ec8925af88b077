"""Double-talk detection: is someone speaking over Jarvis, or is the microphone only hearing its echo?

AEC3 leaks for a moment whenever the echo path jumps (measured on PulseAudio under load: the path
slips by 1 ms and low frequencies come through for about half a second), and such a leak looks like
speech to the VAD. What a leak cannot do is make the *raw* microphone louder than Jarvis's voice
explains. :class:`DoubleTalkDetector` is a Geigel-style detector on block powers: the reference's
power is held as a decaying peak (the room's reverberation: ``rt60_s``), its loudest value over the
last ``window`` blocks (the reference leads, the echo lags) is what may explain the microphone,
the echo return ratio (microphone power over that) is learnt while only the echo is heard, and a
block is double talk when the microphone is ``margin_db`` louder than that ratio allows. When no
echo above the noise floor is expected, there is nothing to confuse.

Measured on the loopback rig (``bench/echo_live.py``'s rig): with an 8 dB margin every user barge-in
was confirmed by the time the VAD started, and none of the VAD starts on leaks was.
"""

from __future__ import annotations

from collections import deque

import numpy as np

MARGIN_DB = 8.0


class DoubleTalkDetector:
    """Block-by-block: does the microphone hold more than Jarvis's echo?

    Args:
        window: reference blocks (the current one and those before it) whose echo may be in a
            microphone block: the reference is taken ahead of the microphone and the echo lags.
        margin_db: how much louder than the echo explains the microphone must be.
        rt60_s: the room's reverberation time (the held reference power falls 60 dB in this long).
        block_s: the length of a block.
        history: echo-only blocks the return ratio is taken from (the median).
    """

    def __init__(
        self, window: int = 7, margin_db: float = MARGIN_DB, rt60_s: float = 0.3, block_s: float = 0.03,
        history: int = 300,
    ) -> None:
        self._held: deque[float] = deque(maxlen=window)
        self._peak = 0.0
        self._decay = 10 ** (-6.0 * block_s / rt60_s)  # power falls 60 dB per rt60
        self._ratios: deque[float] = deque(maxlen=history)
        self.margin = 10 ** (margin_db / 10)
        self.ratio: float | None = None  # echo return ratio (median, echo-only blocks)
        self.excess_db: float | None = None  # the last block: how much louder than the echo explains (dB)

    def update(self, raw_power: float, ref_power: float, floor: float | None) -> bool | None:
        """One block's powers (and the microphone's noise floor, when known).

        Returns True (double talk: someone speaks over the echo), False (the echo explains the
        microphone), or None (no echo above the noise floor is expected: nothing to tell apart).
        """
        self._peak = max(ref_power, self._peak * self._decay)
        self._held.append(self._peak)
        loudest = max(self._held)
        self.excess_db = None
        if loudest <= 1e-12:
            return None
        rho = raw_power / loudest
        if self.ratio is None or len(self._ratios) < 20:  # still learning: count it as echo
            self._learn(rho)
            return None
        if self.ratio * loudest < 2.0 * (floor or 0.0):
            return None
        self.excess_db = 10 * float(np.log10(max(rho, 1e-20) / max(self.ratio, 1e-20)))
        if rho > self.ratio * self.margin:
            return True
        self._learn(rho)
        return False

    def _learn(self, rho: float) -> None:
        self._ratios.append(rho)
        self.ratio = float(np.median(np.fromiter(self._ratios, dtype=np.float64)))
