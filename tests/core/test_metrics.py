"""Metrics: one JSON line per real turn (SmolLM2), summaries, and ``jarvis stats``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devsupport.paths import ROOT
from jarvis.assembly import build
from jarvis.config import parse_settings
from jarvis.hardware import Placement, PlacementPlan
from jarvis.messages import MemoryHits, ReplyDone, RouteDecision, TurnRecord
from jarvis.metrics import MetricsObserver, percentile, read_records, summarize

SMOL = ROOT / "models" / "smollm2-135m-instruct-q4_1.gguf"
SECRET = "sk-metrics-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def two_turns(tmp_path_factory):
    """Two real turns through the Assistant with the router and metrics attached."""
    tmp = tmp_path_factory.mktemp("metrics")
    s = parse_settings(
        {
            "general": {"data_dir": str(tmp / "data")},
            "llm": {"max_tokens": 5, "temperature": 0.0, "seed": 3},
            "router": {"keep_alive_s": 0},
            "models": [{"name": "smol", "file": str(SMOL), "memory_mb": 300, "context": 512}],
        },
        tmp / "config.toml",
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("OPENAI_API_KEY", SECRET)
    plan = PlacementPlan({"smol": Placement("smol", "cpu", "test", 1, 512, 0)})  # 1 thread: shared CI cores
    try:
        with build(s, plan=plan) as jarvis:
            a = jarvis.assistant
            dones = [a.ask("Hello!"), a.ask(f"My key is {SECRET}, what is 2 plus 2?")]
    finally:
        mp.undo()
    return s, a, dones


def test_one_record_per_turn_with_the_issue_fields(two_turns):
    s, a, dones = two_turns
    records, bad = read_records(s.general.metrics_file)
    assert bad == 0 and len(records) == 2
    first, second = records
    assert first["session"] == a.conversation.path.stem == second["session"]
    assert [r["turn_id"] for r in records] == [1, 2]
    for rec, done in zip(records, dones, strict=True):
        assert rec["model"] == "smol" and rec["device"] == "cpu" and rec["remote"] is False
        assert rec["cost"] == 0.0
        assert rec["route"]["model"] == "smol" and 1 <= rec["route"]["difficulty"] <= 100
        assert rec["route"]["specialty"] in ("chat", "math")
        assert rec["tokens_out"] == done.stats.completion_tokens >= 1
        assert rec["tokens_in"] == done.stats.prompt_tokens > 0
        assert rec["timings"]["reply_done"] >= rec["timings"]["first_token"] >= rec["timings"]["route_chosen"]
        assert rec["ram_total_mb"] > 0 and 0 < rec["ram_used_mb"] <= rec["ram_total_mb"]
        assert isinstance(rec["gpus"], list)
    assert first["route"]["reason"].startswith("easy")
    assert second["route"]["specialty"] == "math"


def test_no_secrets_or_conversation_text_in_metrics(two_turns):
    s, _, _ = two_turns
    raw = s.general.metrics_file.read_text()
    assert SECRET not in raw and "Hello!" not in raw and "plus" not in raw


def test_write_failure_never_breaks_a_turn(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    obs = MetricsObserver(blocker / "metrics.jsonl", session="s")  # parent is a file: cannot write
    route = RouteDecision("smol", 3, "chat", "easy")
    for turn_id in (1, 2):
        obs(TurnRecord(ReplyDone("hi", "smol", turn_id=turn_id, decision=route, memory=MemoryHits()), route))
    assert not (blocker / "metrics.jsonl").exists()


def rec(session: str, model: str, first: float, done: float, remote: bool = False, cost: float = 0.0,
        fallbacks: list | None = None, difficulty: int = 20) -> dict:
    return {"session": session, "model": model, "remote": remote, "cost": cost, "tokens_in": 10,
            "tokens_out": 5, "tokens_per_s": 10.0, "fallbacks": fallbacks or [],
            "timings": {"first_token": first, "reply_done": done},
            "route": {"model": model, "difficulty": difficulty, "specialty": "chat"}}


RECORDS = [
    rec("s1", "small", 0.1, 1.0),
    rec("s1", "small", 0.2, 2.0),
    rec("s1", "large", 0.5, 4.0, difficulty=80),
    rec("s2", "cloud", 1.0, 3.0, remote=True, cost=0.02, fallbacks=["large: too slow"], difficulty=90),
    rec("s2", "small", 0.3, 1.5),
]


def test_summaries():
    all_time = summarize(RECORDS)
    assert all_time["turns"] == 5 and all_time["sessions"] == 2
    assert all_time["local_share"] == 0.8 and all_time["remote_turns"] == 1
    assert all_time["cost_usd"] == 0.02 and all_time["fallback_turns"] == 1
    assert all_time["models"]["small"]["turns"] == 3 and all_time["models"]["small"]["share"] == 0.6
    assert list(all_time["models"])[0] == "small"
    assert all_time["latency_s"]["first_token"]["p50"] == 0.3
    assert all_time["latency_s"]["reply_done"]["p90"] == pytest.approx(3.6)
    assert all_time["difficulty_bands"] == {"easy": 3, "hard": 2}
    last = summarize(RECORDS, "last")
    assert last["scope"] == "session s2" and last["turns"] == 2 and last["local_share"] == 0.5
    assert summarize(RECORDS, "s1")["cost_usd"] == 0.0
    assert summarize([])["turns"] == 0 and summarize([])["local_share"] is None


def test_percentile():
    assert percentile([], 50) is None
    assert percentile([5], 99) == 5
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([3, 1, 2], 100) == 3


def write_metrics(path: Path) -> None:
    path.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n{torn line\n")


def test_stats_command(tmp_path, jarvis_env):
    path = tmp_path / "m.jsonl"
    write_metrics(path)
    run = [sys.executable, "-m", "jarvis", "stats", "--file", str(path)]
    p = subprocess.run([*run, "--json"], capture_output=True, text=True, env=jarvis_env, timeout=60)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["turns"] == 5 and out["skipped_lines"] == 1 and out["local_share"] == 0.8
    p = subprocess.run([*run, "--last"], capture_output=True, text=True, env=jarvis_env, timeout=60)
    assert p.returncode == 0 and "session s2: 2 turns" in p.stdout and "local share 50%" in p.stdout
    assert "cloud" in p.stdout and "p50" in p.stdout
    p = subprocess.run([*run[:-2], "--file", str(tmp_path / "none.jsonl")], capture_output=True, text=True,
                       env=jarvis_env, timeout=60)
    assert p.returncode == 0 and "no turns recorded" in p.stdout
