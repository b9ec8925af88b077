"""Audio devices: sounddevice microphones/speakers chosen by name or index, and WAV-file stand-ins.

Inputs (:class:`AudioInput`) hand out float32 mono blocks at ``sample_rate`` from :meth:`read`.
Outputs (:class:`AudioOutput`) pull float32 mono frames at ``sample_rate`` from a ``pull(frames)``
function (the playback buffer) for as long as they run. PortAudio callbacks only copy into or out
of memory: the input callback does ``put_nowait`` into a bounded queue and counts drops.
sounddevice is imported inside the functions that need it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jarvis.errors import AudioDeviceError

log = logging.getLogger(__name__)

OUTPUT_RATE = 24000
Pull = Callable[[int], Any]  # frames -> float32 array of exactly that many frames


def _sd() -> Any:
    try:
        import sounddevice as sd
    except OSError as exc:  # the PortAudio library itself is missing
        raise AudioDeviceError(
            f"PortAudio is not available: {exc}", "install it: sudo apt install libportaudio2"
        ) from None
    return sd


# Open sounddevice streams (speakers, microphones): PortAudio closes them all when it re-scans.
_OPEN: weakref.WeakSet = weakref.WeakSet()
_RESCAN = threading.RLock()


def refresh_devices() -> None:
    """Re-scan the audio devices (PortAudio only looks once, when it starts).

    Stopping PortAudio closes every stream, so the open speakers and microphones are paused around
    the re-scan and opened again after it (one that is gone then says so: a speaker sets ``error``,
    a microphone raises from ``read``).
    """
    sd = _sd()
    with _RESCAN:
        paused = [dev for dev in list(_OPEN) if dev._pause()]
        try:
            try:
                sd._terminate()
            finally:
                sd._initialize()
        except Exception as exc:  # PortAudioError: PortAudio could not start again
            raise AudioDeviceError(f"cannot re-scan the audio devices: {exc}", "check the sound system") from None
        finally:
            for dev in paused:
                dev._resume()


def speakers_idle(quiet_s: float = 1.0) -> bool:
    """True when no open speaker played sound in the last ``quiet_s`` seconds.

    A re-scan reopens the speakers, and a stream that has just been opened swallows its first
    second or so (PulseAudio's ALSA plugin): re-scan only while nothing is being said.
    """
    now = time.monotonic()
    return all(now - dev.last_sound >= quiet_s for dev in list(_OPEN) if isinstance(dev, SoundDeviceOutput))


def list_devices(kind: str | None = None) -> list[dict]:
    """Every audio device (or only ``kind`` = "input"/"output"): index, name, channels, default rate."""
    sd = _sd()
    try:
        devices = sd.query_devices()
        default_in, default_out = sd.default.device
    except Exception as exc:  # PortAudioError
        raise AudioDeviceError(f"cannot list audio devices: {exc}", "check the sound system") from None
    out = []
    for d in devices:
        row = {
            "index": d["index"],
            "name": d["name"],
            "inputs": d["max_input_channels"],
            "outputs": d["max_output_channels"],
            "default_rate": d["default_samplerate"],
            "default_input": d["index"] == default_in,
            "default_output": d["index"] == default_out,
        }
        if kind == "input" and not row["inputs"] or kind == "output" and not row["outputs"]:
            continue
        out.append(row)
    return out


def _available(kind: str) -> str:
    rows = list_devices(kind)
    if not rows:
        return f"there is no {kind} device at all"
    return f"available {kind} devices: " + ", ".join(f"{r['index']} '{r['name']}'" for r in rows)


def find_device(spec: str | int | None, kind: str) -> int:
    """The index of the ``kind`` ("input"/"output") device named or numbered by ``spec``.

    ``None`` or "" means the system default. A name matches exactly (case-insensitive) first, then
    as a substring. Raises :class:`AudioDeviceError` listing the available devices.
    """
    key = "inputs" if kind == "input" else "outputs"
    rows = list_devices(kind)
    setting = f"audio.{kind}_device"
    if not rows:
        raise AudioDeviceError(
            f"no audio {kind} device found", "connect one (or start PulseAudio); keyboard chat still works"
        )
    if spec is None or spec == "":
        for r in rows:
            if r[f"default_{kind}"]:
                return r["index"]
        return rows[0]["index"]
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        idx = int(spec)
        for r in rows:
            if r["index"] == idx and r[key] > 0:
                return idx
        raise AudioDeviceError(f"no {kind} device with index {idx}", f"{_available(kind)}; set {setting}")
    name = str(spec).strip().lower()
    exact = [r for r in rows if r["name"].lower() == name]
    near = exact or [r for r in rows if name in r["name"].lower()]
    if near:
        return near[0]["index"]
    raise AudioDeviceError(f"no {kind} device named '{spec}'", f"{_available(kind)}; set {setting}")


# ---------------------------------------------------------------------------------------- inputs
class AudioInput(ABC):
    """A source of float32 mono blocks at :attr:`sample_rate` (a microphone or a WAV file)."""

    name = "input"
    sample_rate: int = 16000
    block_frames: int = 480
    drops: int = 0
    # device time (PortAudio's stream clock) at which the first sample of the block last read was
    # captured; None when the input has no clock (a WAV file). Echo cancellation aligns with it.
    block_time: float | None = None
    live = False  # a real microphone (its sound can hold Jarvis's echo)

    @abstractmethod
    def start(self) -> None:
        """Begin capturing."""

    @abstractmethod
    def read(self, timeout: float = 0.1) -> Any | None:
        """The next block, or ``None`` when none came within ``timeout`` (or the input ended).

        Raises:
            AudioDeviceError: the device went away while capturing.
        """

    @property
    def ended(self) -> bool:
        """True when a finite input (a file) has given all its audio."""
        return False

    reconnects = False  # True: after an AudioDeviceError from read, reopen() may bring it back

    def reopen(self, rescan: bool = False) -> None:
        """Open the device again after it was lost (re-scanning the devices first when ``rescan``).

        Raises:
            AudioDeviceError: it is still not there (or this input cannot be opened again).
        """
        raise AudioDeviceError(f"the input '{self.name}' cannot be opened again", "start listening again")

    @abstractmethod
    def close(self) -> None:
        """Stop capturing and free the device."""


def _find_again(spec: str | int | None, kind: str, rescan: bool) -> tuple[int, str]:
    """(index, name) of the device set as ``spec``, found again after it was lost; with ``rescan``
    the device list is read afresh first. Raises AudioDeviceError when it is not there."""
    if rescan:
        refresh_devices()
    index = find_device(spec, kind)
    return index, _sd().query_devices(index)["name"]


def _close_stream(stream: Any, what: str) -> None:
    """Stop and close a PortAudio stream; a device that is already gone is not an error."""
    if stream is None:
        return
    try:
        stream.stop()
        stream.close()
    except Exception:
        log.debug("closing %s stream failed", what, exc_info=True)


class SoundDeviceInput(AudioInput):
    """A microphone through sounddevice; the callback only copies into a bounded queue."""

    live = True

    reconnects = True
    stall_s = 2.0  # a running stream that sends nothing for this long has lost its device ...
    first_block_s = 6.0  # ... or this long after it was opened (PulseAudio's ALSA plugin takes ~2 s)

    def __init__(
        self, device: str | int | None = None, sample_rate: int = 16000, block_ms: int = 30,
        queue_blocks: int = 200,
    ) -> None:
        self.spec = device  # how the device was asked for: found again by it after a loss
        self.sample_rate = sample_rate
        self.block_frames = sample_rate * block_ms // 1000
        self.index = find_device(device, "input")
        self.name = _sd().query_devices(self.index)["name"]
        self.drops = 0
        self.overflows = 0  # blocks the device itself lost (PortAudio input overflow)
        self._q: queue.Queue = queue.Queue(maxsize=queue_blocks)
        self._stream: Any = None
        self._lost = threading.Event()
        self._resampler: Any = None
        self._opened_at = 0.0
        self._last_block: float | None = None  # when the callback last delivered (monotonic)
        self._dead: str | None = None  # set when a device re-scan could not open it again

    def _callbacks(self) -> tuple[Callable[..., None], Callable[[], None]]:
        """The audio and finished callbacks of one stream (a closed stream's late calls are ignored)."""
        lost = self._lost = threading.Event()

        def callback(indata: Any, frames: int, time_info: Any, status: Any) -> None:
            self._last_block = time.monotonic()
            if status.input_overflow:  # the device lost samples before this block
                self.overflows += 1
            try:
                self._q.put_nowait((indata.copy(), time_info.inputBufferAdcTime or time_info.currentTime))
            except queue.Full:
                self.drops += 1

        return callback, lost.set

    def start(self) -> None:
        """Open the stream (at the wanted rate, else the device's own rate, resampled here)."""
        sd = _sd()
        info = sd.query_devices(self.index)
        channels = 1 if info["max_input_channels"] >= 1 else 0
        attempts = [(self.sample_rate, channels), (int(info["default_samplerate"]), channels),
                    (int(info["default_samplerate"]), min(2, info["max_input_channels"]))]
        last: Exception | None = None
        for rate, ch in attempts:
            stream = None
            try:
                blocksize = rate * self.block_frames // self.sample_rate
                callback, finished = self._callbacks()
                self._last_block, self._opened_at = None, time.monotonic()
                stream = sd.InputStream(
                    device=self.index, samplerate=rate, channels=ch, dtype="float32",
                    blocksize=blocksize, callback=callback, finished_callback=finished,
                )
                stream.start()
                self._resampler = None
                if rate != self.sample_rate:
                    import soxr

                    self._resampler = soxr.ResampleStream(rate, self.sample_rate, 1, dtype="float32")
                self._stream, self._dead = stream, None
                _OPEN.add(self)
                return
            except Exception as exc:  # PortAudioError: rate/channels not supported
                last = exc
                _close_stream(stream, "input")
        raise AudioDeviceError(
            f"cannot open microphone '{self.name}': {last}", f"{_available('input')}; set audio.input_device"
        )

    def _gone(self) -> str | None:
        """Why the open stream has lost its device, or None while it is fine (or closed)."""
        if self._dead is not None:
            return self._dead
        stream = self._stream
        if stream is None:
            return None
        if self._lost.is_set() or not stream.active:
            return "stopped delivering audio (unplugged?)"
        last = self._last_block
        quiet = time.monotonic() - (self._opened_at if last is None else last)
        limit = self.first_block_s if last is None else self.stall_s
        if quiet > limit:
            return f"sent no audio for {quiet:.0f} s (unplugged?)"
        return None

    def read(self, timeout: float = 0.1) -> Any | None:
        """The next block (float32 mono), ``None`` on timeout; AudioDeviceError when the device died
        (the stream ended, or a running stream stopped sending audio)."""
        try:
            block, self.block_time = self._q.get(timeout=timeout)
        except queue.Empty:
            why = self._gone()
            if why is not None:
                raise AudioDeviceError(
                    f"the microphone '{self.name}' {why}",
                    "reconnect it (Jarvis listens again when it is back); keyboard chat still works",
                ) from None
            return None
        mono = block.mean(axis=1) if block.ndim == 2 and block.shape[1] > 1 else block.reshape(-1)
        if self._resampler is not None:
            mono = self._resampler.resample_chunk(mono)
        return mono

    def reopen(self, rescan: bool = False) -> None:
        """Close the stream and open the device again, found again by its setting (``audio.input_device``).

        With ``rescan`` the device list is read afresh first (a device plugged in again gets a new
        index; open speakers are paused for it). Audio still queued from before is dropped.

        Raises:
            AudioDeviceError: the device is not there (yet), or cannot be opened.
        """
        self.close()
        self.index, self.name = _find_again(self.spec, "input", rescan)
        while True:
            try:
                self._q.get_nowait()
            except queue.Empty:
                break
        self.start()

    def _pause(self) -> bool:
        """Close the stream for a device re-scan; True when it was open."""
        if self._stream is None:
            return False
        self.close()
        return True

    def _resume(self) -> None:
        """Open again after a re-scan; when that fails, ``read`` reports the device lost."""
        try:
            self.index = find_device(self.spec, "input")
            self.start()
        except AudioDeviceError:
            log.info("microphone '%s' did not come back after a device re-scan", self.name)
            self._dead = "was not found again after the devices were re-scanned"

    def close(self) -> None:
        """Stop and close the stream."""
        stream, self._stream = self._stream, None
        _OPEN.discard(self)
        _close_stream(stream, "input")


class WavFileInput(AudioInput):
    """A WAV file replayed as a microphone: at real time, or as fast as it is read."""

    def __init__(
        self, path: str | Path, sample_rate: int = 16000, block_ms: int = 30, realtime: bool = True,
        pad_s: float = 0.0,
    ) -> None:
        import numpy as np

        from jarvis.audio.wavio import read_wav

        self.name = Path(path).name
        self.sample_rate = sample_rate
        self.block_frames = sample_rate * block_ms // 1000
        self.realtime = realtime
        audio = read_wav(path, sample_rate)
        if pad_s > 0:
            audio = np.concatenate([audio, np.zeros(int(pad_s * sample_rate), np.float32)])
        self.audio = audio
        self.drops = 0
        self._pos = 0
        self._t0: float | None = None

    @property
    def duration_s(self) -> float:
        """Length of the replayed audio in seconds."""
        return len(self.audio) / self.sample_rate

    @property
    def position_s(self) -> float:
        """How much of the audio has been handed out, in seconds."""
        return self._pos / self.sample_rate

    def start(self) -> None:
        """Start the clock."""
        self._t0 = time.monotonic()

    def read(self, timeout: float = 0.1) -> Any | None:
        """The next block; in real-time mode it waits until the block would have been spoken."""
        if self._t0 is None:
            self.start()
        if self.ended:
            time.sleep(min(timeout, 0.01))
            return None
        end = min(self._pos + self.block_frames, len(self.audio))
        if self.realtime:
            due = self._t0 + end / self.sample_rate  # type: ignore[operator]
            wait = due - time.monotonic()
            if wait > timeout:
                time.sleep(timeout)
                return None
            if wait > 0:
                time.sleep(wait)
        block = self.audio[self._pos:end]
        self._pos = end
        return block

    @property
    def ended(self) -> bool:
        """True once every sample was handed out."""
        return self._pos >= len(self.audio)

    def close(self) -> None:
        """Nothing to free."""
        self._pos = len(self.audio)


# --------------------------------------------------------------------------------------- outputs
class AudioOutput(ABC):
    """A sink that pulls float32 mono frames at :attr:`sample_rate` from the playback buffer."""

    name = "output"
    sample_rate: int = OUTPUT_RATE
    error: str | None = None  # set when the device went away
    # called with each block written to the device and the device time it plays at (echo
    # cancellation's reference); only live speakers call it, from their audio callback
    tap: Callable[[Any, float], None] | None = None
    live = False  # a real speaker (the microphone may hear it)
    ahead_s = 0.0  # how long a block pulled now waits in the device's buffer before it is heard
    underruns = 0  # blocks the device wanted before the callback gave them (a click, or worse)

    @abstractmethod
    def start(self, pull: Pull) -> None:
        """Begin pulling audio."""

    def reopen(self, rescan: bool = False) -> None:
        """Open the device again after it was lost (re-scanning the devices first when ``rescan``).

        Raises:
            AudioDeviceError: it is still not there (or this output cannot be opened again).
        """
        raise AudioDeviceError(f"the output '{self.name}' cannot be opened again", "restart Jarvis")

    @abstractmethod
    def close(self) -> None:
        """Stop pulling and free the device (a file output writes its file here)."""


class SoundDeviceOutput(AudioOutput):
    """A speaker through sounddevice; the callback only copies frames out of the playback buffer."""

    live = True

    def __init__(
        self, device: str | int | None = None, sample_rate: int = OUTPUT_RATE, block_ms: int = 20,
        buffer_ms: int = 0,
    ) -> None:
        self.spec = device  # how the device was asked for: found again by it after a device re-scan
        self.index = find_device(device, "output")
        self.name = _sd().query_devices(self.index)["name"]
        self.sample_rate = sample_rate
        self.block_frames = sample_rate * block_ms // 1000
        self.buffer_ms = buffer_ms
        self.error = None
        self.last_sound = 0.0  # when a block with sound was last handed to the device (monotonic)
        self._stream: Any = None
        self._pull: Pull | None = None

    def start(self, pull: Pull) -> None:
        """Open the output stream with ``buffer_ms`` of device buffer (0: the lowest latency).

        A short buffer makes a cleared reply go quiet sooner, but on a busy CPU a callback that
        comes late underruns it, and PulseAudio's ALSA plugin then restarts its stream: measured in
        the TUI on the tests' null sink, ~1.9 s without sound each time (bench/tui_voice.py counts
        underruns; that sink runs in ~2 s blocks, see devsupport/pulse.py: a hardware sink
        recovers sooner, but each underrun is still a click). Why a pause or a cut does not drop
        this buffer (abort and restart the stream): ``bench/echo_live.py`` measured echo
        cancellation ~13-19 dB worse on the replies after it, on both rigs tried.
        """
        sd = _sd()

        def callback(outdata: Any, frames: int, time_info: Any, status: Any) -> None:
            if status.output_underflow:
                self.underruns += 1
            if time_info.outputBufferDacTime and time_info.currentTime:
                self.ahead_s = max(0.0, time_info.outputBufferDacTime - time_info.currentTime)
            block = pull(frames)
            outdata[:, 0] = block
            if block.any():
                self.last_sound = time.monotonic()
            tap = self.tap
            if tap is not None:
                tap(block, time_info.outputBufferDacTime or time_info.currentTime)

        def finished() -> None:
            if self._stream is not None:
                self.error = f"the speaker '{self.name}' stopped (unplugged?)"

        self._pull = pull
        stream = None
        try:
            stream = sd.OutputStream(
                device=self.index, samplerate=self.sample_rate, channels=1, dtype="float32",
                blocksize=self.block_frames, latency=self.buffer_ms / 1000 if self.buffer_ms else "low",
                callback=callback, finished_callback=finished,
            )
            self._stream = stream
            stream.start()
        except Exception as exc:  # PortAudioError
            self._stream = None
            _close_stream(stream, "output")
            hint = f"{_available('output')}; set audio.output_device"
            raise AudioDeviceError(f"cannot open speaker '{self.name}': {exc}", hint) from None
        _OPEN.add(self)

    def reopen(self, rescan: bool = False) -> None:
        """Close the stream and open the device again, found again by its setting
        (``audio.output_device``), pulling from the same playback buffer; with ``rescan`` the device
        list is read afresh first (open microphones are paused for it).

        Raises:
            AudioDeviceError: the device is not there (yet), or cannot be opened.
        """
        self.close()
        self.index, self.name = _find_again(self.spec, "output", rescan)
        self.error = None
        if self._pull is None:
            raise AudioDeviceError(f"the speaker '{self.name}' was never started", "restart Jarvis")
        self.start(self._pull)

    def _pause(self) -> bool:
        """Close the stream for a device re-scan; True when it was open."""
        if self._stream is None:
            return False
        self.close()
        return True

    def _resume(self) -> None:
        """Open again after a re-scan (the same playback buffer); when that fails, ``error`` says so."""
        try:
            self.index = find_device(self.spec, "output")
            if self._pull is not None:
                self.start(self._pull)
        except AudioDeviceError as exc:
            self.error = exc.message

    def close(self) -> None:
        """Stop and close the stream."""
        stream, self._stream = self._stream, None
        _OPEN.discard(self)
        _close_stream(stream, "output")


class WavFileOutput(AudioOutput):
    """Records what would be played into a WAV file (only the speech, no idle silence).

    A thread pulls blocks while the buffer has audio: at real time (so barge-in behaves as on a
    speaker) or as fast as possible. The file is written by :meth:`close`.
    """

    def __init__(self, path: str | Path, sample_rate: int = OUTPUT_RATE, realtime: bool = True,
                 block_ms: int = 20, has_audio: Callable[[], bool] | None = None) -> None:
        self.path = Path(path).expanduser()
        self.name = self.path.name
        self.sample_rate = sample_rate
        self.realtime = realtime
        self.block_frames = sample_rate * block_ms // 1000
        self.error = None
        self.has_audio = has_audio or (lambda: True)
        self.blocks: list = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, pull: Pull) -> None:
        """Start the pulling thread."""
        self._thread = threading.Thread(target=self._run, args=(pull,), name="jarvis-wavout", daemon=True)
        self._thread.start()

    def _run(self, pull: Pull) -> None:
        period = self.block_frames / self.sample_rate
        due = time.monotonic()
        while not self._stop.is_set():
            if not self.has_audio():
                self._stop.wait(0.005)
                due = time.monotonic()
                continue
            self.blocks.append(pull(self.block_frames).copy())
            if self.realtime:
                due += period
                wait = due - time.monotonic()
                if wait > 0:
                    self._stop.wait(wait)

    def audio(self) -> Any:
        """Everything recorded so far (float32 mono)."""
        import numpy as np

        return np.concatenate(self.blocks) if self.blocks else np.zeros(0, np.float32)

    def close(self) -> None:
        """Stop the thread and write the WAV file."""
        from jarvis.audio.wavio import write_wav

        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None
            write_wav(self.path, self.audio(), self.sample_rate)
