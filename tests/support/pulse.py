"""A private PulseAudio daemon with virtual devices, for tests that exercise the real sounddevice path.

The daemon runs in a temporary runtime folder with two null sinks: ``jarvis_speaker`` (the default
sink: what Jarvis plays, recorded from its monitor with ``parec``) and ``jarvis_mic_feed`` (fed with
``paplay``), whose monitor is remapped as the default source ``jarvis_mic`` (the microphone).
PortAudio sees them through the ALSA ``pulse`` plugin as the devices "pulse" / "default".
One daemon per test process (:func:`pulse_server`), stopped at exit.
"""

from __future__ import annotations

import atexit
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
        cmd = ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=false",
               "--system=false", "--disallow-exit=false", "-F", str(script),
               f"--log-target=file:{self.dir / 'pulse.log'}"]
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
        # silent streams keep both sinks' clocks running
        self._zero = open("/dev/zero", "rb")  # noqa: SIM115 - closed in stop()
        for sink in (SPEAKER, MIC_FEED):
            self._keepalive.append(
                subprocess.Popen(
                    ["pacat", "--playback", "-d", sink, "--raw", f"--rate={RATE}", "--channels=1",
                     "--format=s16le", "--volume=0"],
                    stdin=self._zero, env=self.env,
                )
            )
        for key in ("PULSE_SERVER", "PULSE_RUNTIME_PATH", "XDG_RUNTIME_DIR"):
            self._saved[key] = os.environ.get(key)
            os.environ[key] = self.env[key]
        from jarvis.audio.devices import refresh_devices

        refresh_devices()
        return self

    def play(self, wav: str | Path, wait: bool = True) -> subprocess.Popen:
        """Play a WAV file into the microphone (``paplay`` into the mic feed sink)."""
        proc = subprocess.Popen(["paplay", "-d", MIC_FEED, str(wav)], env=self.env)
        if wait:
            proc.wait(60)
        return proc

    def record_speaker(self) -> Recorder:
        """Start recording what is played on the speaker."""
        return Recorder(self.env, f"{SPEAKER}.monitor")

    def stop(self) -> None:
        """Stop the daemon and its helpers, restore the environment, remove the folder."""
        for p in self._keepalive:
            p.terminate()
        for p in self._keepalive:
            p.wait(5)
        self._keepalive = []
        if getattr(self, "_zero", None) is not None:
            self._zero.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None
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
