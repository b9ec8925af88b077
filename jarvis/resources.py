"""Live resource readings for the panels: CPU, RAM, per-GPU VRAM and which model sits where."""

from __future__ import annotations

from typing import Any

from jarvis.hardware import MiB, probe_gpus

# Set once NVML said there is no driver or library: a GPU does not appear while Jarvis runs, and
# looking for the library every second costs CPU the model needs.
_no_gpu_note: str | None = None


def _gpus() -> tuple[tuple, str]:
    global _no_gpu_note
    if _no_gpu_note is not None:
        return (), _no_gpu_note
    gpus, note = probe_gpus()
    if not gpus and ("no NVIDIA driver" in note or "not installed" in note):
        _no_gpu_note = note
    return gpus, note


def sample(resident: dict[str, str] | None = None) -> dict[str, Any]:
    """One reading. ``resident`` maps loaded model name -> device (from the model pool)."""
    import psutil

    vm = psutil.virtual_memory()
    resident = resident or {}
    gpus, note = _gpus()
    by_device: dict[str, list[str]] = {}
    for name, device in resident.items():
        by_device.setdefault(device, []).append(name)
    return {
        "cpu_percent": psutil.cpu_percent(interval=None),
        "ram_used_mb": int((vm.total - vm.available) // MiB),
        "ram_total_mb": int(vm.total // MiB),
        "gpus": [
            {
                "index": g.index,
                "name": g.name,
                "used_mb": g.used_mb,
                "total_mb": g.total_mb,
                "util_pct": g.util_pct,
                "models": by_device.get(g.device, []),
            }
            for g in gpus
        ],
        "gpu_note": note,
        "cpu_models": by_device.get("cpu", []),
        "remote_models": by_device.get("remote", []),
    }
