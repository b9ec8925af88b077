"""WAV files in and out, the WAV-backed devices, and the playback buffer (no sound server needed)."""

from __future__ import annotations

import time

import numpy as np
import pytest
import soundfile as sf

from devsupport.paths import FIXTURES
from jarvis.audio.devices import WavFileInput, WavFileOutput
from jarvis.audio.playback import PlaybackBuffer, Player, heard_part
from jarvis.audio.wavio import read_wav, write_wav
from jarvis.errors import AudioFormatError
from jarvis.messages import SpeechChunk, TurnTimings

EN = FIXTURES / "speech" / "en" / "librivox-0880.wav"


def tone(rate: int, seconds: float, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("subtype", ["PCM_16", "FLOAT", "PCM_24"])
@pytest.mark.parametrize("rate", [8000, 44100, 48000])
def test_any_rate_mono_or_stereo_is_resampled_to_16k_mono(tmp_path, subtype, rate):
    left, right = tone(rate, 0.5, 440.0), tone(rate, 0.5, 440.0) * 0.5
    path = tmp_path / "in.wav"
    sf.write(path, np.stack([left, right], axis=1), rate, subtype=subtype)
    audio = read_wav(path)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) - 8000) <= 2
    # the mix of both channels: amplitude (0.5 + 0.25) / 2
    assert 0.33 < float(np.max(np.abs(audio[100:-100]))) < 0.42
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * 16000 / len(audio) - 440.0) < 5


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("not audio at all"), "cannot read"),
        (lambda p: sf.write(p, np.zeros((100, 3), np.float32), 16000), "3 channels"),
        (lambda p: sf.write(p, np.zeros(100, np.float32), 16000, format="FLAC"), "FLAC file, not a WAV"),
        (lambda p: sf.write(p, np.zeros(100, np.float32), 8000, subtype="ULAW"), "unsupported sample format"),
        (lambda p: sf.write(p, np.zeros((0, 1), np.float32), 16000), "no audio"),
    ],
)
def test_bad_files_are_refused_with_a_hint(tmp_path, make, message):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(AudioFormatError, match=message) as err:
        read_wav(path)
    assert err.value.hint


def test_missing_file_and_unwritable_output(tmp_path):
    with pytest.raises(AudioFormatError, match="not found"):
        read_wav(tmp_path / "nope.wav")
    (tmp_path / "file").write_text("x")
    with pytest.raises(AudioFormatError, match="cannot write"):
        write_wav(tmp_path / "file" / "out.wav", np.zeros(10, np.float32), 16000)


def test_write_then_read_round_trip(tmp_path):
    audio = read_wav(EN)
    path = write_wav(tmp_path / "sub" / "copy.wav", audio, 16000)
    back = read_wav(path)
    assert len(back) == len(audio)
    assert float(np.max(np.abs(back - audio))) < 1e-3


def test_wav_input_replays_in_real_time_blocks_and_fast():
    fast = WavFileInput(EN, realtime=False)
    blocks = []
    while (b := fast.read()) is not None:
        blocks.append(b)
    assert fast.ended and all(len(b) == 480 for b in blocks[:-1])
    assert np.array_equal(np.concatenate(blocks), read_wav(EN))

    slow = WavFileInput(EN, realtime=True, pad_s=0.0)
    slow.start()
    t0 = time.monotonic()
    got = 0
    while got < 16000 // 2:  # half a second of audio
        b = slow.read(timeout=1.0)
        got += 0 if b is None else len(b)
    assert time.monotonic() - t0 >= 0.45  # cannot be read faster than it would be spoken


def test_heard_part_counts_whole_words():
    assert heard_part("one two three four", 1.0) == "one two three four"
    assert heard_part("one two three four", 0.6) == "one two"
    assert heard_part("one two three four", 0.0) == ""


def test_buffer_pull_clear_and_report():
    buf = PlaybackBuffer()
    buf.add(np.ones(100, np.float32), "first chunk", 1)
    buf.add(np.full(100, 2.0, np.float32), "second chunk", 1)
    out = buf.pull(150)
    assert np.all(out[:100] == 1.0) and np.all(out[100:] == 2.0)
    cut = buf.clear()
    assert [(c.text, c.played, c.total) for c in cut] == [("second chunk", 50, 100)]
    assert not buf.busy()
    assert np.all(buf.pull(64) == 0.0)  # silence right after a clear
    kinds = [k for k, _ in buf.drain_events()]
    assert kinds == ["start", "end", "start"]


def test_player_records_to_wav_and_reports_heard_text(tmp_path):
    events = []
    out = WavFileOutput(tmp_path / "reply.wav", realtime=False)
    timings = TurnTimings()
    player = Player(out, events.append).start()
    player.put(SpeechChunk(tone(22050, 0.5), 22050, "Hello there.", turn_id=3, timings=timings))
    player.put(SpeechChunk(tone(22050, 0.5, 660), 22050, "How are you?", turn_id=3, timings=timings))
    player.end_turn(3)
    deadline = time.monotonic() + 10
    while not any(type(e).__name__ == "HeardText" for e in events) and time.monotonic() < deadline:
        time.sleep(0.01)
    player.close()
    heard = [e for e in events if type(e).__name__ == "HeardText"]
    assert len(heard) == 1 and heard[0].text == "Hello there. How are you?" and not heard[0].interrupted
    assert timings.first_audio_out is not None and timings.first_audio_out >= timings.started
    audio, rate = sf.read(tmp_path / "reply.wav", dtype="float32")
    assert rate == 24000 and abs(len(audio) / rate - 1.0) < 0.05


def test_first_audio_is_when_it_leaves_the_device_buffer_and_stalls_are_counted(tmp_path):
    """A speaker that reports 0.25 s of buffer ahead (a WAV output told so): first audio is marked
    that much after the callback took the chunk. A second piece that comes 0.3 s after the first
    ended is a stall of the voice."""
    out = WavFileOutput(tmp_path / "reply.wav", realtime=True)
    out.ahead_s = 0.25
    timings = TurnTimings()
    player = Player(out, lambda e: None).start()
    put_at = time.monotonic()
    player.put(SpeechChunk(tone(24000, 0.2), 24000, "One.", turn_id=4, timings=timings))
    while player.buffer.busy():
        time.sleep(0.01)
    time.sleep(0.3)
    player.put(SpeechChunk(tone(24000, 0.2), 24000, "Two.", turn_id=4, timings=timings))
    player.end_turn(4)
    deadline = time.monotonic() + 5
    while player.buffer.busy() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    player.close()
    assert timings.first_audio_out is not None
    assert put_at + 0.25 <= timings.first_audio_out < put_at + 0.25 + 0.2
    assert player.stalls == 1 and 0.25 <= player.stalled_s < 1.0


def test_player_clear_mid_chunk_keeps_the_heard_words(tmp_path):
    events = []
    out = WavFileOutput(tmp_path / "reply.wav", realtime=True)
    player = Player(out, events.append).start()
    words = " ".join(f"word{i}" for i in range(20))
    player.put(SpeechChunk(tone(24000, 6.0), 24000, words, turn_id=5))
    while not player.buffer.frames_out:
        time.sleep(0.01)
    time.sleep(0.5)
    heard = player.clear()
    player.put(SpeechChunk(tone(24000, 1.0), 24000, "late chunk", turn_id=5))  # cut turn: ignored
    player.end_turn(5)
    time.sleep(0.1)
    assert not player.buffer.busy()
    player.close()
    text = heard[5]
    assert words.startswith(text) and 0 < len(text.split()) < 20
    assert [e for e in events if type(e).__name__ == "HeardText"][-1].interrupted
    played = sf.info(tmp_path / "reply.wav").duration
    assert played < 5.0  # the rest of the 6 s chunk never reached the file
