"""A microphone that goes away and comes back, through a private PulseAudio daemon and real PortAudio.

The VAD thread says what happened (MicLost, then MicBack), opens the device again by itself, and
goes on listening; what the user was saying when it went is ended as an utterance, not lost.
Two ways a device goes: the sound server goes away (every stream ends with an error, as when a USB
microphone is pulled from a bare ALSA system), and a source that stops sending audio (suspended).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from devsupport import pulse
from devsupport.voicekit import EN, QUESTION, voice_models
from jarvis.audio.devices import SoundDeviceInput, SoundDeviceOutput, refresh_devices, speakers_idle
from jarvis.audio.events import MicBack, MicLevel, MicLost
from jarvis.audio.playback import PlaybackBuffer
from jarvis.audio.segmenter import Segmenter
from jarvis.audio.wavio import read_wav
from jarvis.config import VADSettings
from jarvis.messages import StageError
from tests.support.waiting import until

pytestmark = pytest.mark.skipif(pulse.available() is not None, reason=str(pulse.available()))


class Listening:
    """A real microphone ("pulse") in a listening segmenter, with every event and utterance kept."""

    def __init__(self) -> None:
        self.events: list = []
        self.utterances: list = []
        self._lock = threading.Lock()
        self.mic = SoundDeviceInput("pulse", 16000, 30, queue_blocks=400)
        self.seg = Segmenter(self.mic, VADSettings(), self._publish, self.utterances.append, listening=True)

    def _publish(self, event: object) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: type) -> list:
        with self._lock:
            return [e for e in self.events if isinstance(e, kind)]

    def __enter__(self) -> Listening:
        self.seg.start()
        assert until(lambda: self.of(MicLevel)), "the microphone never delivered audio"
        return self

    def __exit__(self, *exc: object) -> None:
        self.seg.stop()


def test_the_sound_server_goes_away_and_comes_back(server):
    with Listening() as run:
        server.go_away()
        try:
            assert until(lambda: run.of(MicLost), 15), "the lost microphone was not noticed"
            lost = run.of(MicLost)[0]
            assert lost.device == "pulse" and "microphone" in lost.reason
            assert run.seg.lost and run.seg.failed is None  # waiting, not given up
            assert run.seg.state == "lost"
            assert not run.of(MicBack)
        finally:
            server.come_back()
        assert until(lambda: run.of(MicBack), 30), "listening did not resume by itself"
        back = run.of(MicBack)[0]
        assert back.device == "pulse" and back.attempts >= 1 and back.seconds > 0
        assert run.seg.lost is None
        assert not run.of(StageError)  # a lost microphone is not an error the user has to act on
        server.play(QUESTION)
        assert until(lambda: run.utterances, 30), "nothing was heard after the microphone came back"
    said = run.utterances[0].audio
    assert 0.6 * len(read_wav(QUESTION)) < len(said) < len(read_wav(QUESTION)) + 16000
    assert len(run.of(MicLost)) == 1 and len(run.of(MicBack)) == 1


def test_what_was_being_said_when_the_microphone_went_is_not_lost(server):
    """The server goes away mid-sentence: the part already said becomes an utterance at once."""
    stt, _ = voice_models()
    with Listening() as run:
        player = server.play(EN / "librivox-0870.wav", wait=False)  # 7 s: "and mister john dashwood had ..."
        try:
            assert until(lambda: sum(e.vad_state == "speaking" for e in run.of(MicLevel)) >= 40, 20)
            server.go_away()
            player.wait(10)
            assert until(lambda: run.of(MicLost), 15)
            assert until(lambda: run.utterances, 5), "the words said before the microphone went were lost"
        finally:
            server.come_back()
        assert until(lambda: run.of(MicBack), 30)
    utt = run.utterances[0]
    assert 1.0 < len(utt.audio) / utt.sample_rate < 7.0  # the part said so far, not the whole sentence
    heard = stt.transcribe(utt.audio, "en").text.lower()
    assert "dashwood" in heard or "john" in heard


def test_a_microphone_that_stops_sending_audio_is_lost_and_found_again(server):
    """A source that goes silent without an error (suspended, a stuck driver) is noticed by its silence."""
    with Listening() as run:
        server.pactl("suspend-source", pulse.MIC, "1")
        try:
            assert until(lambda: run.of(MicLost), 15), "a microphone that sends nothing was not noticed"
            assert "no audio" in run.of(MicLost)[0].reason
        finally:
            server.pactl("suspend-source", pulse.MIC, "0")
        assert until(lambda: run.of(MicBack), 40)
        server.play(QUESTION)
        assert until(lambda: run.utterances, 30)


def test_a_device_rescan_reopens_the_speaker_and_waits_until_it_is_quiet(server):
    """Waiting for a microphone re-scans the devices, which closes every PortAudio stream: the
    speaker is reopened after it (and plays on), and a re-scan waits while it is speaking."""
    rate = 24000
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)).astype(np.float32)
    buf = PlaybackBuffer()
    out = SoundDeviceOutput("pulse", rate)
    out.start(buf.pull)
    rec = None
    try:
        buf.add(tone, "a tone", 1)
        assert until(lambda: buf.frames_out > rate // 4, 10)
        assert not speakers_idle()  # Jarvis is speaking: the reconnect loop does not re-scan now
        assert until(lambda: not buf.busy(), 10)
        assert until(speakers_idle, 10)
        refresh_devices()
        assert out.error is None and out._stream is not None and out._stream.active
        time.sleep(2.0)  # a stream just opened swallows its first second or so (the ALSA pulse plugin)
        rec = server.record_speaker()
        time.sleep(0.3)
        buf.add(tone, "a tone after the re-scan", 2)
        assert until(lambda: not buf.busy(), 10), "the speaker stopped playing after the re-scan"
        size = Path(rec.file.name).stat().st_size
        assert until(lambda: Path(rec.file.name).stat().st_size > size + 2 * 2 * 16000, 20)
        assert out.error is None
    finally:
        out.close()
        audio = rec.stop() if rec is not None else np.zeros(0, np.float32)
    assert (np.abs(audio) > 0.1).sum() / 16000 > 0.5  # most of the 1 s tone reached the speaker


def test_closing_while_the_microphone_is_gone_stops_waiting(server):
    """Quitting while Jarvis waits for the microphone: the VAD thread ends and no stream is left open."""
    before = sum(t.name == "jarvis-vad" for t in threading.enumerate())
    run = Listening().__enter__()
    server.go_away()
    try:
        assert until(lambda: run.of(MicLost), 15)
        run.seg.stop(timeout=5)
        assert sum(t.name == "jarvis-vad" for t in threading.enumerate()) == before
        assert run.mic._stream is None
        assert not run.of(MicBack) and not run.of(StageError)
    finally:
        server.come_back()
