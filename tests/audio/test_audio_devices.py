"""The sounddevice path for real, through a private PulseAudio daemon with virtual devices."""

from __future__ import annotations

import time

import numpy as np
import pytest

from devsupport import pulse
from devsupport.voicekit import QUESTION
from jarvis.audio.devices import (
    SoundDeviceInput,
    SoundDeviceOutput,
    find_device,
    list_devices,
    refresh_devices,
)
from jarvis.audio.playback import PlaybackBuffer
from jarvis.audio.segmenter import Segmenter
from jarvis.audio.wavio import read_wav
from jarvis.config import VADSettings
from jarvis.errors import AudioDeviceError

pytestmark = pytest.mark.skipif(pulse.available() is not None, reason=str(pulse.available()))


def test_devices_are_listed_and_found_by_name_index_or_default(server):
    names = [d["name"] for d in list_devices("input")]
    assert "pulse" in names
    idx = find_device("pulse", "input")
    assert find_device(idx, "output") == idx
    assert find_device(str(idx), "input") == idx
    assert find_device("PULS", "input") == idx  # substring, any case
    assert find_device("", "output") in [d["index"] for d in list_devices("output")]


def test_unknown_device_lists_the_available_ones(server):
    with pytest.raises(AudioDeviceError, match="no input device named 'USB Mic'") as err:
        find_device("USB Mic", "input")
    assert "'pulse'" in err.value.hint and "audio.input_device" in err.value.hint
    with pytest.raises(AudioDeviceError, match="index 99"):
        find_device(99, "output")


def test_microphone_captures_what_is_played_into_it_and_the_vad_cuts_it(server):
    events, utterances = [], []
    mic = SoundDeviceInput("pulse", 16000, 30, queue_blocks=400)
    seg = Segmenter(mic, VADSettings(), events.append, utterances.append, listening=True).start()
    try:
        time.sleep(0.3)
        server.play(QUESTION)
        deadline = time.monotonic() + 20
        while not utterances and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        seg.stop()
    assert len(utterances) == 1
    utt = utterances[0]
    source = read_wav(QUESTION)
    assert 0.6 * len(source) < len(utt.audio) < len(source) + 16000
    levels = [e for e in events if type(e).__name__ == "MicLevel"]
    assert any(e.vad_state == "speaking" for e in levels)
    assert max(e.rms_db for e in levels) > -40.0
    assert min(e.rms_db for e in levels) < -60.0  # the quiet before the speech


def test_speaker_output_is_recorded_and_clear_silences_it(server):
    t = np.arange(24000 * 4) / 24000
    tone = (0.4 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    buf = PlaybackBuffer()
    out = SoundDeviceOutput("pulse")
    rec = server.record_speaker()
    time.sleep(0.3)
    out.start(buf.pull)
    buf.add(tone, "a tone", 1)
    while buf.frames_out < 24000:  # one second played
        time.sleep(0.01)
    cut = buf.clear()
    time.sleep(1.0)
    out.close()
    audio = rec.stop()
    assert cut and 0 < cut[0].played < len(tone)
    loud = np.abs(audio) > 0.1
    assert loud.any()
    heard_s = loud.sum() / 16000 * 2  # a sine is above 0.1 about half of the time... roughly
    assert heard_s < 3.0  # the 4 s tone was cut off


def test_speaker_buffer_is_what_the_device_reports_ahead(server):
    """``output_buffer_ms`` sets how far ahead of the speaker the callback runs; first audio counts it."""
    seen = {}
    for ms in (0, 100):
        out = SoundDeviceOutput("pulse", buffer_ms=ms)
        out.start(lambda n: np.zeros(n, np.float32))
        deadline = time.monotonic() + 5
        while out.ahead_s == 0.0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        seen[ms] = out.ahead_s
        out.close()
    assert 0.0 < seen[0] < seen[100]
    assert seen[100] >= 0.1


def test_no_sound_server_means_a_clear_error(server, monkeypatch):
    monkeypatch.setenv("PULSE_SERVER", "unix:/nonexistent/socket")
    refresh_devices()
    try:
        with pytest.raises(AudioDeviceError) as err:
            SoundDeviceInput("pulse")
        assert err.value.hint
    finally:
        monkeypatch.setenv("PULSE_SERVER", server.env["PULSE_SERVER"])
        refresh_devices()
