"""The placement planner on described machines, and the real probe on this one."""

from __future__ import annotations

import re

from jarvis.config import ModelSpec
from jarvis.hardware import GPUInfo, Machine, plan_placement, probe

MODELS = (
    ModelSpec(name="small", file="s.gguf", memory_mb=900, default=True),
    ModelSpec(name="large", file="l.gguf", memory_mb=9000),
    ModelSpec(name="huge", file="h.gguf", memory_mb=40000),
    ModelSpec(name="cloud", backend="openai", id="gpt-4o-mini"),
)


def table(plan) -> dict[str, tuple[str, int]]:
    return {r["what"]: (r["device"], r["gpu_layers"]) for r in plan.rows()}


def test_no_gpu_everything_on_cpu_with_all_threads():
    m = Machine(cpu_cores=8, ram_total_mb=32000, ram_free_mb=30000)
    plan = plan_placement(m, MODELS, "small")
    assert table(plan) == {
        "small": ("cpu", 0),
        "large": ("cpu", 0),
        "huge": ("cpu", 0),
        "stt": ("cpu", 0),
        "embeddings": ("cpu", 0),
        "tts": ("cpu", 0),
    }
    assert plan["small"].n_threads == 8
    assert plan["stt"].compute_type == "int8"
    assert "cloud" not in plan.placements  # remote models need no placement


def test_small_ram_caps_context():
    m = Machine(cpu_cores=2, ram_total_mb=4000, ram_free_mb=3000)
    plan = plan_placement((m), (ModelSpec(name="s", file="s", context=8192),), "s")
    assert plan["s"].n_ctx == 2048


def test_one_gpu_llms_that_fit_go_whole_speech_stays_on_cpu():
    gpu = GPUInfo(0, "RTX 4090", total_mb=24000, free_mb=23000)
    m = Machine(cpu_cores=16, ram_total_mb=64000, ram_free_mb=60000, gpus=(gpu,))
    plan = plan_placement(m, MODELS, "small", margin_mb=512)
    t = table(plan)
    assert t["small"] == ("cuda:0", -1)
    assert t["large"] == ("cuda:0", -1)
    assert t["huge"] == ("cpu", 0)  # never partly offloaded
    assert t["stt"] == ("cpu", 0) and t["embeddings"] == ("cpu", 0)
    assert "does not fit whole" in plan["huge"].reason


def test_two_gpu_workstation_16_plus_6():
    big = GPUInfo(1, "RTX 4080 16GB", total_mb=16000, free_mb=15500)
    side = GPUInfo(0, "RTX 2060 6GB", total_mb=6000, free_mb=5800)
    m = Machine(cpu_cores=12, ram_total_mb=64000, ram_free_mb=60000, gpus=(side, big))
    plan = plan_placement(m, MODELS, "small", margin_mb=512)
    t = table(plan)
    # The default model first, on the largest GPU, then the large one while it fits whole.
    assert t["small"] == ("cuda:1", -1)
    assert t["large"] == ("cuda:1", -1)
    assert t["huge"] == ("cpu", 0)
    # Speech and embeddings get the second GPU, in float16.
    assert t["stt"] == ("cuda:0", 0) and plan["stt"].compute_type == "float16"
    assert t["embeddings"] == ("cuda:0", 0)
    assert t["tts"] == ("cpu", 0)


def test_model_spills_to_second_gpu_when_largest_is_full():
    big = GPUInfo(0, "A", total_mb=16000, free_mb=10000)
    side = GPUInfo(1, "B", total_mb=12000, free_mb=11000)
    models = (ModelSpec(name="a", file="a", memory_mb=9000), ModelSpec(name="b", file="b", memory_mb=9000))
    t = table(plan_placement(Machine(4, 32000, 30000, (big, side)), models, "a"))
    assert t["a"] == ("cuda:0", -1) and t["b"] == ("cuda:1", -1)


def test_explicit_device_is_kept():
    models = (ModelSpec(name="a", file="a", device="cpu", memory_mb=10),)
    gpu = GPUInfo(0, "A", total_mb=24000, free_mb=23000)
    plan = plan_placement(Machine(4, 32000, 30000, (gpu,)), models, "a")
    assert plan["a"].device == "cpu" and plan["a"].reason == "set in config"


def test_probe_reports_this_machine_truthfully():
    m = probe()
    assert m.cpu_cores >= 1 and m.ram_total_mb > 1000
    if not m.gpus:
        assert m.gpu_note  # "no GPU" is a reported state, with the reason
        # said in words, not as NVML's exception name (the resource panel shows it as is)
        assert not re.search(r"[a-z][A-Z]", m.gpu_note) and "NVML" not in m.gpu_note, m.gpu_note


def test_llm_threads_setting_overrides_every_core():
    m = Machine(cpu_cores=2, ram_total_mb=24000, ram_free_mb=20000)
    models = (ModelSpec(name="s", file="s"),)
    assert plan_placement(m, models, "s")["s"].n_threads == 2
    assert plan_placement(m, models, "s", llm_threads=1)["s"].n_threads == 1
    assert plan_placement(m, models, "s")["tts"].n_threads == 2  # the model pauses for the voice's first piece
    one_core = Machine(cpu_cores=1, ram_total_mb=24000, ram_free_mb=20000)
    assert plan_placement(one_core, models, "s")["tts"].n_threads == 1


def test_plan_for_reads_llm_threads(settings):
    from jarvis.hardware import plan_for

    m = Machine(cpu_cores=4, ram_total_mb=24000, ram_free_mb=20000)
    assert plan_for(m, settings)["qwen-0.5b"].n_threads == 4
    tuned = settings.model_copy(update={"llm": settings.llm.model_copy(update={"threads": 3})})
    assert plan_for(m, tuned)["qwen-0.5b"].n_threads == 3
