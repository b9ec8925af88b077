"""The model pool with two real GGUF models under a small memory budget (injected memory reader)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from devsupport.paths import ROOT
from jarvis.config import parse_settings
from jarvis.errors import OutOfMemory
from jarvis.hardware import Placement, PlacementPlan
from jarvis.llm.pool import ModelPool, memory_need_mb, read_device_memory
from jarvis.messages import ModelLoadProgress

SMOL = ROOT / "models" / "smollm2-135m-instruct-q4_1.gguf"
QWEN = ROOT / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


def settings_for(tmp: Path, margin: int = 100, keep_alive: float = 0.0):
    return parse_settings(
        {
            "router": {"memory_margin_mb": margin, "keep_alive_s": keep_alive},
            "models": [
                {"name": "smol", "file": str(SMOL), "memory_mb": 300, "context": 512},
                {"name": "qwen", "file": str(QWEN), "memory_mb": 900, "context": 512},
            ],
        },
        tmp / "config.toml",
    )


def cpu_plan(*names: str, device: str = "cpu") -> PlacementPlan:
    layers = -1 if device != "cpu" else 0
    return PlacementPlan({n: Placement(n, device, "test", 1, 512, layers) for n in names})


def budget(total_mb: int, gpu: tuple[int, int] | None = None):
    """A memory reader: the CPU has ``total_mb`` (all free as far as the OS is concerned)."""

    def read(device: str):
        if device == "cpu":
            return total_mb, total_mb
        return gpu
    return read


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_lru_eviction_with_two_real_models(tmp_path):
    events: list[ModelLoadProgress] = []
    pool = ModelPool(settings_for(tmp_path), cpu_plan("smol", "qwen"), events.append, memory=budget(1200))
    try:
        smol = pool.get("smol")
        assert pool.resident() == {"smol": "cpu"}
        assert smol.complete(_req()).strip()
        qwen = pool.get("qwen")  # 900 + 100 margin > 1200 - 300: smol must go
        assert pool.resident() == {"qwen": "cpu"}
        assert smol.llm is None  # really freed
        assert pool.get("qwen") is qwen  # cached, no reload
        pool.get("smol")  # and back: qwen is evicted in turn
        assert pool.resident() == {"smol": "cpu"}
        loads = [(e.model, e.done) for e in events if e.error is None]
        assert loads == [("smol", False), ("smol", True), ("qwen", False), ("qwen", True),
                         ("smol", False), ("smol", True)]
    finally:
        pool.close()


def test_both_stay_when_they_fit(tmp_path):
    pool = ModelPool(settings_for(tmp_path), cpu_plan("smol", "qwen"), memory=budget(1500))
    try:
        pool.get("smol")
        pool.get("qwen")
        assert pool.resident() == {"smol": "cpu", "qwen": "cpu"}
        assert pool.available_mb("cpu") == 1500 - 1200
    finally:
        pool.close()


def test_least_recently_used_goes_first(tmp_path):
    s = parse_settings(
        {"router": {"memory_margin_mb": 0, "keep_alive_s": 0},
         "models": [{"name": n, "file": str(SMOL), "memory_mb": 300, "context": 512}
                    for n in ("a", "b", "c")]},
        tmp_path / "config.toml",
    )
    clock = Clock()
    pool = ModelPool(s, cpu_plan("a", "b", "c"), memory=budget(600), clock=clock)
    try:
        pool.get("a")
        clock.t += 1
        pool.get("b")
        clock.t += 1
        pool.get("a")  # a is now more recent than b
        clock.t += 1
        pool.get("c")
        assert set(pool.resident()) == {"a", "c"}
    finally:
        pool.close()


def test_a_leased_model_is_not_evicted_and_oom_is_clear(tmp_path):
    events: list[ModelLoadProgress] = []
    pool = ModelPool(settings_for(tmp_path), cpu_plan("smol", "qwen"), events.append, memory=budget(1200))
    try:
        with pool.lease("smol"):
            with pytest.raises(OutOfMemory) as err:
                pool.get("qwen")
        assert "900 MiB + 100 MiB margin" in err.value.message and "cpu has 900 MiB free" in err.value.message
        assert err.value.hint
        assert pool.resident() == {"smol": "cpu"}
        assert events[-1].model == "qwen" and events[-1].done and "does not fit" in events[-1].error
        pool.get("qwen")  # no longer leased: now it can be evicted
        assert pool.resident() == {"qwen": "cpu"}
    finally:
        pool.close()


def test_model_larger_than_the_device_is_refused_without_loading(tmp_path):
    pool = ModelPool(settings_for(tmp_path), cpu_plan("smol", "qwen"), memory=budget(700))
    with pytest.raises(OutOfMemory, match="qwen does not fit"):
        pool.get("qwen")
    assert pool.resident() == {}


def test_keep_alive_unloads_idle_models(tmp_path):
    clock = Clock()
    pool = ModelPool(settings_for(tmp_path), cpu_plan("smol", "qwen"), memory=budget(4000), clock=clock,
                     keep_alive_s=60)
    try:
        pool.get("smol")
        clock.t += 30
        pool.get("qwen")
        clock.t += 40  # smol idle 70 s, qwen 40 s
        assert pool.reap() == ["smol"]
        assert pool.resident() == {"qwen": "cpu"}
        with pool.lease("qwen"):
            clock.t += 600
            assert pool.reap() == []  # busy models stay
        clock.t += 61
        assert pool.reap() == ["qwen"]
        assert pool.resident() == {}
    finally:
        pool.close()


def test_background_reaper_runs(tmp_path):
    pool = ModelPool(settings_for(tmp_path), cpu_plan("smol"), memory=budget(4000), keep_alive_s=0.2)
    try:
        pool.get("smol")
        gone = threading.Event()
        for _ in range(200):
            if not pool.resident():
                gone.set()
                break
            threading.Event().wait(0.1)
        assert gone.is_set(), pool.details()
    finally:
        pool.close()


def test_gpu_without_room_loads_whole_on_cpu(tmp_path):
    """Planned for cuda:0 but it has 200 MiB free: loaded whole on the CPU, never half offloaded."""
    events: list[ModelLoadProgress] = []
    pool = ModelPool(settings_for(tmp_path), cpu_plan("smol", device="cuda:0"), events.append,
                     memory=budget(4000, gpu=(8000, 200)))
    try:
        pool.get("smol")
        assert pool.resident() == {"smol": "cpu"}
        assert events[0].device == "cpu"
    finally:
        pool.close()


def test_resident_answers_while_a_model_loads(tmp_path):
    """The UI's resident()/loading() calls never wait for a load in progress."""
    seen: dict[str, object] = {}
    pool: ModelPool

    def publish(ev):
        if isinstance(ev, ModelLoadProgress) and not ev.done:
            # The load holds the pool's load lock right now; ask from another thread, as the UI would.
            t = threading.Thread(target=lambda: seen.update(resident=pool.resident(), loading=pool.loading()))
            t.start()
            t.join(10)
            seen["answered"] = not t.is_alive()

    pool = ModelPool(settings_for(tmp_path), cpu_plan("smol"), publish, memory=budget(4000))
    try:
        pool.get("smol")
        assert seen == {"resident": {}, "loading": {"smol": "cpu"}, "answered": True}
        assert pool.loading() == {}
    finally:
        pool.close()


def test_memory_readers():
    total, free = read_device_memory("cpu")
    assert total > 0 and 0 < free <= total
    assert read_device_memory("cuda:7") is None or len(read_device_memory("cuda:7")) == 2
    s = parse_settings({"models": [{"name": "x", "file": str(SMOL), "context": 2048}]}, Path("/tmp/c.toml"))
    need = memory_need_mb(s.model("x"))
    assert need > SMOL.stat().st_size // (1024 * 1024)


def _req():
    from jarvis.llm.base import ChatMessage, GenerationRequest

    return GenerationRequest([ChatMessage("user", "Say hi.")], max_tokens=4, temperature=0.0, seed=1)


def test_one_model_serves_one_lease_at_a_time(tmp_path):
    """A prefill in the background and a turn on the same model must not run together (llama.cpp
    crashed): the second lease waits until the first is over; a lease nested in the same thread is fine."""
    pool = ModelPool(settings_for(tmp_path), cpu_plan("smol"), lambda e: None, memory=budget(4000))
    order: list[str] = []
    first_in = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with pool.lease("smol"):
            order.append("first in")
            first_in.set()
            release.wait(10)
            order.append("first out")

    try:
        holder = threading.Thread(target=hold)
        holder.start()
        assert first_in.wait(60)
        def wait_turn() -> None:
            with pool.lease("smol"):
                order.append("second in")

        second = threading.Thread(target=wait_turn)
        second.start()
        second.join(0.5)
        assert order == ["first in"]  # still waiting
        release.set()
        holder.join(10)
        second.join(10)
        assert order == ["first in", "first out", "second in"]
        with pool.lease("smol"), pool.lease("smol"):  # re-entrant in one thread
            pass
    finally:
        release.set()
        pool.close()
