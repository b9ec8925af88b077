"""A private PulseAudio daemon with virtual devices, for tests that exercise the real sounddevice path.

The daemon runs in a temporary runtime folder with two null sinks: ``jarvis_speaker`` (the default
sink: what Jarvis plays, recorded from its monitor with ``parec``) and ``jarvis_mic_feed`` (fed with
``paplay``), whose monitor is remapped as the default source ``jarvis_mic`` (the microphone).
PortAudio sees them through the ALSA ``pulse`` plugin as the devices "pulse" / "default".
One daemon per test process (:func:`pulse_server`), stopped at exit.

:meth:`PulseServer.loopback` wires the speaker back into the microphone like open laptop speakers
(``module-loopback`` from the speaker's monitor into the mic feed, with a delay and a gain); what
:meth:`PulseServer.play` plays into the mic feed then mixes with Jarvis's echo, as a user talking
over it would.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

SPEAKER = "jarvis_speaker"
MIC_FEED = "jarvis_mic_feed"
MIC = "jarvis_mic"
RATE = 16000
# How the daemon converts rates (Jarvis speaks at 24 kHz and listens at 16 kHz; the sinks run at
# 48 kHz). With PulseAudio's own default, speex-float-1, the speaker -> mic path is a looser copy of
# what was played and AEC3's output leaks echo every few seconds (Jarvis's double-talk check keeps
# it from reacting: `bench/echo_live.py --resample speex-float-1`); PipeWire and tuned set-ups
# resample at least this well, and the tests want the canceller's own output clean.
RESAMPLE_METHOD = "speex-float-5"

_SCRIPT = """
load-module module-native-protocol-unix auth-anonymous=1 socket={sock}
load-module module-null-sink sink_name={speaker} rate=48000 sink_properties=device.description=JarvisSpeaker
load-module module-null-sink sink_name={feed} rate=48000 sink_properties=device.description=JarvisMicFeed
load-module module-remap-source source_name={mic} master={feed}.monitor \
source_properties=device.description=JarvisMic
set-default-sink {speaker}
set-default-source {mic}
"""


def available() -> str | None:
    """None when a test daemon can run here, else why not."""
    for tool in ("pulseaudio", "paplay", "parec", "pacat"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (./install.sh installs pulseaudio and pulseaudio-utils)"
    return None


class Recorder:
    """``parec`` recording a sink's monitor as 16 kHz mono int16 until :meth:`stop`."""

    def __init__(self, env: dict[str, str], source: str) -> None:
        self.file = tempfile.NamedTemporaryFile(suffix=".raw", delete=False)
        cmd = ["parec", "-d", source, f"--rate={RATE}", "--channels=1", "--format=s16le", "--raw",
               "--latency-msec=20"]
        self.proc = subprocess.Popen(cmd, stdout=self.file, env=env)

    def stop(self):
        """Stop recording; returns float32 samples."""
        import numpy as np

        self.proc.terminate()
        self.proc.wait(5)
        self.file.close()
        data = Path(self.file.name).read_bytes()
        os.unlink(self.file.name)
        n = len(data) // 2 * 2
        return np.frombuffer(data[:n], dtype="<i2").astype(np.float32) / 32768.0


class PulseServer:
    """A user PulseAudio daemon with null sinks in its own runtime folder."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="jarvis-pulse-"))
        self.sock = self.dir / "native"
        self.env: dict[str, str] = {}
        self.proc: subprocess.Popen | None = None
        self._keepalive: list[subprocess.Popen] = []
        self._saved: dict[str, str | None] = {}

    def start(self) -> PulseServer:
        """Start the daemon, wait for its socket, point this process at it, re-scan devices."""
        script = self.dir / "test.pa"
        script.write_text(_SCRIPT.format(sock=self.sock, speaker=SPEAKER, feed=MIC_FEED, mic=MIC))
        self.env = {
            **os.environ,
            "HOME": str(self.dir),
            "XDG_RUNTIME_DIR": str(self.dir),
            "PULSE_RUNTIME_PATH": str(self.dir),
            "PULSE_STATE_PATH": str(self.dir / "state"),
            "PULSE_SERVER": f"unix:{self.sock}",
        }
        self._launch()
        for key in ("PULSE_SERVER", "PULSE_RUNTIME_PATH", "XDG_RUNTIME_DIR"):
            self._saved[key] = os.environ.get(key)
            os.environ[key] = self.env[key]
        from jarvis.audio.devices import refresh_devices

        refresh_devices()
        return self

    def _launch(self) -> None:
        """Run the daemon with the devices of ``test.pa`` and the silent streams that keep them running."""
        script = self.dir / "test.pa"
        cmd = ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=false",
               "--system=false", "--disallow-exit=false", "-F", str(script),
               f"--resample-method={RESAMPLE_METHOD}", f"--log-target=file:{self.dir / 'pulse.log'}"]
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            ok = subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode == 0
            if ok:
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"pulseaudio exited: {(self.dir / 'pulse.log').read_text()[-2000:]}")
            time.sleep(0.1)
        else:
            raise RuntimeError("pulseaudio did not come up in 15 s")
        # silent streams keep both sinks' clocks running. At pacat's default latency a null sink runs
        # in ~2 s blocks: a new or restarted stream gets its prefill callbacks, then none for ~1.8 s
        # (the "first second lost" of a new stream, and why an output underrun costs ~1.9 s here;
        # a hardware sink does not do that). ``--latency-msec=20`` removes it, but module-loopback's
        # echo path then jitters and echo cancellation measures worse (bench/echo_live.py): kept as is
        self._zero = open("/dev/zero", "rb")  # noqa: SIM115 - closed in stop()
        for sink in (SPEAKER, MIC_FEED):
            self._keepalive.append(
                subprocess.Popen(
                    ["pacat", "--playback", "-d", sink, "--raw", f"--rate={RATE}", "--channels=1",
                     "--format=s16le", "--volume=0"],
                    stdin=self._zero, env=self.env,
                )
            )

    def _halt(self) -> None:
        """Stop the silent streams and the daemon (every client's streams end with an error)."""
        for p in self._keepalive:
            p.terminate()
        for p in self._keepalive:
            p.wait(5)
        self._keepalive = []
        if getattr(self, "_zero", None) is not None:
            self._zero.close()
            self._zero = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def go_away(self) -> None:
        """The sound server goes away (as when it crashes or restarts): every device vanishes."""
        self._halt()

    def come_back(self) -> None:
        """The sound server is back with the same devices (after :meth:`go_away`)."""
        self._launch()

    def pactl(self, *args: str) -> str:
        """Run ``pactl`` against this daemon; its output."""
        return subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True, check=True).stdout

    def play(self, wav: str | Path, wait: bool = True) -> subprocess.Popen:
        """Play a WAV file into the microphone (``paplay`` into the mic feed sink)."""
        proc = subprocess.Popen(["paplay", "-d", MIC_FEED, str(wav)], env=self.env)
        if wait:
            proc.wait(60)
        return proc

    @contextlib.contextmanager
    def loopback(
        self, delay_ms: int = 40, gain: float = 0.5, noise_db: float | None = -60.0, settle_s: float = 1.0,
        adjust_s: int = 0,
    ):
        """Open speakers: what Jarvis plays reaches the microphone ``delay_ms`` later at ``gain`` (linear).

        ``noise_db``: the microphone's own noise floor (white noise at this RMS in dBFS; None: digital
        silence, which no real microphone gives). ``settle_s``: wait for the streams to run.
        ``adjust_s``: how often the loopback corrects its rate to hold its latency (0: never, so the
        echo path stays fixed, as with a speaker and a microphone on one sound card).
        Yields the loopback's module index; everything is unloaded on exit.
        """
        module = self.pactl(
            "load-module", "module-loopback", f"source={SPEAKER}.monitor", f"sink={MIC_FEED}",
            f"latency_msec={delay_ms}", f"adjust_time={adjust_s}", "source_dont_move=true", "sink_dont_move=true",
        ).strip()
        noise: subprocess.Popen | None = None
        random = open("/dev/urandom", "rb") if noise_db is not None else None  # noqa: SIM115 - closed below
        try:
            inputs = json.loads(self.pactl("--format=json", "list", "sink-inputs"))
            for index in [i["index"] for i in inputs if str(i.get("owner_module")) == module]:
                self.pactl("set-sink-input-volume", str(index), f"{gain:.3f}")
            if random is not None:
                # random s16 samples are white noise at -4.8 dBFS; PulseAudio's volume is cubic
                volume = round(65536 * 10 ** ((noise_db + 4.77) / 60))  # type: ignore[operator]
                noise = subprocess.Popen(
                    ["pacat", "--playback", "-d", MIC_FEED, "--raw", f"--rate={RATE}", "--channels=1",
                     "--format=s16le", f"--volume={volume}"],
                    stdin=random, env=self.env,
                )
            time.sleep(settle_s)
            yield int(module)
        finally:
            if noise is not None:
                noise.terminate()
                noise.wait(5)
            if random is not None:
                random.close()
            subprocess.run(["pactl", "unload-module", module], env=self.env, check=False)

    def record_speaker(self) -> Recorder:
        """Start recording what is played on the speaker."""
        return Recorder(self.env, f"{SPEAKER}.monitor")

    def stop(self) -> None:
        """Stop the daemon and its helpers, restore the environment, remove the folder."""
        self._halt()
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(self.dir, ignore_errors=True)


_SERVER: PulseServer | None = None


def pulse_server() -> PulseServer:
    """The process-wide test daemon (started on first use, stopped at exit)."""
    global _SERVER
    if _SERVER is None:
        _SERVER = PulseServer().start()
        atexit.register(_SERVER.stop)
    return _SERVER
