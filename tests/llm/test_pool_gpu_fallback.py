"""A model planned for a GPU that cannot take it loads on the CPU, answers, and says why in one line.

The llama-cpp-python here is a CPU build, so a plan that puts a model on ``cuda:0`` fails for real
(first test). Running out of GPU memory is simulated: llama-cpp-python is told it can offload, and
``Llama`` raises what it raises when llama.cpp cannot allocate the model on the GPU.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jarvis.errors import OutOfMemory
from jarvis.llm import llama_gpu
from jarvis.llm.pool import ModelPool
from jarvis.messages import ModelLoadProgress, StageError
from tests.llm.test_pool import _req, budget, cpu_plan, settings_for


def _loads(events: list[Any]) -> list[tuple[str, str, bool]]:
    return [(e.model, e.device, e.done) for e in events if isinstance(e, ModelLoadProgress)]


def test_cpu_build_asked_for_a_gpu_loads_on_the_cpu(tmp_path: Path):
    events: list[Any] = []
    pool = ModelPool(settings_for(tmp_path), cpu_plan("smol", device="cuda:0"), events.append,
                     memory=budget(4000, gpu=(8000, 8000)))
    try:
        model = pool.get("smol")
        assert pool.resident() == {"smol": "cpu"} and model.device == "cpu"
        assert model.complete(_req()).strip()
        errors = [e for e in events if isinstance(e, StageError)]
        assert [(e.stage, e.message) for e in errors] == [
            ("model", "smol runs on the CPU instead of cuda:0: llama-cpp-python is built without CUDA")
        ]
        assert errors[0].hint
        assert _loads(events) == [("smol", "cuda:0", False), ("smol", "cpu", True)]
        assert pool.details()[0]["device"] == "cpu"
    finally:
        pool.close()


class _GpuLlama:
    """``llama_cpp.Llama`` on a machine whose GPU is full: any GPU layer fails as llama.cpp does."""

    calls: list[dict[str, Any]] = []

    def __new__(cls, **kwargs: Any) -> Any:
        import llama_cpp

        cls.calls.append(kwargs)
        if kwargs.get("n_gpu_layers"):
            raise ValueError(f"Failed to load model from file: {kwargs['model_path']}")
        return llama_cpp.Llama(**kwargs)


@pytest.fixture
def full_gpu(monkeypatch: pytest.MonkeyPatch):
    _GpuLlama.calls = []
    monkeypatch.setattr(llama_gpu, "gpu_supported", lambda: True)
    monkeypatch.setattr(llama_gpu, "import_llama", lambda: _GpuLlama)
    return _GpuLlama.calls


def test_out_of_gpu_memory_at_load_falls_back_to_the_cpu(tmp_path: Path, full_gpu: list[dict[str, Any]]):
    events: list[Any] = []
    pool = ModelPool(settings_for(tmp_path), cpu_plan("smol", device="cuda:1"), events.append,
                     memory=budget(4000, gpu=(6000, 6000)))
    try:
        model = pool.get("smol")
        assert model.complete(_req()).strip()
        # the GPU was asked first, the whole model on GPU 1 only (never split over every GPU), then the CPU
        assert [(c["n_gpu_layers"], c.get("main_gpu"), c.get("split_mode")) for c in full_gpu] == [
            (-1, 1, llama_gpu.LLAMA_SPLIT_MODE_NONE), (0, None, None)
        ]
        lines = [e.message for e in events if isinstance(e, StageError)]
        assert lines == ["smol runs on the CPU instead of cuda:1: "
                         "llama.cpp could not load it there (most often: not enough free GPU memory)"]
        assert pool.resident() == {"smol": "cpu"}
    finally:
        pool.close()


def test_gpu_failure_and_no_room_in_ram_is_one_clean_error(tmp_path: Path, full_gpu: list[dict[str, Any]]):
    events: list[Any] = []
    pool = ModelPool(settings_for(tmp_path), cpu_plan("qwen", device="cuda:0"), events.append,
                     memory=budget(500, gpu=(6000, 6000)))
    try:
        with pytest.raises(OutOfMemory) as e:
            pool.get("qwen")
        assert "failed on cuda:0" in e.value.message and "does not fit in RAM" in e.value.message
        assert not [e for e in events if isinstance(e, StageError)]  # no "runs on the CPU" line: it does not
        assert pool.resident() == {} and pool.loading() == {}
    finally:
        pool.close()


def test_no_room_on_the_planned_gpu_at_load_time_is_said_too(tmp_path: Path):
    events: list[Any] = []
    # planned for cuda:0 (device auto), but another program holds the VRAM when the model loads
    pool = ModelPool(settings_for(tmp_path), cpu_plan("smol", device="cuda:0"), events.append,
                     memory=budget(4000, gpu=(6000, 200)))
    try:
        pool.get("smol")
        assert pool.resident() == {"smol": "cpu"}
        assert [e.message for e in events if isinstance(e, StageError)] == [
            "smol runs on the CPU instead of cuda:0: not enough free GPU memory "
            "(cuda:0 has 200 MiB free; 300 MiB + margin needed)"
        ]
    finally:
        pool.close()
