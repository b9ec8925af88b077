"""Transcribing speech still going on never blocks the microphone's thread, however far behind it is.

The STT stage here has the real whisper-base model. ``SimpleNamespace`` stands in for the Assistant:
the stage only reads its bus, its cancel scope and ``settings.stt``.
"""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError
from types import SimpleNamespace

import pytest

from devsupport.paths import FIXTURES, MODELS
from jarvis.audio.wavio import read_wav
from jarvis.config import Settings, STTSettings
from jarvis.pipeline.cancel import CancelScope
from jarvis.pipeline.stage import EventBus
from jarvis.pipeline.stt_stage import SttStage
from jarvis.stt import SAMPLE_RATE, load_stt

QUESTION = FIXTURES / "speech" / "questions" / "en-capital.wav"


@pytest.fixture(scope="module")
def stt():
    model = load_stt(Settings(stt=STTSettings(model=MODELS / "whisper-base")))
    yield model
    model.close()


def make_stage(stt) -> SttStage:
    settings = Settings(stt=STTSettings(model=MODELS / "whisper-base"))
    assistant = SimpleNamespace(bus=EventBus(), cancel=CancelScope(), settings=settings)
    return SttStage(assistant, lambda: stt, on_submitted=lambda: None)  # type: ignore[arg-type]


def test_speculation_returns_at_once_when_the_stage_is_far_behind(stt):
    stage = make_stage(stt)  # not started: nothing is decoded, the queue only fills
    audio = read_wav(QUESTION, SAMPLE_RATE)
    futures: list = []
    vad = threading.Thread(target=lambda: futures.extend(stage.speculate(audio) for _ in range(24)), daemon=True)
    vad.start()
    vad.join(timeout=10)
    assert not vad.is_alive()  # it once blocked here for good (the VAD thread stopped reading the mic)
    assert all(f.cancelled() for f in futures[:-1])  # only the newest audio is worth decoding
    assert not futures[-1].cancelled()


def test_the_newest_speculation_is_decoded_and_older_ones_are_skipped(stt):
    stage = make_stage(stt)
    audio = read_wav(QUESTION, SAMPLE_RATE)
    older = [stage.speculate(audio[: len(audio) // 2]) for _ in range(4)]
    newest = stage.speculate(audio)
    stage.start()
    try:
        result = newest.result(timeout=60)
    finally:
        stage.stop()
    assert "capital" in result.text.lower()
    for f in older:
        with pytest.raises(CancelledError):
            f.result(timeout=1)
