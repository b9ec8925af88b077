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

from devsupport.paths import DATA, ROOT
from jarvis.config import load_settings
from jarvis.llm.router import Router
from jarvis.pipeline.runner import Assistant

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


KINDS: dict[str, list[str]] = {}
for row in MEASURED["results"]:
    KINDS.setdefault(row["kind"], [])
    if row["prompt"] not in KINDS[row["kind"]]:
        KINDS[row["kind"]].append(row["prompt"])
TOLERANCE = 0.15  # a model may take a kind when it answers it nearly as well as the best one


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_goes_to_a_model_that_answers_it_well(repo_settings, kind):
    """No single model answers every prompt (the measurement says so), so the bands are per kind:
    every prompt of a kind goes to a model within TOLERANCE of the best accuracy on that kind."""
    accuracy = MEASURED["accuracy"]
    best = max(a[kind] for a in accuracy.values())
    router = Router(repo_settings, env={})
    for prompt in KINDS[kind]:
        d = router.decide(prompt)
        assert accuracy[d.model][kind] >= best - TOLERANCE, f"{prompt!r}: {d.model} ({d.reason})"


def test_arithmetic_never_waits_for_a_model(repo_settings):
    """Plain arithmetic is answered exactly by the instant path (the calculator), before routing."""
    from jarvis.tools.intents import match

    for prompt in KINDS.get("arithmetic", []):
        intent = match(prompt)
        assert intent is not None and intent.kind == "math", prompt


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
