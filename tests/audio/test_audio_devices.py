"""The sounddevice path for real, through a private PulseAudio daemon with virtual devices."""

from __future__ import annotations

import time

import numpy as np
import pytest

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
from tests.support import pulse
from tests.support.voicekit import QUESTION

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


def locate(template: np.ndarray, source: np.ndarray) -> int:
    """Where ``template`` (a stretch of what the speaker played) sits in ``source`` (cross-correlation)."""
    corr = np.correlate(source, template, mode="valid")
    return int(np.argmax(corr))


def test_a_pause_drops_the_speaker_buffer_and_plays_on_with_nothing_lost(server):
    """A provisional pause flushes the device (what waited in its 100 ms buffer is not played) and the
    player takes those samples back: after resume the speaker plays on where it went quiet."""
    import soxr

    from jarvis.audio.events import HeardText
    from jarvis.audio.playback import Player
    from jarvis.messages import SpeechChunk

    noise16 = (np.random.default_rng(3).standard_normal(3 * 16000) * 0.15).astype(np.float32)
    noise24 = soxr.resample(noise16, 16000, 24000).astype(np.float32)  # nothing above 8 kHz
    events: list = []
    retracted: list[float] = []
    out = SoundDeviceOutput("pulse", buffer_ms=100)
    out.on_flush = retracted.append
    player = Player(out, events.append).start()
    rec = server.record_speaker()
    time.sleep(0.3)
    player.put(SpeechChunk(noise24, 24000, "a long reply", turn_id=1))
    player.end_turn(1)
    while player.buffer.frames_out < 24000:
        time.sleep(0.005)
    player.pause()
    handed = player.buffer.frames_out  # samples handed to the device when it paused (pulls are silent now)
    time.sleep(0.5)
    player.resume()
    deadline = time.monotonic() + 10
    while not any(isinstance(e, HeardText) for e in events) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    player.close()
    audio = rec.stop()
    assert out.flushes == 1 and out.error is None and len(retracted) == 1  # an abort on purpose is no unplugging
    assert [(e.text, e.interrupted) for e in events if isinstance(e, HeardText)] == [("a long reply", False)]
    blocks = np.abs(audio[: len(audio) // 80 * 80]).reshape(-1, 80).max(axis=1) > 1e-3  # 5 ms blocks
    runs = np.flatnonzero(np.diff(blocks.astype(np.int8)))  # where sound starts / stops
    assert len(runs) == 4, runs  # sound, the pause's silence, sound again
    a1, b0 = (runs[1] + 1) * 80, (runs[2] + 1) * 80  # the first part's end, the second's start
    w = 640  # 40 ms stretches, away from the fades
    end_a = locate(audio[a1 - 2 * w : a1 - w], noise16) + 2 * w  # where the first part stopped, in the reply
    start_b = locate(audio[b0 + w : b0 + 2 * w], noise16) - w  # where the second began
    assert end_a < handed * 2 // 3 - 320  # the device did not play all it had been handed (>= 20 ms dropped)
    # no gap (10 ms: the 5 ms blocks that find the silence); a few ms may be said twice (measured: 16-21 ms)
    assert end_a - 960 <= start_b <= end_a + 160, (start_b, end_a)


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
