"""Per-turn metrics as JSON lines (``metrics.jsonl``) and session / all-time summaries.

One record per turn: route, model, device, difficulty, tokens in/out, timings, cost, fallbacks and
RAM/VRAM at that moment. No text of the conversation and no secrets are ever written (reasons are
scrubbed). :class:`MetricsObserver` is an ``Assistant.turn_observers`` entry (it receives a
:class:`~jarvis.messages.TurnRecord`); :func:`summarize` backs ``jarvis stats``.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jarvis.difficulty_bands import band
from jarvis.errors import InputError
from jarvis.logs import scrub
from jarvis.messages import RouteDecision, TurnRecord
from jarvis.private import open_private, private_dir

log = logging.getLogger(__name__)

SCHEMA = 1


def _memory_snapshot() -> dict[str, Any]:
    """RAM and per-GPU VRAM in use now (the resource panel's reading)."""
    try:
        from jarvis.resources import sample

        now = sample()
    except Exception:  # pragma: no cover - metrics never break a turn
        return {}
    return {
        "ram_used_mb": now["ram_used_mb"],
        "ram_total_mb": now["ram_total_mb"],
        "gpus": [{k: g[k] for k in ("index", "used_mb", "total_mb")} for g in now["gpus"]],
    }


def _route(decision: RouteDecision) -> dict[str, Any]:
    return {
        "model": decision.model,
        "difficulty": decision.difficulty,
        "specialty": decision.specialty,
        "forced": decision.forced,
        "reason": scrub(decision.reason),
    }


def build_record(turn: TurnRecord, session: str) -> dict[str, Any]:
    """The JSON-able metrics line for one finished turn (no conversation text, no secrets)."""
    done = turn.reply
    stats = done.stats
    final = done.decision or turn.route
    hits = done.memory
    out: dict[str, Any] = {
        "v": SCHEMA,
        "ts": round(time.time(), 3),
        "session": session,
        "turn_id": done.turn_id,
        "route": _route(turn.route),
        "model": done.model,
        "device": turn.device or ("remote" if done.remote else ""),
        "remote": done.remote,
        "cost": float(done.cost or 0.0),
        "fallbacks": [scrub(f) for f in turn.fallbacks],
        "final_reason": scrub(final.reason) if final is not turn.route else None,
        "tokens_in": stats.prompt_tokens if stats is not None else 0,
        "tokens_out": stats.completion_tokens if stats is not None else 0,
        "tokens_per_s": round(stats.tokens_per_s, 2) if stats is not None else None,
        "finish": stats.finish_reason if stats is not None else None,
        "interrupted": done.interrupted,
        "error": scrub(turn.error) if turn.error else None,
        "timings": done.timings.relative() if done.timings is not None else {},
        "memory_hits": len(hits.hits) if hits is not None else 0,
        "memory_withheld": bool(hits is not None and hits.withheld),
        # tool calls: name, time, ok and who asked; never their arguments or results (personal data)
        "tools": [
            {"name": u.name, "duration_s": u.duration_s, "ok": u.ok, "source": u.source} for u in done.tools
        ],
    }
    out.update(_memory_snapshot())
    return out


class MetricsObserver:
    """Appends one JSON line per turn to ``path``; a write failure is logged once, never raised."""

    def __init__(self, path: Path | str, session: str = "") -> None:
        self.path = Path(path).expanduser()
        self.session = session or time.strftime("%Y%m%d-%H%M%S")
        self._lock = threading.Lock()
        self._warned = False

    def __call__(self, turn: TurnRecord) -> None:
        """Write the metrics line for one turn."""
        try:
            line = json.dumps(build_record(turn, self.session), ensure_ascii=False, default=str)
            with self._lock:
                private_dir(self.path.parent, tighten_existing=False)  # data_dir: made 0700, never changed
                with open_private(self.path, "a") as f:  # 0600: it says which models the user ran, and when
                    f.write(line + "\n")
        except OSError as exc:
            if not self._warned:
                log.warning("cannot write metrics to %s: %s", self.path, exc)
                self._warned = True


def read_records(path: Path | str) -> tuple[list[dict[str, Any]], int]:
    """All records in a metrics file and the number of unreadable lines skipped.

    A missing file has no records. Raises :class:`InputError` when ``path`` is a folder or cannot be read.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a metrics file", "pass the metrics.jsonl file itself")
    if not path.is_file():
        return [], 0
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", "check the file's permissions") from None
    records, bad = [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if isinstance(rec, dict) and _well_formed(rec):
            records.append(rec)
        else:
            bad += 1
    return records, bad


_NUMBER = (int, float)
_NUMERIC_FIELDS = ("ts", "cost", "tokens_in", "tokens_out", "tokens_per_s")


def _well_formed(rec: dict[str, Any]) -> bool:
    """Whether a record has the shape :func:`summarize` reads (a hand-edited or foreign line may not)."""
    if any(not isinstance(rec.get(k), (*_NUMBER, type(None))) or isinstance(rec.get(k), bool)
           for k in _NUMERIC_FIELDS):
        return False
    timings, route = rec.get("timings"), rec.get("route")
    if timings is not None and not (
        isinstance(timings, dict) and all(isinstance(v, (*_NUMBER, type(None))) for v in timings.values())
    ):
        return False
    if route is not None and not (
        isinstance(route, dict)
        and isinstance(route.get("difficulty"), (int, type(None)))
        and isinstance(route.get("specialty"), (str, type(None)))
    ):
        return False
    return isinstance(rec.get("session"), (str, type(None)))


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100, linear interpolation); None for no values."""
    xs = sorted(float(v) for v in values)
    if not xs:
        return None
    k = (len(xs) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return round(xs[lo] + (xs[hi] - xs[lo]) * (k - lo), 4)


def _dist(values: list[float]) -> dict[str, float | None]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "mean": round(sum(values) / len(values), 4) if values else None,
    }


def summarize(records: list[dict[str, Any]], session: str | None = None) -> dict[str, Any]:
    """Model usage, latency percentiles, tokens, cost and local share of a session (or all time).

    ``session`` None means all time; ``"last"`` the session of the newest record.
    """
    if session == "last":
        session = records[-1].get("session") if records else None
    if session is not None:
        records = [r for r in records if r.get("session") == session]
    n = len(records)
    models: dict[str, dict[str, Any]] = {}
    for r in records:
        m = models.setdefault(
            str(r.get("model")), {"turns": 0, "tokens_out": 0, "cost": 0.0, "remote": bool(r.get("remote"))}
        )
        m["turns"] += 1
        m["tokens_out"] += int(r.get("tokens_out") or 0)
        m["cost"] = round(m["cost"] + float(r.get("cost") or 0.0), 6)
    for m in models.values():
        m["share"] = round(m["turns"] / n, 4) if n else 0.0

    def timing(key: str) -> list[float]:
        return [t[key] for r in records if isinstance(t := r.get("timings"), dict) and t.get(key) is not None]

    remote = sum(1 for r in records if r.get("remote"))
    bands: dict[str, int] = {}
    specialties: dict[str, int] = {}
    for r in records:
        route = r.get("route") or {}
        if route.get("difficulty"):
            b = band(int(route["difficulty"]))
            bands[b] = bands.get(b, 0) + 1
        if route.get("specialty"):
            specialties[route["specialty"]] = specialties.get(route["specialty"], 0) + 1
    sessions = {r.get("session") for r in records}
    return {
        "scope": f"session {session}" if session is not None else "all time",
        "sessions": len(sessions),
        "turns": n,
        "local_turns": n - remote,
        "remote_turns": remote,
        "local_share": round((n - remote) / n, 4) if n else None,
        "fallback_turns": sum(1 for r in records if r.get("fallbacks")),
        "interrupted_turns": sum(1 for r in records if r.get("interrupted")),
        "cost_usd": round(sum(float(r.get("cost") or 0.0) for r in records), 6),
        "tokens_in": sum(int(r.get("tokens_in") or 0) for r in records),
        "tokens_out": sum(int(r.get("tokens_out") or 0) for r in records),
        "models": dict(sorted(models.items(), key=lambda kv: -kv[1]["turns"])),
        "latency_s": {
            "first_token": _dist(timing("first_token")),
            "reply_done": _dist(timing("reply_done")),
            "first_audio_out": _dist(timing("first_audio_out")),
        },
        "tokens_per_s": _dist([float(r["tokens_per_s"]) for r in records if r.get("tokens_per_s")]),
        "difficulty_bands": bands,
        "specialties": specialties,
        "first_ts": records[0].get("ts") if records else None,
        "last_ts": records[-1].get("ts") if records else None,
    }
