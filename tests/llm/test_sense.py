"""The sentence scorer: an unsure English transcript that reads like no sentence is asked again.

The real SmolLM2-135M GGUF the install ships (models/); the transcripts are whisper-base's of
espeak-ng's questions in the voice eval (bench/voice_eval.py).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from devsupport.config import SMOLLM
from jarvis.llm import sense
from jarvis.llm.sense import MIN_ENGLISH_SENSE, reads_as_nonsense


@pytest.fixture(scope="module")
def scorer() -> sense.SentenceScorer:
    loaded = sense.load(SMOLLM, threads=2)
    assert loaded is not None and sense.loaded() is loaded
    return loaded


@pytest.mark.parametrize("heard", ["How many drums are with a cute drum?", "Road from road and Juliet.",
                                   "How many debris Fahrenheit does water freeze?"])
def test_misheard_english_reads_as_nonsense(scorer, heard: str) -> None:
    assert scorer.mean_logprob(heard) < MIN_ENGLISH_SENSE
    assert reads_as_nonsense(heard, "en", True)


@pytest.mark.parametrize("said", ["How many grams are in a kilogram?", "Who wrote Romeo and Juliet?",
                                  "On which continent is Brazil?", "What is a baby kangaroo called?"])
def test_questions_people_ask_read_as_sentences(scorer, said: str) -> None:
    assert scorer.mean_logprob(said) > MIN_ENGLISH_SENSE
    assert not reads_as_nonsense(said, "en", True)


def test_a_follow_up_is_read_after_the_question_before(scorer) -> None:
    alone = scorer.mean_logprob("And a spider.")
    after = scorer.mean_logprob("And a spider.", "How many legs does an insect have?")
    assert after > alone and after > MIN_ENGLISH_SENSE


def test_only_unsure_english_is_judged(scorer) -> None:
    nonsense = "How many drums are with a cute drum?"
    assert not reads_as_nonsense(nonsense, "en", False)  # heard with confidence, or typed
    assert not reads_as_nonsense(nonsense, "es", True)  # Spanish has the word lists (jarvis.stt.lexicon)


def test_a_missing_model_leaves_the_check_off(tmp_path: Path, caplog, scorer) -> None:
    with caplog.at_level(logging.WARNING, logger="jarvis.llm.sense"):
        assert sense.load(tmp_path / "nothing.gguf") is None
    assert "run ./install.sh" in caplog.text
    assert sense.loaded() is scorer  # the one already loaded stays
