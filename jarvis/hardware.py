"""What this machine has (CPU, RAM, NVIDIA GPUs via NVML) and where each model should run.

:func:`probe` reads the machine; :func:`plan_placement` is a pure function from a described
machine and the model table to a :class:`PlacementPlan`. No GPU, or no NVML, is a normal state.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from jarvis.config import ModelSpec

MiB = 1024 * 1024


@dataclass(frozen=True)
class GPUInfo:
    """One NVIDIA GPU as NVML reports it."""

    index: int
    name: str
    total_mb: int
    free_mb: int
    util_pct: int = 0

    @property
    def device(self) -> str:
        """The device string backends use (``cuda:N``)."""
        return f"cuda:{self.index}"

    @property
    def used_mb(self) -> int:
        """VRAM in use, MiB."""
        return self.total_mb - self.free_mb


@dataclass(frozen=True)
class Machine:
    """CPU cores, RAM and GPUs; ``gpu_note`` says why there are none when there are none."""

    cpu_cores: int
    ram_total_mb: int
    ram_free_mb: int
    gpus: tuple[GPUInfo, ...] = ()
    gpu_note: str = ""
    cpu_percent: float = 0.0


def _cpu_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


# NVML's reasons, said so that a person knows what to do (the CPU is used meanwhile)
_NO_DRIVER = {
    "LibraryNotFound": "no NVIDIA driver installed",
    "DriverNotLoaded": "no NVIDIA driver loaded (installed? reboot, or see nvidia-smi)",
    "NoPermission": "no NVIDIA driver access (no permission: see nvidia-smi)",
}


def probe_gpus() -> tuple[tuple[GPUInfo, ...], str]:
    """Every NVIDIA GPU through NVML, or ``((), reason)`` when there is none or no NVML."""
    try:
        import pynvml
    except ImportError:
        return (), "nvidia-ml-py is not installed"
    try:
        pynvml.nvmlInit()
    except Exception as exc:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...
        return (), _NO_DRIVER.get(type(exc).__name__.removeprefix("NVMLError_"), "no NVIDIA driver (see nvidia-smi)")
    gpus = []
    try:
        for i in range(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            name = pynvml.nvmlDeviceGetName(h)
            mem = pynvml.nvmlDeviceGetMemoryInfo(h)
            try:
                util = int(pynvml.nvmlDeviceGetUtilizationRates(h).gpu)
            except Exception:
                util = 0
            gpus.append(
                GPUInfo(
                    index=i,
                    name=name.decode() if isinstance(name, bytes) else str(name),
                    total_mb=int(mem.total // MiB),
                    free_mb=int(mem.free // MiB),
                    util_pct=util,
                )
            )
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            pass
    return tuple(gpus), "" if gpus else "NVML found no GPU"


def probe() -> Machine:
    """Read this machine now."""
    import psutil

    vm = psutil.virtual_memory()
    gpus, note = probe_gpus()
    return Machine(
        cpu_cores=_cpu_cores(),
        ram_total_mb=int(vm.total // MiB),
        ram_free_mb=int(vm.available // MiB),
        gpus=gpus,
        gpu_note=note,
        cpu_percent=psutil.cpu_percent(interval=None),
    )


@dataclass(frozen=True)
class Placement:
    """Where one model or stage runs, and how."""

    what: str
    device: str
    reason: str
    n_threads: int = 1
    n_ctx: int = 0
    gpu_layers: int = 0
    compute_type: str = ""


@dataclass(frozen=True)
class PlacementPlan:
    """Placements by name: each local model, plus ``stt``, ``embeddings`` and ``tts``."""

    placements: dict[str, Placement] = field(default_factory=dict)

    def __getitem__(self, what: str) -> Placement:
        return self.placements[what]

    def get(self, what: str) -> Placement | None:
        """The placement for ``what`` or None."""
        return self.placements.get(what)

    def rows(self) -> list[dict]:
        """The plan as plain rows (for tables and JSON)."""
        return [
            {
                "what": p.what,
                "device": p.device,
                "threads": p.n_threads,
                "context": p.n_ctx or None,
                "gpu_layers": p.gpu_layers,
                "compute_type": p.compute_type or None,
                "reason": p.reason,
            }
            for p in self.placements.values()
        ]


def plan_here(settings) -> PlacementPlan:
    """The placement plan for ``settings`` on this machine, probed now."""
    return plan_for(probe(), settings)


def plan_for(machine: Machine, settings) -> PlacementPlan:
    """The placement plan for ``settings`` (a :class:`jarvis.config.Settings`) on ``machine``."""
    return plan_placement(
        machine,
        [_with_estimate(m) for m in settings.models],
        settings.default_model.name if settings.models else None,
        settings.router.memory_margin_mb,
        settings.llm.threads,
    )


def _with_estimate(model: ModelSpec) -> ModelSpec:
    """A local model without ``memory_mb`` gets its GGUF header's estimate: placement needs a size."""
    if model.memory_mb or not model.is_local or model.file is None or not model.file.is_file():
        return model
    from jarvis.errors import JarvisError
    from jarvis.gguf import read_gguf

    try:
        return model.model_copy(update={"memory_mb": read_gguf(model.file).memory_mb(model.context)})
    except JarvisError:
        return model


def _context_for(model: ModelSpec, ram_total_mb: int) -> int:
    if ram_total_mb < 8 * 1024:
        return min(model.context, 2048)
    return model.context


def plan_placement(
    machine: Machine,
    models: list[ModelSpec] | tuple[ModelSpec, ...],
    default_model: str | None = None,
    margin_mb: int = 512,
    llm_threads: int = 0,
) -> PlacementPlan:
    """Decide which device each local model and each speech/memory stage uses.

    Rules: the largest GPU takes the main LLM (the default model first, then the others while
    they fit whole); when there are two or more GPUs the second largest takes speech to text and
    embeddings; everything else runs on the CPU with threads sized to the machine. A model with an
    explicit device keeps it. A model never goes to a GPU it would only partly fit.
    """
    threads = max(1, machine.cpu_cores)
    # Every core by default: prompt processing (time to first token) scales with threads. Measured
    # on 2 cores: 1 thread gives 15 vs 28 tok/s and first audio 3.6 vs 2.6 s (bench/voice_latency.py).
    cpu_llm_threads = llm_threads or threads
    by_size = sorted(machine.gpus, key=lambda g: g.total_mb, reverse=True)
    main_gpu = by_size[0] if by_size else None
    side_gpu = by_size[1] if len(by_size) > 1 else None
    budget = {g.index: g.free_mb - margin_mb for g in by_size}
    out: dict[str, Placement] = {}

    local = [m for m in models if m.is_local]
    local.sort(key=lambda m: (m.name != default_model, -m.memory_mb))
    for m in local:
        ctx = _context_for(m, machine.ram_total_mb)
        if m.device != "auto":
            on_gpu = m.device.startswith("cuda")
            out[m.name] = Placement(
                m.name, m.device, "set in config", cpu_llm_threads, ctx, m.gpu_layers if on_gpu else 0
            )
            continue
        target = None
        for g in [main_gpu, side_gpu] if main_gpu else []:
            if g is not None and m.memory_mb <= budget[g.index]:
                target = g
                break
        if target is not None:
            budget[target.index] -= m.memory_mb
            role = "largest GPU" if target is main_gpu else "second GPU (largest is full)"
            out[m.name] = Placement(
                m.name, target.device, f"fits whole on the {role} ({target.name})", threads, ctx, -1
            )
        else:
            why = "no GPU" if not by_size else f"does not fit whole in free VRAM ({m.memory_mb} MiB needed)"
            out[m.name] = Placement(
                m.name, "cpu", f"{why}; CPU with {cpu_llm_threads} threads", cpu_llm_threads, ctx, 0
            )

    speech_threads = max(1, threads // 2) if threads >= 4 else threads
    if side_gpu is not None:
        dev, ct = side_gpu.device, "float16"
        reason = f"second GPU ({side_gpu.name}) keeps speech off the LLM's GPU"
    else:
        dev, ct = "cpu", "int8"
        reason = "CPU int8" + (" (one GPU: left to the LLM)" if main_gpu else " (no GPU)")
    out["stt"] = Placement("stt", dev, reason, speech_threads, 0, 0, ct)
    out["embeddings"] = Placement("embeddings", dev, reason.replace("speech", "embeddings"), speech_threads)
    # The voice speaks while the LLM is still generating. The model pauses while the first piece is
    # synthesised (tts.first_piece_first), so two threads make that piece come out sooner; measured on
    # 2 cores (bench/voice_latency.py --tts-threads 1|2): first audio p50 2.01 -> 1.61 s, Kokoro's first
    # piece 1.21 -> 0.83 s, replies finishing no later.
    tts_threads = min(2, threads)
    out["tts"] = Placement("tts", "cpu", f"ONNX voice on CPU, {tts_threads} thread(s) beside the LLM", tts_threads)
    return PlacementPlan(out)
