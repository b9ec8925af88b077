"""Comfort noise for the echo-cancelled microphone.

While Jarvis speaks, AEC3's suppressor takes the microphone's own noise floor out with the echo
(measured: -60 dBFS of mic noise comes out at -90 dBFS). When Jarvis pauses between sentences the
floor comes back at once, and webrtcvad, whose noise model has adapted to the near-silence, takes
that step for speech: Jarvis would interrupt itself in its own pauses. :class:`ComfortNoise` learns
the floor's level and colour from the raw microphone while nothing plays, and fills a cleaned block
that is quieter than the floor back up to it with noise of that colour, so what the VAD hears
stays level through the pauses. Blocks at or above the floor (the user's voice) pass untouched.
"""

from __future__ import annotations

from collections import deque

import numpy as np

FLOOR_PERCENTILE = 20  # the floor is this percentile of recent quiet blocks' power
FILL_BELOW = 0.5  # fill a cleaned block whose power is under this share of the floor
SILENT = 1e-12  # a block this quiet (-120 dBFS) is digital silence, not a floor


class ComfortNoise:
    """Learns the microphone's noise floor while the speaker is quiet; fills suppressed blocks up to it.

    Args:
        history: how many quiet blocks the floor is taken from.
        seed: of the noise generator (reproducible output).
    """

    def __init__(self, history: int = 200, seed: int = 0) -> None:
        self._powers: deque[float] = deque(maxlen=history)
        self._spectra: dict[int, np.ndarray] = {}  # block length -> mean power spectrum of floor blocks
        self._rng = np.random.default_rng(seed)
        self.floor: float | None = None  # mean power of the noise floor (None until learnt)
        self.filled = 0  # blocks filled so far

    def observe(self, raw: np.ndarray, far_active: bool) -> None:
        """A raw microphone block; only those heard while nothing played teach the floor."""
        if far_active or len(raw) == 0:
            return
        power = float(np.mean(np.square(raw)))
        if power < SILENT:  # digital silence (a stream starting up) is no microphone's floor
            return
        self._powers.append(power)
        self.floor = float(np.percentile(np.fromiter(self._powers, dtype=np.float64), FLOOR_PERCENTILE))
        if power <= 2.0 * self.floor:  # a floor block (not speech): learn its colour
            spectrum = np.abs(np.fft.rfft(raw)) ** 2
            mean = self._spectra.get(len(raw))
            self._spectra[len(raw)] = spectrum if mean is None else 0.95 * mean + 0.05 * spectrum

    def fill(self, out: np.ndarray) -> np.ndarray:
        """``out`` (a cleaned block) filled up to the floor when it is well below it, else ``out`` as is."""
        if self.floor is None or self.floor <= 0 or len(out) == 0:
            return out
        power = float(np.mean(np.square(out)))
        if power >= FILL_BELOW * self.floor:
            return out
        noise = self._noise(len(out))
        have = float(np.mean(np.square(noise)))
        if have <= 0:
            return out
        self.filled += 1
        return (out + noise * np.sqrt((self.floor - power) / have)).astype(np.float32)

    def _noise(self, n: int) -> np.ndarray:
        """White noise of length ``n`` coloured like the floor (white until a floor block of that length was seen)."""
        white = self._rng.standard_normal(n)
        spectrum = self._spectra.get(n)
        if spectrum is None:
            return white.astype(np.float32)
        shaped = np.fft.irfft(np.fft.rfft(white) * np.sqrt(spectrum), n)
        return shaped.astype(np.float32)
