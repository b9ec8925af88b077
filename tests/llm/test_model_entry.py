"""The ``[[models]]`` block made from a GGUF header: config.py loads it, the planner places it on the
GPU it fits, and the router sends it the hard requests (after narrowing the smaller model's range).

A 7B model cannot be downloaded here, so its header is written alone (the real tensor table of a
Qwen2.5-7B-sized model, no data): the block only needs the header.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devsupport.paths import ROOT
from jarvis.config import load_settings
from jarvis.errors import ConfigError
from jarvis.gguf import read_gguf
from jarvis.hardware import GPUInfo, Machine, plan_for
from jarvis.llm.model_entry import add_to_config, entry_for, file_value, suggest_name
from jarvis.llm.router import Router
from tests.support.gguf_writer import qwen7b_header

HARD = "Prove that there are infinitely many primes and explain each step carefully."


@pytest.fixture
def setup(tmp_path: Path):
    config = tmp_path / "config.toml"
    shutil.copyfile(ROOT / "config.toml", config)  # the shipped config: its comments and its model table
    models = tmp_path / "models"
    models.mkdir()
    gguf = qwen7b_header(models / "Qwen2.5-7B-Instruct-Q4_K_M.gguf")
    entry = entry_for(read_gguf(gguf), file_value(gguf, config), source="pulled from x/y by a test")
    return config, entry


def test_the_block_describes_the_model(setup):
    config, entry = setup
    assert entry.name == "qwen2.5-7b-instruct-q4_k_m" and entry.file == "models/Qwen2.5-7B-Instruct-Q4_K_M.gguf"
    # weights 4085 MiB + KV cache 224 + compute 318 at 4096 tokens, +5% and 64 MiB
    assert entry.memory_mb == 4922 and entry.context == 4096
    assert entry.difficulty == (46, 100) and "reasoning" in entry.specialties and "math" in entry.specialties
    text = entry.toml()
    assert "# Qwen2.5 7B Instruct: qwen2 7.6B Q4_K_M, 28 layers" in text and "# pulled from x/y" in text
    assert "memory_mb = 4922  # weights 4085 + KV cache 224 + compute 318 MiB at context 4096, +5%" in text


def test_add_writes_a_block_that_loads_and_the_router_uses(setup):
    config, entry = setup
    before = load_settings(config)
    easy = Router(before).decide("hi").model
    changes = add_to_config(before, entry)
    assert changes == [
        "qwen-1.5b now takes difficulty 1-45 (was 1-100), so qwen2.5-7b-instruct-q4_k_m answers 46-100",
        f"added [[models]] 'qwen2.5-7b-instruct-q4_k_m' to {config}",
    ]
    after = load_settings(config)
    spec = after.model(entry.name)
    assert spec.file == config.parent / entry.file and spec.memory_mb == 4922 and spec.difficulty == (46, 100)
    assert after.model("qwen-1.5b").difficulty == (1, 45)
    assert after.model("qwen-0.5b").difficulty == (1, 1)  # untouched: it ends below 46
    router = Router(after)
    assert router.decide(HARD).model == entry.name
    assert router.decide("hi").model == easy  # small talk still goes to the small model
    text = config.read_text()
    assert "# Jarvis configuration." in text and "[ui]" in text  # the rest of the file is kept as it was


def test_keep_ranges_leaves_other_models_alone(setup):
    config, entry = setup
    add_to_config(load_settings(config), entry, reroute=False)
    after = load_settings(config)
    assert after.model("qwen-1.5b").difficulty == (1, 100)
    assert Router(after).decide(HARD).model == "qwen-1.5b"  # the smaller model wins a shared range


def test_a_second_block_of_the_same_name_is_refused(setup):
    config, entry = setup
    add_to_config(load_settings(config), entry)
    text = config.read_text()
    with pytest.raises(ConfigError, match="already configured"):
        add_to_config(load_settings(config), entry)
    assert config.read_text() == text


def test_the_planner_puts_it_whole_on_the_gpu_it_fits(setup):
    config, entry = setup
    add_to_config(load_settings(config), entry)
    settings = load_settings(config)
    # the user's machine: 16 GB + 6 GB of VRAM
    machine = Machine(16, 32768, 24000, (GPUInfo(0, "RTX 4080", 16376, 15800), GPUInfo(1, "RTX 2060", 6144, 5900)))
    plan = plan_for(machine, settings)
    assert plan[entry.name].device == "cuda:0" and plan[entry.name].gpu_layers == -1
    assert plan["stt"].device == "cuda:1"  # speech on the second GPU, off the LLM's
    tiny = Machine(2, 8192, 6000, (GPUInfo(0, "MX150", 2048, 1900),))
    assert plan_for(tiny, settings)[entry.name].device == "cpu"  # never half offloaded


def test_names():
    assert suggest_name(Path("Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf")) == "meta-llama-3.1-8b-instruct-q4_k_m"
    assert suggest_name(Path("qwen2.5-14b-instruct-q4_k_m-00001-of-00003.gguf")) == "qwen2.5-14b-instruct-q4_k_m"


def test_without_memory_mb_the_planner_and_the_pool_use_the_header_estimate(tmp_path: Path):
    from jarvis.config import parse_settings
    from jarvis.llm.pool import memory_need_mb

    gguf = qwen7b_header(tmp_path / "q.gguf")
    settings = parse_settings({"models": [{"name": "q7", "file": str(gguf), "context": 4096}]}, tmp_path / "c.toml")
    assert memory_need_mb(settings.model("q7")) == 4922
    small_gpu = Machine(8, 32768, 24000, (GPUInfo(0, "RTX 3050", 4096, 4000),))
    plan = plan_for(small_gpu, settings)
    assert plan["q7"].device == "cpu" and "4922 MiB needed" in plan["q7"].reason
