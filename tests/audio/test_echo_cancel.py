"""Echo cancellation: the real WebRTC AEC3 (livekit) on a simulated speaker -> room -> mic path.

The rig is the one of ``bench/echo_cancel.py``: a synthetic voice (the Spanish fixtures, made by
the project's voices) played through a delay, a gain and a decaying-noise room response; a LibriVox
speaker talks over it. The VAD is the project's (webrtcvad with the ``audio.vad`` defaults).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from bench.echo_cancel import SR, erle_db, onset, room_echo, run_aec, vad_starts
from devsupport.paths import FIXTURES
from jarvis.audio.echo_cancel import EchoCanceller, available, estimate_delay
from jarvis.audio.wavio import read_wav
from jarvis.errors import AudioFormatError, JarvisError

SPEECH = FIXTURES / "speech"


def _jarvis_voice(seconds: float = 7.0) -> np.ndarray:
    clips = [read_wav(SPEECH / "es" / f"{n}.wav", SR) for n in ("conteo", "pangrama", "hola_mundo")]
    gap = np.zeros(SR // 5, np.float32)
    voice = np.concatenate([np.concatenate([c, gap]) for c in clips])
    return np.tile(voice, 3)[: int(seconds * SR)].astype(np.float32)


def _echo(far: np.ndarray, delay_ms: int, gain_db: float, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    echo = room_echo(far, rng, delay_ms, gain_db, 0.25)
    return echo + (rng.standard_normal(len(far)) * 1e-3).astype(np.float32)


@pytest.mark.parametrize(("delay_ms", "gain_db"), [(40, -8.0), (110, -14.0)])
def test_echo_is_cancelled_and_the_vad_stays_quiet(delay_ms: int, gain_db: float) -> None:
    far = _jarvis_voice()
    mic = _echo(far, delay_ms, gain_db)
    out = run_aec(far, mic)
    assert len(out) == len(mic)
    assert erle_db(mic[SR:], out[SR:]) >= 10.0  # without AEC the ERLE is 0 dB by definition
    assert vad_starts(mic), "the rig's echo should fool the VAD without AEC"
    assert [s for s in vad_starts(out) if s >= SR] == []  # once converged, echo alone does not start a turn


def test_user_barges_in_over_the_echo() -> None:
    far = _jarvis_voice()
    mic = _echo(far, 80, -10.0)
    user = read_wav(SPEECH / "en" / "librivox-0880.wav", SR)
    user = user / np.sqrt((user**2).mean()) * 10 ** (-22 / 20)
    start = 3 * SR
    end = min(len(mic), start + len(user))
    mic[start:end] += user[: end - start]
    user_at = start + onset(user)
    starts = [s for s in vad_starts(run_aec(far, mic)) if s >= SR]
    assert starts, "the VAD did not hear the user over the cancelled echo"
    assert user_at <= starts[0] <= user_at + int(0.5 * SR)


def test_any_block_size_and_int16_keep_their_shape() -> None:
    far = _jarvis_voice(2.0)
    mic = (_echo(far, 50, -10.0) * 32767).astype(np.int16)
    ec = EchoCanceller(SR, delay_ms=50)
    pos, sizes, outs = 0, [100, 333, 160, 1024, 7], []
    while pos < len(mic):
        n = sizes[len(outs) % len(sizes)]
        ec.far(far[pos : pos + n])
        got = ec.near(mic[pos : pos + n])
        assert got.dtype == np.int16 and len(got) == len(mic[pos : pos + n])
        outs.append(got)
        pos += n
    ec.reset_far()
    ec.close()
    assert sum(len(o) for o in outs) == len(mic)


def test_delay_estimate_on_a_probe() -> None:
    far = _jarvis_voice(2.0)
    for delay in (30, 75, 120):
        est, confidence = estimate_delay(far, _echo(far, delay, -12.0), SR)
        assert abs(est - delay) <= 5 and confidence > 5


def test_missing_library_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "livekit", None)
    assert not available() and not EchoCanceller.available()
    with pytest.raises(JarvisError) as info:
        EchoCanceller()
    assert "livekit" in info.value.message and info.value.hint


def test_unsupported_rate() -> None:
    with pytest.raises(AudioFormatError):
        EchoCanceller(22050)
