"""Pieces the benchmarks share: percentiles, per-stage summaries, a quiet test config, JSON output."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jarvis.config import Settings, load_settings


def pct(values: Iterable[float | None], q: float) -> float | None:
    """The q-th percentile (linear interpolation) of ``values``, ignoring None."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return None
    k = (len(vals) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(vals) - 1)
    return round(vals[lo] + (vals[hi] - vals[lo]) * (k - lo), 4)


def stage_summary(rows: list[dict], group: str, groups: Iterable[str], stages: Iterable[str]) -> dict:
    """{group value: {"all"|"en"|"es": {stage: {"p50", "p95"}, "turns": n}}} over rows without an error."""
    stages = tuple(stages)
    summary: dict = {}
    for name in groups:
        for lang in ("all", "en", "es"):
            mine = [r for r in rows if r.get(group) == name and "error" not in r and lang in ("all", r.get("language"))]
            if mine:
                summary.setdefault(name, {})[lang] = {
                    s: {"p50": pct((r.get(s) for r in mine), 50), "p95": pct((r.get(s) for r in mine), 95)}
                    for s in stages
                } | {"turns": len(mine)}
    return summary


def first_audio_p50(summary: dict, groups: Iterable[str]) -> dict:
    """The headline: first audio p50 over every language, per group."""
    return {g: summary.get(g, {}).get("all", {}).get("first_audio_out", {}).get("p50") for g in groups}


def shipped_settings(prefix: str, **sections: dict[str, Any]) -> Settings:
    """The repository's config.toml as ``jarvis`` runs it, with only the data folder and the memory
    store in a fresh temp folder (the user's own data is never touched). ``sections`` as in
    :func:`quiet_settings` (e.g. the virtual audio devices)."""
    base = load_settings(None)
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    changes: dict[str, dict[str, Any]] = {
        "general": {"data_dir": folder / "data"},
        "memory": {"path": folder / "vectorstore", "server": ""},
    }
    for name, update in sections.items():
        changes[name] = {**changes.get(name, {}), **update}
    return base.model_copy(update={name: getattr(base, name).model_copy(update=u) for name, u in changes.items()})


def quiet_settings(prefix: str, **sections: dict[str, Any]) -> Settings:
    """The repository's config with data in a temp folder, temperature 0, memory and routing off.

    ``sections`` updates whole sections, e.g. ``tts={"enabled": True}``.
    """
    base = load_settings(None)
    changes: dict[str, dict[str, Any]] = {
        "general": {"data_dir": Path(tempfile.mkdtemp(prefix=prefix))},
        "llm": {"temperature": 0.0, "seed": 7},
        "memory": {"enabled": False},
        "router": {"enabled": False},
    }
    for name, update in sections.items():
        changes[name] = {**changes.get(name, {}), **update}
    return base.model_copy(update={name: getattr(base, name).model_copy(update=u) for name, u in changes.items()})


def emit(result: dict) -> None:
    """Print the benchmark's JSON document on stdout."""
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
