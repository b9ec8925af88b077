"""Memory translations, the parts that need no model: folding search results back to memories, which
facts are translated, cleaning a model's reply, the quiet watch, and the config key."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from jarvis.audio.events import MicLevel, SpeakingChanged, WakeScore
from jarvis.config import parse_settings
from jarvis.errors import ConfigError
from jarvis.llm.translate import clean_reply, translation_messages
from jarvis.memory.base import Record
from jarvis.memory.translations import children, fold, language_pair, translation_id
from jarvis.messages import StatusChange, TokenDelta
from jarvis.pipeline.idle import IdleWatch


def rec(rid: str, score: float, parent: str = "", text: str = "") -> Record:
    meta = {"kind": "translation", "parent": parent} if parent else {"kind": "fact"}
    return Record(rid, text or f"text of {rid}", meta, score)


# ---------------------------------------------------------------------------------- fold
def test_a_translation_stands_for_its_memory_once_at_its_best_score() -> None:
    parents = {"a": rec("a", 0.0, text="Mi perro se llama Toby.")}
    found = [rec("a~en", 0.9, "a"), rec("b", 0.8), rec("a", 0.7), rec("c~es", 0.6, "c"), rec("d", 0.5)]
    out = fold(found, lambda ids: [parents[i] for i in ids if i in parents], k=3)
    assert [(r.id, r.score) for r in out] == [("a", 0.9), ("b", 0.8), ("d", 0.5)]  # c is gone: dropped
    assert out[0].text == "Mi perro se llama Toby." and out[0].metadata == {"kind": "fact"}


def test_fold_fetches_nothing_without_translations() -> None:
    def fetch(ids: list[str]) -> list[Record]:
        raise AssertionError("no fetch needed")

    assert [r.id for r in fold([rec("x", 0.5), rec("y", 0.4)], fetch, k=1)] == ["x"]


def test_translation_ids() -> None:
    assert translation_id("abc", "en") == "abc~en"
    assert children(["a", "b"]) == ["a~en", "a~es", "b~en", "b~es"]


# ---------------------------------------------------------------------------------- which facts
@pytest.mark.parametrize(
    ("text", "language", "pair"),
    [
        ("Mi tortuga se llama Manolo.", None, ("es", "en")),
        ("My dog is called Biscuit.", None, ("en", "es")),
        ("Soy alérgica a la penicilina.", None, ("es", "en")),  # few stopwords: verbs and accents tell
        ("Tengo dos gatos.", None, ("es", "en")),
        ("I have two cats.", None, ("en", "es")),
        ("Biscuit", "es-ES", ("es", "en")),  # the recogniser's language wins over the guess
        ("Mon chat s'appelle Minou et il est très gentil.", None, None),  # French: not translated
        ("x" * 401, "en", None),  # too long
        ("   ", "en", None),
    ],
)
def test_language_pair(text: str, language: str | None, pair: tuple[str, str] | None) -> None:
    assert language_pair(text, language) == pair


# ---------------------------------------------------------------------------------- the reply
@pytest.mark.parametrize(
    ("reply", "want"),
    [
        ("My turtle is called Manolo.", "My turtle is called Manolo."),
        ('"My turtle is called Manolo."', "My turtle is called Manolo."),
        ("Translation: My turtle is called Manolo.", "My turtle is called Manolo."),
        ("My turtle is called Manolo.\n\nNote: Manolo is a name.", "My turtle is called Manolo."),
        ("", ""),
        ("Mi tortuga se llama Manolo.", ""),  # the text itself
        ("Mi tortuga es Manolo y se llama así.", ""),  # still Spanish
        ("My turtle " * 40, ""),  # far too long
    ],
)
def test_clean_reply(reply: str, want: str) -> None:
    assert clean_reply(reply, "Mi tortuga se llama Manolo.", "es", "en") == want


def test_the_prompt_names_both_languages_and_ends_with_the_text() -> None:
    msgs = translation_messages("My dog is called Biscuit.", "en", "es")
    assert "from English to Spanish" in msgs[0].content and msgs[-1].content == "My dog is called Biscuit."
    assert [m.role for m in msgs] == ["system", "user", "assistant", "user"]


# ---------------------------------------------------------------------------------- quiet watch
class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_quiet_means_no_turn_no_speech_and_nothing_for_a_while() -> None:
    clock = Clock()
    watch = IdleWatch(quiet_s=3.0, clock=clock)
    assert not watch.busy()  # quiet from the start
    watch(MicLevel(-60.0, 0.0, "quiet"))
    watch(WakeScore(0.01, 0.5, False))
    assert not watch.busy()  # silence and wake scores are ambient
    watch(StatusChange("thinking"))
    clock.t += 10
    assert watch.busy()  # a turn runs, however long
    watch(StatusChange("idle"))
    assert watch.busy()
    clock.t += 3.1
    assert not watch.busy()
    watch(SpeakingChanged(True))
    clock.t += 10
    assert watch.busy()  # Jarvis speaks
    watch(SpeakingChanged(False))
    clock.t += 3.1
    watch(MicLevel(-20.0, 0.3, "starting"))  # the user starts to speak
    assert watch.busy()


def test_activity_stops_work_in_hand() -> None:
    clock = Clock()
    watch = IdleWatch(quiet_s=3.0, clock=clock)
    stop = threading.Event()
    with watch.stopping(stop):
        watch(MicLevel(-60.0, 0.0, "quiet"))
        assert not stop.is_set()
        watch(TokenDelta("Hi", 1))
        assert stop.is_set()
    later = threading.Event()
    watch(TokenDelta("x", 1))  # not watched any more, and busy now
    with watch.stopping(later):
        assert later.is_set()  # busy on entry: stopped at once


def test_wait_quiet_gives_up_when_told_to() -> None:
    watch = IdleWatch(quiet_s=3.0)
    watch(StatusChange("thinking"))
    stop = threading.Event()
    threading.Timer(0.05, stop.set).start()
    assert watch.wait_quiet(stop, poll_s=0.01) is False


# ---------------------------------------------------------------------------------- config
def test_translate_model_must_be_a_model(tmp_path: Path) -> None:
    models = [{"name": "qwen", "file": "models/q.gguf"}]
    assert parse_settings({"models": models}, tmp_path / "c.toml").memory.translate is True
    ok = parse_settings({"models": models, "memory": {"translate_model": "qwen"}}, tmp_path / "c.toml")
    assert ok.memory.translate_model == "qwen"
    with pytest.raises(ConfigError, match="translate_model 'ghost' is not a"):
        parse_settings({"models": models, "memory": {"translate_model": "ghost"}}, tmp_path / "c.toml")
