"""Tutor mode: a scripted learner session with mistakes (real Qwen, real USE embedder), saved and shown by stats."""

from __future__ import annotations

import json

import pytest

from devsupport.config import write_config
from devsupport.paths import MODELS
from jarvis.assembly import build
from jarvis.cli import main
from jarvis.config import load_settings
from jarvis.errors import ConfigError
from jarvis.profiles import apply_profile
from jarvis.tutor.feedback import TutorFeedback
from jarvis.tutor.rules import spanish_corrections

PROFILE = """
[[profiles]]
name = "tutor-es-restaurant"
kind = "tutor"
language = "es"
level = "A2"
scenario = "You are a waiter in a small restaurant in Madrid; the learner orders dinner."
voice = "ef_dora"
speed = 0.9
"""
LEARNER = [
    "Buenas noches, yo quiere una mesa para dos.",  # conjugation
    "Quiero el cerveza y la pollo con patatas.",  # gender x2
    "¿Quién ganó el partido de fútbol ayer en la liga?",  # off topic
    "De postre quiero la flan y un café, por favor.",  # gender
]


def test_rules_find_common_a2_mistakes_and_pass_correct_spanish():
    assert [c.right for c in spanish_corrections("Quiero el cerveza y la pollo")] == ["la cerveza", "el pollo"]
    assert [c.right for c in spanish_corrections("Yo quiere agua, please")] == ["yo quiero", "por favor"]
    assert spanish_corrections("Quiero la cerveza y el pollo, por favor.") == []


def test_scripted_session_gets_corrections_notices_off_topic_and_is_saved(tmp_path, capsys):
    path = write_config(
        tmp_path, PROFILE, llm='system_prompt = "x"\nmax_tokens = 24\ntemperature = 0.0\nseed = 1',
        memory=f'enabled = false\nembedder = "{MODELS / "use-multilingual-v3"}"',
    )
    settings = apply_profile(load_settings(path), "tutor-es-restaurant")
    assert settings.stt.language == "es" and settings.tts.kokoro_voice_for["es"] == "ef_dora"
    assert "waiter" in settings.llm.system_prompt
    events: list = []
    with build(settings, metrics=False) as jarvis:
        jarvis.assistant.bus.subscribe(events.append)
        for line in LEARNER:
            done = jarvis.assistant.ask(line)
            assert done.language == "es"
    feedback = [e for e in events if isinstance(e, TutorFeedback)]
    assert len(feedback) == 4
    assert [len(f.corrections) for f in feedback] == [1, 2, 0, 1]
    assert [f.off_topic for f in feedback] == [False, False, True, False], [f.similarity for f in feedback]
    assert main(["--config", str(path), "stats", "--profile", "tutor-es-restaurant", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["sessions"] == 1 and report["turns"] == 4
    assert report["corrections"] == {"grammar": 4}
    assert report["words"] == sum(len(t.split()) for t in LEARNER)


def test_unknown_profile_is_a_clean_error(tmp_path, capsys):
    path = write_config(tmp_path, PROFILE)
    with pytest.raises(ConfigError, match="unknown profile"):
        apply_profile(load_settings(path), "nope")
    assert main(["--config", str(path), "--profile", "nope", "stats"]) == 2
    assert "tutor-es-restaurant" in capsys.readouterr().err


def test_tutor_profile_without_scenario_is_a_config_error(tmp_path, capsys):
    path = write_config(tmp_path, '[[profiles]]\nname = "t"\nkind = "tutor"\nlanguage = "es"\n')
    assert main(["--config", str(path), "stats"]) == 2
    assert "profiles[0]" in capsys.readouterr().err


def test_a_profiles_unknown_voice_blames_the_profile(tmp_path):
    bad = PROFILE.replace('voice = "ef_dora"', 'voice = "ef_nobody"')
    path = write_config(tmp_path, bad, tts=f'enabled = false\nkokoro_voices = "{MODELS / "kokoro" / "voices.npz"}"\n'
                                          f'kokoro_styles = "{MODELS / "kokoro" / "styles"}"')
    with pytest.raises(ConfigError) as err:
        apply_profile(load_settings(path), "tutor-es-restaurant")
    assert "profile 'tutor-es-restaurant'" in err.value.message and "ef_nobody" in err.value.message
    assert "ef_dora" in err.value.hint and "kokoro_voice_for" not in err.value.message
