"""Resource panel: CPU and RAM, a VRAM bar per GPU with its resident models, and "no GPU" plainly."""

from __future__ import annotations

from textual.widgets import Static


def bar(used: float, total: float, width: int = 18) -> str:
    """A text bar like ``█████░░░░░``."""
    frac = 0.0 if total <= 0 else max(0.0, min(1.0, used / total))
    full = round(frac * width)
    color = "green" if frac < 0.7 else ("yellow" if frac < 0.9 else "red")
    return f"[{color}]{'█' * full}[/][dim]{'░' * (width - full)}[/]"


def render_sample(sample: dict) -> str:
    """The panel text for one resource sample (see :func:`jarvis.resources.sample`)."""
    lines = ["[b]Resources[/b]"]
    lines.append(f"CPU  {sample['cpu_percent']:5.1f}%")
    used, total = sample["ram_used_mb"], sample["ram_total_mb"]
    lines.append(f"RAM  {bar(used, total)} {used / 1024:.1f}/{total / 1024:.1f} GiB")
    if sample["cpu_models"]:
        lines.append("  on CPU: " + ", ".join(sample["cpu_models"]))
    if not sample["gpus"]:
        note = sample.get("gpu_note") or ""
        lines.append(f"GPU  none{f' ({note})' if note else ''}")
    for g in sample["gpus"]:
        lines.append(f"GPU{g['index']} {g['name']}")
        lines.append(
            f"     {bar(g['used_mb'], g['total_mb'])} {g['used_mb'] / 1024:.1f}/{g['total_mb'] / 1024:.1f} GiB"
            f"  {g['util_pct']}%"
        )
        lines.append("     " + (", ".join(g["models"]) if g["models"] else "[dim]no model[/]"))
    if sample["remote_models"]:
        lines.append("Remote: " + ", ".join(sample["remote_models"]))
    return "\n".join(lines)


class ResourcePanel(Static):
    """Shows the latest :class:`jarvis.ui.messages.ResourceSample`."""

    def show(self, sample: dict) -> None:
        """Render a new sample."""
        self.update(render_sample(sample))
