"""Acoustic echo cancellation: remove Jarvis's own voice from the microphone with open speakers.

:class:`EchoCanceller` wraps the WebRTC audio processing module (AEC3) shipped in the ``livekit``
real-time SDK (``livekit.rtc.AudioProcessingModule``, Apache-2.0, prebuilt manylinux wheels). It has
a small synchronous API for the capture path:

* :meth:`EchoCanceller.far` -- the samples just handed to the speaker (the reference), any block size;
* :meth:`EchoCanceller.near` -- microphone samples in, echo-cancelled samples out (same length).

Both streams run at the same rate (16 kHz mono by default) and are cut into 10 ms frames inside.
Clock alignment: far frames wait in a FIFO and exactly one is fed to the canceller for every near
frame (silence when none is waiting), so the two streams advance in lock step however the caller
batches them; a fixed speaker->mic delay (configured, or measured by :func:`estimate_delay` on a
probe) is removed by holding the reference back by that much, and AEC3's own delay estimator
tracks what is left. When the library is missing :func:`available` is False and the constructor
raises :class:`~jarvis.errors.MissingDependency`; the caller then keeps muting the microphone while
Jarvis speaks.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from jarvis.errors import AudioFormatError, MissingDependency

FRAME_MS = 10
RATES = (8000, 16000, 32000, 48000)
# AEC3 tracks delays by itself; the configured delay is applied short of the estimate by this much so
# that the reference never arrives after its echo (a causality slip the filter cannot undo)
DELAY_MARGIN_MS = 20


def available() -> bool:
    """True when the WebRTC audio processing module (the ``livekit`` package) can be imported."""
    try:
        from livekit import rtc  # noqa: F401
    except Exception:  # ImportError, or a broken native library
        return False
    return True


def _as_float(block: Any) -> np.ndarray:
    a = np.asarray(block)
    if a.ndim != 1:
        a = a.reshape(-1)
    if a.dtype == np.int16:
        return a.astype(np.float32) / 32768.0
    return a.astype(np.float32, copy=False)


def _like(out: np.ndarray, block: Any) -> np.ndarray:
    if np.asarray(block).dtype == np.int16:
        return (np.clip(out, -1.0, 32767 / 32768) * 32768.0).astype(np.int16)
    return out


def estimate_delay(far: Any, near: Any, sample_rate: int = 16000, max_ms: int = 500) -> tuple[int, float]:
    """Speaker->mic delay in ms by cross-correlating a probe's reference with what the mic heard.

    Uses GCC-PHAT (the cross-spectrum whitened to unit magnitude, so the room's colouring and the
    speech's own spectrum do not smear the peak) over lags 0..``max_ms``. Returns ``(delay_ms,
    confidence)``, the confidence being the peak over the mean absolute correlation (above ~5 is a
    clear peak; near 1 means the mic did not hear the speaker).
    """
    x, y = _as_float(far), _as_float(near)
    n = min(len(x), len(y))
    if n < sample_rate // 10:
        raise AudioFormatError("the delay probe is too short", "play at least 100 ms of sound as the probe")
    x, y = x[:n] - x[:n].mean(), y[:n] - y[:n].mean()
    size = 1 << (2 * n - 1).bit_length()
    cross = np.fft.rfft(y, size) * np.conj(np.fft.rfft(x, size))
    cross /= np.maximum(np.abs(cross), 1e-12)
    corr = np.fft.irfft(cross, size)
    max_lag = min(n - 1, sample_rate * max_ms // 1000)
    window = corr[: max_lag + 1]
    lag = int(np.argmax(window))
    confidence = float(window[lag] / (np.mean(np.abs(window)) + 1e-12))
    return round(lag * 1000 / sample_rate), confidence


class EchoCanceller:
    """WebRTC AEC3 over a far (speaker) and a near (mic) stream, both mono at ``sample_rate``.

    Args:
        sample_rate: of both streams (8, 16, 32 or 48 kHz).
        delay_ms: known speaker->mic delay beyond what the caller's own buffering adds; the reference
            is held back by ``delay_ms - DELAY_MARGIN_MS`` (0 = let AEC3 find it alone).
        noise_suppression, high_pass: the module's other stages (off / on by default: the VAD wants
            the voice as it is, and the high-pass filter removes the DC and rumble AEC3 dislikes).
        max_queue_ms: far audio waiting beyond this is dropped oldest-first (a player that ran ahead).
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        delay_ms: int = 0,
        *,
        noise_suppression: bool = False,
        high_pass: bool = True,
        max_queue_ms: int = 2000,
    ) -> None:
        if sample_rate not in RATES:
            raise AudioFormatError(
                f"echo cancellation cannot work at {sample_rate} Hz", "use 8000, 16000, 32000 or 48000 Hz audio"
            )
        try:
            from livekit import rtc
        except Exception:
            raise MissingDependency(
                "echo cancellation needs the livekit package (WebRTC audio processing)",
                'pip install livekit, or set audio.echo_cancel = "off" (muted while Jarvis speaks)',
            ) from None
        self._rtc = rtc
        self.sample_rate = sample_rate
        self.frame_len = sample_rate * FRAME_MS // 1000
        self._apm = rtc.AudioProcessingModule(
            echo_cancellation=True, noise_suppression=noise_suppression, high_pass_filter=high_pass
        )
        self._far: deque[np.ndarray] = deque()
        self._far_rest = np.zeros(0, np.float32)
        self._near_rest = np.zeros(0, np.float32)
        self._out_rest = np.zeros(0, np.float32)
        self._max_frames = max(1, max_queue_ms // FRAME_MS)
        self._silence = np.zeros(self.frame_len, np.int16)
        self.dropped_frames = 0
        self.delay_ms = 0
        self.set_delay(delay_ms)

    @staticmethod
    def available() -> bool:
        """True when the library is importable (see :func:`available`)."""
        return available()

    def set_delay(self, delay_ms: int) -> None:
        """Hold the reference back by ``delay_ms - DELAY_MARGIN_MS`` from now on."""
        self.delay_ms = max(0, int(delay_ms))
        shift = max(0, self.delay_ms - DELAY_MARGIN_MS) // FRAME_MS
        held = sum(1 for f in self._far if f is self._silence)
        for _ in range(max(0, shift - held)):
            self._far.appendleft(self._silence)

    def far(self, block: Any) -> None:
        """The samples just sent to the speaker (float32 in [-1, 1] or int16, mono)."""
        data = np.concatenate([self._far_rest, _as_float(block)])
        whole = len(data) // self.frame_len * self.frame_len
        for i in range(0, whole, self.frame_len):
            self._far.append(_to_i16(data[i : i + self.frame_len]))
        self._far_rest = data[whole:]
        while len(self._far) > self._max_frames:
            self._far.popleft()
            self.dropped_frames += 1

    def near(self, block: Any) -> Any:
        """Microphone samples in, the same number of echo-cancelled samples out (same dtype).

        Samples are processed in whole 10 ms frames; a block that is not a multiple of 10 ms gets its
        tail from the previous call, so the output lags the input by less than one frame.
        """
        x = _as_float(block)
        data = np.concatenate([self._near_rest, x])
        whole = len(data) // self.frame_len * self.frame_len
        done = [self._out_rest]
        for i in range(0, whole, self.frame_len):
            done.append(self._process(data[i : i + self.frame_len]))
        self._near_rest = data[whole:]
        out = np.concatenate(done)
        if len(out) < len(x):  # a partial frame is waiting: the lag grows to it (never past one frame)
            out = np.concatenate([np.zeros(len(x) - len(out), np.float32), out])
        self._out_rest = out[len(x) :]
        return _like(out[: len(x)], block)

    def _process(self, frame: np.ndarray) -> np.ndarray:
        rtc = self._rtc
        ref = self._far.popleft() if self._far else self._silence
        rev = rtc.AudioFrame(bytearray(ref.tobytes()), self.sample_rate, 1, self.frame_len)
        self._apm.process_reverse_stream(rev)
        cap = rtc.AudioFrame(bytearray(_to_i16(frame).tobytes()), self.sample_rate, 1, self.frame_len)
        self._apm.set_stream_delay_ms(0)
        self._apm.process_stream(cap)
        return np.frombuffer(bytes(cap.data), dtype=np.int16).astype(np.float32) / 32768.0

    def reset_far(self) -> None:
        """Forget queued reference audio (playback was cleared by a barge-in); keeps the delay hold."""
        self._far.clear()
        self._far_rest = np.zeros(0, np.float32)
        self.set_delay(self.delay_ms)

    def close(self) -> None:
        """Release the native module."""
        self._apm = None  # type: ignore[assignment]
        self._far.clear()


def _to_i16(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, -1.0, 32767 / 32768) * 32768.0).astype(np.int16)
