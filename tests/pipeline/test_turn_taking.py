"""Turn taking with the end-of-turn judge: real VAD, real Smart Turn, real whisper, WAV files as the mic.

The files are replayed as fast as they are read, so the timing is the VAD's frame clock, not the
wall clock: what is checked is behaviour (how many turns, how each ended, what they carry).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path

import pytest

from devsupport.paths import FIXTURES, MODELS
from jarvis.audio.devices import WavFileInput
from jarvis.audio.segmenter import Segmenter
from jarvis.config import Settings, STTSettings, TurnSettings, VADSettings
from jarvis.messages import StageError, Utterance
from jarvis.pipeline.turn_judge import TurnJudge
from jarvis.stt import load_stt

QUESTIONS = FIXTURES / "speech" / "questions"
SMART_TURN = MODELS / "smart-turn" / "smart-turn-v3.2-cpu.onnx"


@pytest.fixture(scope="module")
def stt():
    model = load_stt(Settings(stt=STTSettings(model=MODELS / "whisper-base")))
    yield model
    model.close()


def run_file(wav: Path, stt, turn: TurnSettings) -> tuple[list[Utterance], list, TurnJudge]:
    """Replay ``wav`` through the VAD with a judge; returns the utterances, the other events, the judge."""
    lock = threading.Lock()
    workers: list[threading.Thread] = []

    def speculate(audio) -> Future:  # the STT stage's job, done here in a plain thread
        done: Future = Future()

        def work() -> None:
            with lock:
                done.set_result(stt.transcribe(audio, quick=True))

        workers.append(threading.Thread(target=work, daemon=True))
        workers[-1].start()
        return done

    judge = TurnJudge(turn, speculate)
    judge.load()
    utterances: list[Utterance] = []
    events: list = []
    seg = Segmenter(
        WavFileInput(wav, realtime=False, pad_s=2.0), VADSettings(), events.append, utterances.append,
        listening=True, judge=judge, turn=turn,
    ).start()
    assert seg.ended.wait(60)
    seg.stop()
    for worker in workers:
        worker.join(30)
    return utterances, events, judge


def turn(**kw) -> TurnSettings:
    return TurnSettings(model=SMART_TURN, **kw)


@pytest.mark.parametrize("name", ["en-capital-pause", "es-capital-pause"])
def test_a_question_with_a_400_ms_pause_in_the_middle_stays_one_turn(name: str, stt) -> None:
    utterances, _, judge = run_file(QUESTIONS / f"{name}.wav", stt, turn())
    assert len(utterances) == 1
    assert utterances[0].reason == "turn_model"
    assert judge.last is not None and judge.last.complete


def test_a_finished_question_ends_at_the_check_with_its_transcript(stt) -> None:
    utterances, _, judge = run_file(QUESTIONS / "en-capital.wav", stt, turn())
    assert len(utterances) == 1
    utt = utterances[0]
    assert utt.reason == "turn_model"  # not the 1.2 s silence limit
    assert utt.transcript is not None and "capital of France" in utt.transcript.text
    assert utt.ended >= utt.speech_end


def test_the_same_pause_ends_the_turn_on_silence_alone(stt) -> None:
    """Without the judge a 400 ms pause is cut when end_silence_ms is shorter: what the judge prevents."""
    events: list = []
    utterances: list[Utterance] = []
    seg = Segmenter(
        WavFileInput(QUESTIONS / "en-capital-pause.wav", realtime=False, pad_s=2.0),
        VADSettings(end_silence_ms=300), events.append, utterances.append, listening=True,
    ).start()
    assert seg.ended.wait(60)
    seg.stop()
    assert len(utterances) == 2
    assert all(u.reason == "silence" and u.transcript is None for u in utterances)


def test_a_missing_model_falls_back_to_the_silence_limit_and_says_so(stt, tmp_path: Path) -> None:
    utterances, events, _ = run_file(
        QUESTIONS / "en-capital.wav", stt, TurnSettings(model=tmp_path / "missing.onnx")
    )
    errors = [e for e in events if isinstance(e, StageError)]
    assert len(errors) == 1 and "end-of-turn model not found" in errors[0].message
    assert "after silence" in errors[0].message and "install.sh" in errors[0].hint
    assert len(utterances) == 1 and utterances[0].reason == "silence"
