"""The response cache keeps answers to general questions only, survives restarts, and forgets."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from jarvis.llm.answer_cache import AnswerCache, cacheable_question, is_unsure

GENERAL = ["What is the capital of France?", "¿Cuál es la capital de Francia?", "Who wrote Romeo and Juliet?",
           "How many legs does a spider have?", "¿Cuántos días tiene una semana?"]
NEVER = ["What is my dog's name?", "¿Cómo se llama mi hermana?", "What day is it today?", "¿Qué hora es ahora?",
         "And Italy?", "¿Y la de Italia?", "Who wrote it?", "What about Spain?", "What's the weather like?",
         "Hi", "Tell me more about that.", "What did I tell you?"]


@pytest.mark.parametrize("question", GENERAL)
def test_general_questions_are_cached(question: str) -> None:
    assert cacheable_question(question)


@pytest.mark.parametrize("question", NEVER)
def test_personal_timely_and_follow_up_questions_never_are(question: str) -> None:
    assert not cacheable_question(question)


def test_kept_across_instances_and_forgotten(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path)
    assert cache.put("What is the capital of France?", "en", "Paris.", "qwen-1.5b")
    assert not cache.put("What is my dog's name?", "en", "Rex.", "qwen-1.5b")
    assert stat.S_IMODE((tmp_path / "answers.json").stat().st_mode) == 0o600
    again = AnswerCache(tmp_path)  # a restart, or another Jarvis process
    hit = again.get("what is the capital of france", "en")
    assert hit is not None and hit["text"] == "Paris."
    assert again.get("What is the capital of France?", "es") is None  # per language
    assert cache.forget(["The capital of France is Paris"]) == 1
    assert again.get("What is the capital of France?", "en") is None  # the other instance sees it


def test_bounded_and_broken_file_tolerated(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path, max_entries=3)
    for n in range(5):
        cache.put(f"How many legs does animal number {n} have?", "en", f"{n} legs.", "m")
    kept = json.loads((tmp_path / "answers.json").read_text())
    assert len(kept) == 3 and cache.get("How many legs does animal number 0 have?", "en") is None
    (tmp_path / "answers.json").write_text("{not json")
    fresh = AnswerCache(tmp_path)
    assert fresh.get("How many legs does animal number 4 have?", "en") is None
    assert fresh.put("Who wrote Hamlet?", "en", "Shakespeare.", "m")


def test_unsure_replies_are_recognised() -> None:
    assert is_unsure("I'm not sure about that.") and is_unsure("No lo sé.")
    assert not is_unsure("Paris is the capital of France.")

