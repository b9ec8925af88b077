"""The end-of-turn model (Smart Turn v3.2, real ONNX) and the word rule beside it, on real speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from devsupport.paths import MODELS
from devsupport.voicekit import EN
from jarvis.audio.turn_end import TurnEndModel, ends_unfinished
from jarvis.audio.wavio import read_wav
from jarvis.errors import ModelNotFound

SMART_TURN = MODELS / "smart-turn" / "smart-turn-v3.2-cpu.onnx"
QUIET = np.zeros(3200, np.float32)  # the 200 ms of silence the VAD has heard when it asks


@pytest.fixture(scope="module")
def model() -> TurnEndModel:
    return TurnEndModel(SMART_TURN)


def test_features_are_eight_seconds_of_whisper_log_mel(model) -> None:
    short = model.features(np.ones(16000, np.float32) * 0.1)
    long = model.features(np.random.default_rng(0).standard_normal(16000 * 12).astype(np.float32))
    assert short.shape == long.shape == (1, 80, 800)
    assert short.dtype == np.float32


def test_a_finished_sentence_scores_above_one_cut_mid_sentence(model) -> None:
    """LibriVox: "had he married a more amiable woman he might have been made still more respectable
    than he was" - whole, and cut after "...woman, he" (2.68 s)."""
    audio = read_wav(EN / "librivox-0920.wav")
    whole = model.probability(np.concatenate([audio[: int(5.6 * 16000)], QUIET]))
    cut = model.probability(np.concatenate([audio[: int(2.68 * 16000)], QUIET]))
    assert 0.0 <= cut < 0.5 <= whole <= 1.0
    assert model.last_seconds > 0


@pytest.mark.parametrize(
    ("text", "unfinished"),
    [
        ("What is the capital of?", True),
        ("¿Cuál es la capital de", True),
        ("tell me about the", True),
        ("What is the capital of France?", False),
        # a sentence may end on a preposition: the rule then only delays the end (to the longer
        # silence limit); it never cuts a turn short
        ("Who did you go with", True),
        ("Where did that come from.", True),
        ("Cuéntame un chiste.", False),
        ("", False),
    ],
)
def test_ends_unfinished(text: str, unfinished: bool) -> None:
    assert ends_unfinished(text) is unfinished


def test_missing_model_file_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound) as err:
        TurnEndModel(tmp_path / "nope.onnx")
    assert "install.sh" in err.value.hint
