"""VAD: the pure state machine with scripted verdicts, and the real classifiers on real speech."""

from __future__ import annotations

import numpy as np
import pytest

from devsupport.voicekit import EN
from jarvis.audio.vad import (
    QUIET,
    SPEAKING,
    STARTING,
    STOPPING,
    SileroClassifier,
    VadMachine,
    WebRtcClassifier,
    make_classifier,
)
from jarvis.audio.wavio import read_wav
from jarvis.config import VADSettings
from jarvis.errors import ConfigError

FRAME = 480  # 30 ms at 16 kHz


def cfg(**kw) -> VADSettings:
    base = dict(
        frame_ms=30, start_ms=90, preroll_ms=150, min_speech_ms=240, end_silence_ms=300, max_utterance_s=3.0
    )
    base.update(kw)
    return VADSettings(**base)


def run(machine: VadMachine, verdicts: str):
    """Feed one frame per character ('x' speech, '.' silence); frame i holds the value i."""
    steps = []
    for ch in verdicts:
        frame = np.full(FRAME, machine.frames_seen, dtype=np.float32)
        steps.append(machine.push(frame, ch == "x"))
    return steps


def test_states_move_quiet_starting_speaking_stopping_quiet():
    m = VadMachine(cfg())
    steps = run(m, "...x")
    assert steps[-1].state == STARTING
    steps = run(m, "xx")  # 3 voiced frames = start_ms
    assert steps[-1].state == SPEAKING and steps[-1].started
    steps = run(m, "xxxxx.")
    assert steps[-1].state == STOPPING
    steps = run(m, "x")  # speech again: back to speaking
    assert steps[-1].state == SPEAKING
    steps = run(m, "..........")  # 10 silent frames = end_silence_ms
    ends = [s for s in steps if s.segment is not None]
    assert len(ends) == 1 and ends[0].segment.reason == "silence"
    assert m.state == QUIET


def test_segment_keeps_preroll_and_drops_long_trailing_silence():
    m = VadMachine(cfg(end_silence_ms=600))
    steps = run(m, "......" + "x" * 10 + "." * 20)
    seg = next(s.segment for s in steps if s.segment is not None)
    first_value = int(seg.audio[0])
    assert first_value == 6 - 5  # 150 ms pre-roll = 5 frames before the first voiced frame (6)
    assert seg.speech_ms == 10 * 30
    assert seg.last_speech_frame == 15
    n_frames = len(seg.audio) // FRAME
    assert n_frames == 5 + 10 + 10  # 300 ms of the 600 ms trailing silence is kept


def test_blip_shorter_than_start_returns_to_quiet():
    m = VadMachine(cfg())
    steps = run(m, "..x....")
    assert steps[2].state == STARTING
    assert steps[-1].state == QUIET
    assert not any(s.started for s in steps)


def test_short_utterance_is_discarded():
    m = VadMachine(cfg(start_ms=30, min_speech_ms=300))
    steps = run(m, "xxxx" + "." * 12)
    assert any(s.started for s in steps)
    assert not any(s.segment for s in steps)
    assert any(s.discarded for s in steps)


def test_max_utterance_cuts_long_speech():
    m = VadMachine(cfg(max_utterance_s=0.9))  # 30 frames
    steps = run(m, "x" * 70)
    segs = [s.segment for s in steps if s.segment is not None]
    assert len(segs) == 2
    assert all(s.reason == "max_length" for s in segs)
    assert len(segs[0].audio) == 30 * FRAME


def test_flush_ends_speech_and_ignores_starting():
    m = VadMachine(cfg())
    run(m, "xxxxxxxxxx")
    step = m.flush()
    assert step.segment is not None and step.segment.reason == "flush"
    m2 = VadMachine(cfg())
    run(m2, "x")
    assert m2.flush().segment is None and m2.state == QUIET


def with_silence(audio: np.ndarray, before: float = 1.0, after: float = 1.0) -> np.ndarray:
    pad = np.zeros(int(16000 * before), np.float32), np.zeros(int(16000 * after), np.float32)
    return np.concatenate([pad[0], audio, pad[1]])


def segments(engine: str, audio: np.ndarray) -> list:
    c = VADSettings(engine=engine)
    m, classify = VadMachine(c), make_classifier(c)
    out = []
    for i in range(0, len(audio) - FRAME + 1, FRAME):
        frame = audio[i:i + FRAME]
        step = m.push(frame, classify(frame))
        if step.segment is not None:
            out.append(step.segment)
    end = m.flush()
    if end.segment is not None:
        out.append(end.segment)
    return out


@pytest.mark.parametrize("engine", ["webrtc", "silero"])
def test_real_speech_gives_one_utterance_and_silence_none(engine):
    speech = read_wav(EN / "librivox-0870.wav")
    segs = segments(engine, with_silence(speech))
    assert len(segs) == 1
    seg = segs[0]
    assert seg.speech_ms > 4000  # most of the 7 s sentence is voiced
    # the speech ended inside the last second of the sentence (1 s of silence was added before it)
    end_s = (seg.last_speech_frame + 1) * 0.03
    assert 1.0 + len(speech) / 16000 - 1.0 < end_s <= 1.0 + len(speech) / 16000 + 0.1
    assert segments(engine, np.zeros(16000 * 3, np.float32)) == []


def test_silero_ignores_steady_noise():
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(16000 * 3) * 0.05).astype(np.float32)
    assert segments("silero", noise) == []


def test_classifier_settings_are_checked():
    with pytest.raises(ConfigError, match="webrtcvad"):
        WebRtcClassifier(2, 22050)
    with pytest.raises(ConfigError, match="16000"):
        SileroClassifier(sample_rate=8000)


def test_check_is_flagged_once_per_pause_and_end_now_cuts_there():
    m = VadMachine(cfg(end_silence_ms=300), end_silence_ms=900, check_ms=90)
    steps = run(m, "xxxxxx" + "...")  # 3 silent frames = check_ms
    assert [s.check for s in steps] == [False] * 8 + [True]
    steps = run(m, "xx" + "....")  # speech again, then a second pause: a second check
    assert sum(s.check for s in steps) == 1
    end = m.end_now("turn_model")
    assert end.segment is not None and end.segment.reason == "turn_model"
    assert m.state == QUIET


def test_without_an_early_end_the_longer_silence_limit_applies():
    m = VadMachine(cfg(end_silence_ms=300), end_silence_ms=900, check_ms=90)
    steps = run(m, "x" * 10 + "." * 29)
    assert all(s.segment is None for s in steps)  # 300 ms is no longer the limit
    steps = run(m, ".")  # the 30th silent frame = 900 ms
    assert steps[-1].segment is not None and steps[-1].segment.reason == "silence"


def test_falling_back_to_the_silence_limit_stops_checks():
    m = VadMachine(cfg(end_silence_ms=300), end_silence_ms=900, check_ms=90)
    m.use_silence_limit(300)
    steps = run(m, "x" * 10 + "..........")
    assert not any(s.check for s in steps)
    assert steps[-1].segment is not None


def test_partial_is_flagged_every_partial_ms_of_speech():
    m = VadMachine(cfg(max_utterance_s=10.0), partial_ms=300)  # every 10 frames
    steps = run(m, "x" * 35)
    flagged = [i for i, s in enumerate(steps) if s.partial]
    assert len(flagged) == 3
    assert len(m.audio_so_far()) == 35 * FRAME
