"""The model pool: loads local models only where they fit, evicts the least recently used, unloads idle ones.

A local model is loaded on its planned device when its memory need plus ``router.memory_margin_mb``
fits that device's free memory (NVML for GPUs, RAM for the CPU), after evicting idle models on that
device, least recently used first. A model planned for a GPU that cannot hold it whole goes to the
CPU whole instead (never half offloaded); when nothing fits, :class:`OutOfMemory` is raised and the
fallback chain tries a smaller model. Models idle longer than ``router.keep_alive_s`` are unloaded
by a background thread. One load runs at a time; :meth:`resident` never waits for a load, so the UI
stays responsive during a swap. Memory is read through an injectable function (tests give a budget).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from jarvis import cuda
from jarvis.config import ModelSpec, Settings
from jarvis.errors import ModelLoadError, OutOfMemory
from jarvis.hardware import MiB, PlacementPlan
from jarvis.llm.base import ChatModel
from jarvis.llm.registry import backend_class
from jarvis.messages import ModelLoadProgress, StageError

log = logging.getLogger(__name__)

MemoryReader = Callable[[str], "tuple[int, int] | None"]


def read_device_memory(device: str) -> tuple[int, int] | None:
    """(total MiB, free MiB) of ``cpu`` (RAM, psutil) or ``cuda:N`` (NVML); None when unknown."""
    if device == "cpu":
        import psutil

        vm = psutil.virtual_memory()
        return int(vm.total // MiB), int(vm.available // MiB)
    if device.startswith("cuda:"):
        try:
            import pynvml

            pynvml.nvmlInit()
            try:
                mem = pynvml.nvmlDeviceGetMemoryInfo(pynvml.nvmlDeviceGetHandleByIndex(int(device[5:])))
                return int(mem.total // MiB), int(mem.free // MiB)
            finally:
                pynvml.nvmlShutdown()
        except Exception:
            return None
    return None


def memory_need_mb(spec: ModelSpec) -> int:
    """Memory a local model needs: ``memory_mb`` from the config, else the GGUF header's estimate
    at the model's context (else file size x1.2 + context)."""
    if spec.memory_mb:
        return spec.memory_mb
    if spec.file is not None and spec.file.is_file():
        from jarvis.errors import JarvisError
        from jarvis.gguf import read_gguf

        try:
            return read_gguf(spec.file).memory_mb(spec.context)
        except JarvisError:
            pass
    size = spec.file.stat().st_size // MiB if spec.file is not None and spec.file.is_file() else 0
    return int(size * 1.2) + spec.context // 16 + 64


@dataclass
class Resident:
    """A loaded model, where it sits, what it costs and when it was last used."""

    model: ChatModel
    device: str
    memory_mb: int
    last_used: float
    busy: int = 0


class ModelPool:
    """Loads models on demand within memory limits; ``publish`` gets :class:`ModelLoadProgress` events.

    Args:
        settings: model table and ``[router]`` (``memory_margin_mb``, ``keep_alive_s``).
        plan: the placement plan (which device each local model prefers).
        publish: event sink (the assistant's bus).
        memory: ``device -> (total_mb, free_mb) | None``; default :func:`read_device_memory`.
        clock: monotonic clock (tests pass their own).
        keep_alive_s: idle time before a model is unloaded (default from settings; 0 = never).
    """

    def __init__(
        self,
        settings: Settings,
        plan: PlacementPlan,
        publish: Callable[[Any], None] = lambda e: None,
        *,
        memory: MemoryReader | None = None,
        clock: Callable[[], float] = time.monotonic,
        keep_alive_s: float | None = None,
    ) -> None:
        self.settings = settings
        self.plan = plan
        self.publish = publish
        self.memory = memory or read_device_memory
        self.clock = clock
        self.keep_alive_s = settings.router.keep_alive_s if keep_alive_s is None else keep_alive_s
        self.margin_mb = settings.router.memory_margin_mb
        self._resident: dict[str, Resident] = {}
        self._loading: dict[str, str] = {}
        self._state = threading.Lock()  # guards _resident/_loading; never held while loading
        self._load_lock = threading.Lock()  # one load at a time
        self._use_locks: dict[str, threading.RLock] = {}  # one generation per model at a time
        self._stop = threading.Event()
        self._reaper: threading.Thread | None = None

    # ------------------------------------------------------------------ placement
    def planned_device(self, spec: ModelSpec) -> str:
        """Where ``spec`` goes first: the plan's device (``cpu`` unplanned, ``remote`` not local)."""
        if not spec.is_local:
            return "remote"
        p = self.plan.get(spec.name)
        if p is not None:
            return p.device
        return spec.device if spec.device not in ("auto", "remote") else "cpu"

    def available_mb(self, device: str) -> int | None:
        """Free MiB on ``device`` for a new model: min(OS free, total - models this pool holds there)."""
        reading = self.memory(device)
        if reading is None:
            return None
        total, free = reading
        with self._state:
            held = sum(r.memory_mb for r in self._resident.values() if r.device == device)
        return max(0, min(free, total - held))

    def _lru_victim(self, device: str, keep: str) -> str | None:
        with self._state:
            idle = [(r.last_used, n) for n, r in self._resident.items() if r.device == device and not r.busy]
        idle = [x for x in idle if x[1] != keep]
        return min(idle)[1] if idle else None

    def _make_room(self, device: str, need: int, name: str) -> tuple[bool, int | None]:
        while True:
            avail = self.available_mb(device)
            if avail is None or need + self.margin_mb <= avail:
                return True, avail
            victim = self._lru_victim(device, name)
            if victim is None:
                return False, avail
            log.info("evicting %s from %s to make room for %s", victim, device, name)
            self.unload(victim)

    def _place(self, spec: ModelSpec) -> tuple[str, int, str]:
        """(device, gpu_layers, why the planned GPU was not used) where ``spec`` fits whole, evicting idle
        models; raises OutOfMemory."""
        need = memory_need_mb(spec)
        first = self.planned_device(spec)
        p = self.plan.get(spec.name)
        layers = (p.gpu_layers if p else spec.gpu_layers) if first.startswith("cuda") else 0
        tries = [(first, layers)]
        if first.startswith("cuda") and spec.device == "auto":
            tries.append(("cpu", 0))  # whole on the CPU rather than half offloaded
        seen: list[str] = []
        for device, gpu_layers in tries:
            ok, avail = self._make_room(device, need, spec.name)
            if ok:
                why = f"not enough free GPU memory ({seen[0]}; {need} MiB + margin needed)" if seen else ""
                return device, gpu_layers, why
            seen.append(f"{device} has {avail} MiB free")
        raise OutOfMemory(
            f"{spec.name} does not fit: it needs {need} MiB + {self.margin_mb} MiB margin; {'; '.join(seen)}",
            "close other programs, unload a model, lower router.memory_margin_mb or pick a smaller model",
        )

    # ------------------------------------------------------------------ loading
    def _build(self, spec: ModelSpec, device: str, gpu_layers: int) -> ChatModel:
        cls = backend_class(spec.backend)
        if not spec.is_local:
            return cls(spec, self.settings)
        p = self.plan.get(spec.name)
        return cls(
            spec,
            n_ctx=p.n_ctx if p and p.n_ctx else None,
            n_threads=p.n_threads if p else None,
            gpu_layers=gpu_layers,
            seed=self.settings.llm.seed,
            device=device,
        )

    def _on_cpu_instead(self, spec: ModelSpec, device: str, need: int, exc: ModelLoadError) -> ChatModel:
        """After a failed GPU load: load on the CPU when RAM has room, then say why in one line."""
        why = _gpu_reason(exc)
        ok, avail = self._make_room("cpu", need, spec.name)
        if not ok:
            raise OutOfMemory(
                f"{spec.name} failed on {device} ({why}) and does not fit in RAM ({need} MiB needed, {avail} free)",
                "free GPU memory or RAM, or pick a smaller model",
            )
        with self._state:
            self._loading[spec.name] = "cpu"
        model = self._build(spec, "cpu", 0)
        self._say_on_cpu(spec.name, device, why)
        return model

    def _say_on_cpu(self, name: str, device: str, why: str) -> None:
        """The one line for a model that runs on the CPU instead of its GPU: log, stderr note, the bus."""
        line = cuda.fallback_line(name, device, why)
        log.warning(line)
        cuda.announce(line)
        self.publish(StageError("model", line, cuda.FALLBACK_HINT))

    def _touch(self, name: str, busy: int = 0) -> ChatModel | None:
        with self._state:
            res = self._resident.get(name)
            if res is None:
                return None
            res.last_used = self.clock()
            res.busy += busy
            return res.model

    def get(self, name: str, *, _busy: int = 0) -> ChatModel:
        """The loaded model ``name``, loading it first when needed.

        Raises:
            ModelNotFound: unknown name or missing file. ModelCorrupt, ModelLoadError: bad file.
            OutOfMemory: it fits on no allowed device even after evicting idle models.
            NeedsKey: an API backend without its key.
        """
        spec = self.settings.model(name)
        model = self._touch(name, _busy)
        if model is not None:
            return model
        with self._load_lock:
            model = self._touch(name, _busy)
            if model is not None:
                return model
            device, layers, need, moved = "remote", 0, 0, ""
            planned = self.planned_device(spec)
            try:
                if spec.is_local:
                    device, layers, moved = self._place(spec)
                    need = memory_need_mb(spec)
                with self._state:
                    self._loading[name] = device
                self.publish(ModelLoadProgress(name, device))
                t0 = time.monotonic()
                try:
                    model = self._build(spec, device, layers)
                except ModelLoadError as exc:  # a GPU that fails (out of memory, CUDA missing): the CPU
                    if not device.startswith("cuda"):
                        raise
                    model, device, moved = self._on_cpu_instead(spec, device, need, exc), "cpu", ""
                if moved:  # planned for a GPU that had no room when it came to loading
                    self._say_on_cpu(name, planned, moved)
            except Exception as exc:
                with self._state:
                    self._loading.pop(name, None)
                msg = getattr(exc, "message", None) or str(exc)
                self.publish(ModelLoadProgress(name, device if spec.is_local else planned, True, msg))
                raise
            with self._state:
                self._resident[name] = Resident(model, device, need, self.clock(), _busy)
                self._loading.pop(name, None)
            self.publish(ModelLoadProgress(name, device, done=True, seconds=time.monotonic() - t0))
        self._start_reaper()
        return model

    @contextlib.contextmanager
    def lease(self, name: str) -> Iterator[ChatModel]:
        """Use model ``name`` for one generation; it is not evicted while leased.

        A model is used by one thread at a time (llama.cpp's context is not thread safe: a prefill
        and a turn on one model at once crashed it); a second lease waits for the first.
        """
        model = self.get(name, _busy=1)
        with self._state:
            in_use = self._use_locks.setdefault(name, threading.RLock())
        try:
            with in_use:
                yield model
        finally:
            with self._state:
                res = self._resident.get(name)
                if res is not None:
                    res.busy = max(0, res.busy - 1)
                    res.last_used = self.clock()

    # ------------------------------------------------------------------ inspection
    def resident(self) -> dict[str, str]:
        """Loaded model name -> device (never waits for a load in progress)."""
        with self._state:
            return {n: r.device for n, r in self._resident.items()}

    def loading(self) -> dict[str, str]:
        """Models being loaded right now -> target device."""
        with self._state:
            return dict(self._loading)

    def details(self) -> list[dict[str, Any]]:
        """One row per loaded model: name, device, memory_mb, idle_s, busy (for panels and metrics)."""
        now = self.clock()
        with self._state:
            return [
                {"name": n, "device": r.device, "memory_mb": r.memory_mb,
                 "idle_s": round(now - r.last_used, 1), "busy": bool(r.busy)}
                for n, r in self._resident.items()
            ]

    # ------------------------------------------------------------------ unloading
    def reap(self, now: float | None = None) -> list[str]:
        """Unload models idle for ``keep_alive_s`` or more; returns their names."""
        if self.keep_alive_s <= 0:
            return []
        now = self.clock() if now is None else now
        with self._state:
            idle = [
                n for n, r in self._resident.items() if not r.busy and now - r.last_used >= self.keep_alive_s
            ]
        for name in idle:
            log.info("unloading %s after %.0fs idle", name, self.keep_alive_s)
            self.unload(name)
        return idle

    def _start_reaper(self) -> None:
        if self.keep_alive_s <= 0 or self._stop.is_set():
            return
        with self._state:
            if self._reaper is not None:
                return
            self._reaper = threading.Thread(target=self._reap_loop, name="jarvis-pool-reaper", daemon=True)
        self._reaper.start()

    def _reap_loop(self) -> None:
        interval = min(30.0, max(0.05, self.keep_alive_s / 4))
        while not self._stop.wait(interval):
            try:
                self.reap()
            except Exception:  # pragma: no cover - never let the reaper die silently
                log.exception("reaper failed")

    def unload(self, name: str) -> None:
        """Free one model (no error when it is not loaded)."""
        with self._state:
            res = self._resident.pop(name, None)
        if res is not None:
            res.model.close()

    def close(self) -> None:
        """Stop the reaper and free every model."""
        self._stop.set()
        for name in list(self.resident()):
            self.unload(name)


def _gpu_reason(exc: ModelLoadError) -> str:
    """Why a model could not load on its GPU, in a few words."""
    text = exc.message
    if "built without CUDA" in text:
        return "llama-cpp-python is built without CUDA"
    if cuda.is_cuda_error(text):
        return cuda.reason(text)
    return "llama.cpp could not load it there (most often: not enough free GPU memory)"
