"""Short factual, arithmetic and small-talk prompts go to a model that answers them.

``tests/data/model_bands.json`` is the measurement of bench/model_bands.py (every shipped model on
the same prompts, greedy); config.toml's difficulty ranges are set from it. The router must send
each prompt to a model that got it right there, and the capital-of-France question, answered by
the real routed model, says Paris.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jarvis.config import load_settings
from jarvis.llm.router import Router
from jarvis.pipeline.runner import Assistant
from tests.support.paths import DATA, ROOT

MEASURED_FILE = DATA / "model_bands.json"
MEASURED = (json.loads(MEASURED_FILE.read_text(encoding="utf-8")) if MEASURED_FILE.is_file()
            else {"results": []})
RIGHT: dict[str, set[str]] = {}
for row in MEASURED["results"]:
    RIGHT.setdefault(row["prompt"], set())
    if row["ok"]:
        RIGHT[row["prompt"]].add(row["model"])
FRANCE = "What is the capital of France? Answer in one word."


@pytest.fixture(scope="module")
def repo_settings():
    return load_settings(ROOT / "config.toml")


@pytest.mark.parametrize("prompt", sorted(p for p, ok in RIGHT.items() if ok))
def test_prompt_goes_to_a_model_that_answered_it(repo_settings, prompt):
    d = Router(repo_settings, env={}).decide(prompt)
    assert d.model in RIGHT[prompt], f"{d.reason}; right in the measurement: {sorted(RIGHT[prompt])}"


def test_the_measurement_covers_the_shipped_models(repo_settings):
    assert MEASURED_FILE.is_file(), "run bench/model_bands.py --write tests/data/model_bands.json"
    local = {m.name for m in repo_settings.models if m.is_local}
    assert {r["model"] for r in MEASURED["results"]} == local
    assert FRANCE in RIGHT and RIGHT[FRANCE]


def test_capital_of_france_routed_and_answered_by_a_real_model(repo_settings, tmp_path: Path):
    s = repo_settings.model_copy(update={
        "general": repo_settings.general.model_copy(update={"data_dir": tmp_path}),
        "memory": repo_settings.memory.model_copy(update={"enabled": False}),
        "llm": repo_settings.llm.model_copy(update={"max_tokens": 12, "temperature": 0.0}),
    })
    assistant = Assistant(s).start(preload=False)
    try:
        done = assistant.ask(FRANCE)
    finally:
        assistant.shutdown()
    assert done.model == Router(s, env={}).decide(FRANCE).model != "smollm2-135m"
    assert "paris" in done.text.lower(), done.text
