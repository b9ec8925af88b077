"""The echo-cancelled microphone's logic with scripted device clocks (the real WebRTC AEC3, no sound server).

A scripted microphone hands out blocks with the capture times a PortAudio stream would give, and
the speaker's blocks are pushed with their play times, as the speaker's callback does; the room is
the one of ``bench/echo_cancel.py`` (delay, gain, decaying-noise response, -60 dBFS mic noise).
The live rig (PulseAudio, the whole voice loop) is in ``tests/pipeline/test_echo_loop.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import soxr

from bench.echo_cancel import erle_db, room_echo, vad_starts
from devsupport.paths import FIXTURES
from jarvis.audio.comfort_noise import ComfortNoise
from jarvis.audio.devices import AudioInput
from jarvis.audio.double_talk import DoubleTalkDetector
from jarvis.audio.echo_cancel import EchoCanceller
from jarvis.audio.echo_input import LEAD_MS, EchoCancelledInput
from jarvis.audio.echo_plan import HEADSET_DEPRECATED, aec_problem, plan_echo
from jarvis.audio.echo_reference import SLACK_S, EchoReference, StreamClock
from jarvis.audio.wavio import read_wav
from jarvis.config import AudioSettings

SR, OUT = 16000, 24000
BLOCK, OUT_BLOCK = 480, 480  # 30 ms at the mic, 20 ms at the speaker
T0 = 5000.0  # device clock at stream start


def jarvis_voice(seconds: float) -> np.ndarray:
    """Jarvis's voice after 1 s of quiet (the microphone is open before Jarvis speaks)."""
    clips = [read_wav(FIXTURES / "speech" / "es" / f"{n}.wav", SR) for n in ("conteo", "pangrama", "hola_mundo")]
    gap = np.zeros(SR // 5, np.float32)
    voice = np.concatenate([np.zeros(SR, np.float32), *(np.concatenate([c, gap]) for c in clips * 4)])
    return voice[: int(seconds * SR)].astype(np.float32)


class ScriptedMic(AudioInput):
    """A microphone whose blocks and capture times are given in advance."""

    live = True

    def __init__(self, audio: np.ndarray, times: list[float]) -> None:
        self.audio, self.times = audio, times
        self.name, self.sample_rate, self.block_frames = "scripted", SR, BLOCK
        self.i = 0

    def start(self) -> None:
        pass

    def read(self, timeout: float = 0.1):
        if self.i * BLOCK >= len(self.audio):
            return None
        self.block_time = self.times[self.i]
        block = self.audio[self.i * BLOCK : (self.i + 1) * BLOCK]
        self.i += 1
        return block

    def close(self) -> None:
        pass


def run(far: np.ndarray, mic: np.ndarray, play_times, capture_skew: float = 0.0, canceller=None, seed: int = 1):
    """Play ``far`` (16 kHz) at ``play_times(k)`` and read ``mic``; returns (input, raw, cancelled, heard)."""
    rng = np.random.default_rng(seed)
    n_blocks = len(mic) // BLOCK
    times = [T0 + j * BLOCK / SR + capture_skew + rng.uniform(-0.003, 0.003) for j in range(n_blocks)]
    ref = EchoReference(OUT, SR)
    failures: list[str] = []
    source = EchoCancelledInput(ScriptedMic(mic, times), ref, canceller, on_failure=failures.append)
    source.failures = failures  # type: ignore[attr-defined]
    raw, cancelled, heard, read = [], [], [], []
    source.tap = lambda r, f, c, h: (raw.append(r), cancelled.append(c), heard.append(h))
    far24 = soxr.resample(far, SR, OUT).astype(np.float32)
    pushed = 0
    for j in range(n_blocks):
        true_now = T0 + (j + 1) * BLOCK / SR
        while pushed < len(far24) and play_times(pushed) <= true_now + 0.1:  # the speaker runs ahead
            ref.push(far24[pushed : pushed + OUT_BLOCK], play_times(pushed))
            pushed += OUT_BLOCK
        read.append(source.read())
    source.blocks_read = read  # type: ignore[attr-defined]
    cat = np.concatenate
    return source, cat(raw or [mic]), cat(cancelled or [mic]), cat(heard or [mic])


def echo_of(played: np.ndarray, delay_ms: int = 50, gain_db: float = -8.0, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    echo = room_echo(played, rng, delay_ms, gain_db, 0.2)
    return echo + (rng.standard_normal(len(played)) * 1e-3).astype(np.float32)


def test_stream_clock_ignores_start_up_stamps_and_jitter():
    clock = StreamClock(SR)
    clock.add(0, 100.0 - 0.5)  # PortAudio's first stamp is half a second off
    rng = np.random.default_rng(0)
    for j in range(1, 60):
        clock.add(j * BLOCK, 100.0 + j * BLOCK / SR + rng.uniform(-0.004, 0.004))
    assert clock.epoch == pytest.approx(100.0, abs=0.004)
    moves = clock.moves
    for j in range(60, 200):  # jitter within the slack does not move the alignment
        clock.add(j * BLOCK, 100.0 + j * BLOCK / SR + rng.uniform(-0.004, 0.004))
    assert clock.moves == moves
    for j in range(200, 400):  # a real step does (to within the slack: the reference leads by more)
        clock.add(j * BLOCK, 100.05 + j * BLOCK / SR)
    assert clock.epoch == pytest.approx(100.05, abs=SLACK_S) and clock.moves > moves
    assert SLACK_S * 1000 < LEAD_MS


def test_reference_follows_an_output_underrun():
    """The speaker played 100 ms of silence mid-stream (a late callback): what played when stays right."""
    ref = EchoReference(OUT, SR)
    ramp = (np.arange(OUT * 4) % 24000 / 24000).astype(np.float32)  # sample value tells its index
    for k in range(0, len(ramp), OUT_BLOCK):
        late = 0.1 if k >= 2 * OUT else 0.0
        ref.push(ramp[k : k + OUT_BLOCK], T0 + k / OUT + late)
    ref.push(ramp[:OUT_BLOCK], T0 + 0.9)  # one stray stamp does not start a span
    ref.drain()
    assert ref.spans == 2
    before = ref.aligned(T0 + 1.5, 160)
    assert before[80] == pytest.approx(ramp[int(1.5 * OUT) + 120], abs=0.002)
    assert not ref.aligned(T0 + 2.03, 160).any()  # inside the gap: silence was played
    after = ref.aligned(T0 + 2.5, 160)
    assert after[80] == pytest.approx(ramp[int(2.4 * OUT) + 120], abs=0.002)


def test_echo_is_cancelled_and_the_delay_measured():
    far = jarvis_voice(8.0)
    mic = echo_of(far)
    source, raw, cancelled, heard = run(far, mic, lambda k: T0 + k / OUT)
    stats = source.stats
    assert stats.delay_ms is not None and 45 <= stats.delay_ms <= 60, stats
    assert stats.realigned == 0 and source.settled and not source.failed
    assert erle_db(raw[2 * SR :], cancelled[2 * SR :]) >= 15.0  # without it: 0 dB by definition
    assert vad_starts(raw), "the rig's echo should start the VAD without cancelling"
    assert [s for s in vad_starts(heard) if s >= SR] == []  # after the warm-up, echo alone starts nothing


def test_an_underrun_mid_reply_keeps_the_echo_cancelled():
    far = jarvis_voice(8.0)
    gap_at, gap = 3 * SR, SR // 10  # 100 ms of silence played at 3 s
    played = np.concatenate([far[:gap_at], np.zeros(gap, np.float32), far[gap_at:]])[: len(far)]
    mic = echo_of(played)

    def play_time(k: int) -> float:  # speaker samples after the underrun play 100 ms later
        return T0 + k / OUT + (0.1 if k >= 3 * OUT else 0.0)

    source, raw, cancelled, _ = run(far, mic, play_time)
    assert source.reference.spans >= 2
    assert erle_db(raw[4 * SR :], cancelled[4 * SR :]) >= 15.0


def test_clocks_that_disagree_are_corrected_by_the_delay_estimate():
    """The mic's capture times are 120 ms early: the echo seems to come before its sound was played;
    two agreeing estimates re-aim the reference and cancelling works again."""
    far = jarvis_voice(12.0)
    mic = echo_of(far)
    source, raw, cancelled, _ = run(far, mic, lambda k: T0 + k / OUT, capture_skew=-0.12)
    stats = source.stats
    assert stats.realigned >= 1, stats
    assert stats.delay_ms is not None and -80 <= stats.delay_ms <= -60
    assert erle_db(raw[-3 * SR :], cancelled[-3 * SR :]) >= 15.0


def test_a_failing_canceller_passes_the_raw_audio_and_says_so_once():
    class Broken(EchoCanceller):
        def near(self, block):
            raise RuntimeError("native module crashed")

    far = jarvis_voice(2.0)
    mic = echo_of(far)
    source, _, _, _ = run(far, mic, lambda k: T0 + k / OUT, canceller=Broken(SR))
    assert source.failed and source.failures == ["it failed: native module crashed"]  # type: ignore[attr-defined]
    got = np.concatenate(source.blocks_read)  # type: ignore[attr-defined]
    assert np.array_equal(got, mic[: len(got)]) and len(got) == len(mic) // BLOCK * BLOCK  # the raw audio
    assert not source.settled


def test_comfort_noise_fills_suppressed_blocks_up_to_the_floor():
    rng = np.random.default_rng(0)
    cn = ComfortNoise()
    cn.observe(np.zeros(BLOCK, np.float32), far_active=False)  # digital silence is not a floor
    assert cn.floor is None
    for _ in range(50):
        cn.observe((rng.standard_normal(BLOCK) * 1e-3).astype(np.float32), far_active=False)
    cn.observe((rng.standard_normal(BLOCK) * 0.3).astype(np.float32), far_active=True)  # echo: not learnt
    assert cn.floor == pytest.approx(1e-6, rel=0.3)
    filled = cn.fill((rng.standard_normal(BLOCK) * 1e-5).astype(np.float32))  # AEC3 took the floor out too
    assert float(np.mean(filled**2)) == pytest.approx(cn.floor, rel=0.4)
    voice = (rng.standard_normal(BLOCK) * 0.05).astype(np.float32)
    assert cn.fill(voice) is voice  # the user's voice passes untouched


def test_echo_plan_from_the_settings():
    assert plan_echo(AudioSettings()).guard == "aec"  # open speakers by default, livekit installed
    assert plan_echo(AudioSettings(echo_cancel="off")).guard == "mute"
    headset = plan_echo(AudioSettings(speakers="headset"))
    assert headset.guard == "none" and headset.barge_in_by_voice and headset.notes == ()
    old = AudioSettings(headset=True)  # the old key is mapped, and the plan carries a note
    assert old.speakers == "headset" and plan_echo(old).notes == (HEADSET_DEPRECATED,)
    assert AudioSettings(headset=False).speakers == "open"
    assert AudioSettings(headset=True, speakers="open").speakers == "open"  # the new key wins
    odd = plan_echo(AudioSettings(sample_rate=22050))
    assert odd.guard == "mute" and "22050" in (odd.aec_problem or "") and not odd.barge_in_by_voice
    assert aec_problem(16000) is None


def test_double_talk_is_more_than_the_echo_explains():
    dtd = DoubleTalkDetector()
    rng = np.random.default_rng(0)
    floor = 1e-6
    verdicts = []
    for _ in range(60):  # Jarvis speaking, the microphone hears ~1/4 of its power back
        far = float(rng.uniform(1e-3, 1e-2))
        verdicts.append(dtd.update(far * 0.25 * rng.uniform(0.5, 1.0), far, floor))
    assert verdicts[:20] == [None] * 20 and set(verdicts[20:]) == {False}  # learnt, then: echo only
    assert dtd.update(5e-3 * 0.25 + 0.02, 5e-3, floor) is True  # someone speaks over it
    assert dtd.update(5e-3 * 0.25 * 2.0, 5e-3, floor) is False  # a louder echo (a leak) is not a voice
    for _ in range(30):  # Jarvis stops; its reverberation dies away
        dtd.update(1e-6, 0.0, floor)
    assert dtd.update(1e-6, 0.0, floor) is None  # no echo above the floor is expected: nothing to tell
