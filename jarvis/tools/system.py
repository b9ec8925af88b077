"""The system-status tool: CPU, RAM, GPU use and which models sit where (the resource panel's data)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jarvis.tools.base import Tool, ToolResult


class SystemStatusTool(Tool):
    """What the machine is doing: CPU and RAM use, each GPU's memory, and where each model is loaded."""

    name = "system_status"
    keywords = (
        r"\b(cpu|ram|gpu|vram|memory use|memory usage|computer|machine|system|load|busy|ordenador|"
        r"computadora|sistema|uso de memoria|models?|modelos?|loaded|cargados?)\b"
    )
    description = "Get CPU, RAM and GPU use of this computer and which AI models are loaded where."

    def __init__(self, resident: Callable[[], dict[str, str]] = dict) -> None:
        self.resident = resident

    def run(self, args: dict[str, Any]) -> ToolResult:
        """One reading of :func:`jarvis.resources.sample`."""
        from jarvis import resources

        s = resources.sample(self.resident())
        parts = [
            f"CPU {s['cpu_percent']:.0f}%",
            f"RAM {s['ram_used_mb'] / 1024:.1f} of {s['ram_total_mb'] / 1024:.1f} GB",
        ]
        for g in s["gpus"]:
            models = f", models: {', '.join(g['models'])}" if g["models"] else ""
            parts.append(f"GPU {g['index']} {g['name']}: {g['used_mb'] / 1024:.1f} of {g['total_mb'] / 1024:.1f} GB"
                         f"{models}")
        if not s["gpus"]:
            parts.append("no GPU")
        if s["cpu_models"]:
            parts.append(f"on the CPU: {', '.join(s['cpu_models'])}")
        if s["remote_models"]:
            parts.append(f"remote: {', '.join(s['remote_models'])}")
        return ToolResult("; ".join(parts) + ".", s)
