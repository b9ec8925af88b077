"""The fallback chain on every induced failure, with real local models and real servers.

Local failures use real GGUF files (missing, corrupt, truncated, too big for a tiny memory budget,
too slow). API failures use the real llama.cpp server for the model that answers, and
:class:`StubAPI` (a local stand-in for the cloud services, which cannot be reached from here) for
429, 5xx, hangs, wrong keys and mid-stream errors.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devsupport.paths import ROOT
from jarvis.assembly import build
from jarvis.config import parse_settings
from jarvis.errors import JarvisError, ModelNotFound
from jarvis.hardware import Placement, PlacementPlan
from jarvis.llm.base import GenerationRequest
from jarvis.llm.fallback import FallbackChain, cost_of
from jarvis.llm.pool import ModelPool
from jarvis.messages import GenerationStats, MemoryHit, MemoryHits, RouteDecision, StageError
from jarvis.pipeline.runner import Assistant
from tests.support.api_stub import ANTHROPIC_KEY, SERVER_KEY, StubAPI, free_port, llama_server

SMOL = ROOT / "models" / "smollm2-135m-instruct-q4_1.gguf"
QWEN = ROOT / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


@pytest.fixture(scope="module")
def stub():
    s = StubAPI()
    yield s
    s.close()


@pytest.fixture(scope="module")
def server_url() -> str:
    return llama_server()


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch):
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(var, raising=False)


def local(name: str, file: Path, **kw) -> dict:
    return {"name": name, "file": str(file), "memory_mb": kw.pop("memory_mb", 300), "context": 512, **kw}


def make(tmp: Path, models: list[dict], **router) -> object:
    return parse_settings(
        {
            "general": {"data_dir": str(tmp / "data")},
            "llm": {"max_tokens": 6, "temperature": 0.0, "seed": 1, "system_prompt": "Answer briefly."},
            "router": {"keep_alive_s": 0, "memory_margin_mb": 100, **router},
            "memory": {"enabled": False},
            "models": models,
        },
        tmp / "config.toml",
    )


def run_chain(settings, decision_model: str, memory_mb: int = 100_000, forced: bool = False):
    """Run one turn through FallbackChain; returns (outcome, published events)."""
    events: list = []
    plan = PlacementPlan({m.name: Placement(m.name, "cpu", "test", 1, 512, 0) for m in settings.models})
    pool = ModelPool(settings, plan, events.append, memory=lambda d: (memory_mb, memory_mb))
    from jarvis.llm.base import ChatMessage

    def prepare(model, spec):
        return GenerationRequest([ChatMessage("system", "Answer briefly."), ChatMessage("user", "Say hi.")],
                                 max_tokens=6, temperature=0.0, seed=1)

    try:
        chain = FallbackChain(settings, pool, publish=events.append)
        out = chain.run(RouteDecision(decision_model, 10, "chat", "test", forced), prepare)
    finally:
        pool.close()
    return out, events


def fallback_notices(events) -> list[str]:
    return [e.reason for e in events if isinstance(e, RouteDecision) and e.reason.startswith("fallback:")]


# ------------------------------------------------------------------ local failures
def broken_file(tmp: Path, kind: str) -> Path:
    path = tmp / f"{kind}.gguf"
    if kind == "corrupt":
        path.write_bytes(b"this is not a model " * 1000)
    elif kind == "truncated":
        path.write_bytes(SMOL.read_bytes()[: 2 * 1024 * 1024])  # GGUF header, tensors cut off
    elif kind == "load_error":
        from tests.support.gguf_writer import tiny_llama

        tiny_llama(path, arch="nonsense")  # a whole GGUF llama.cpp refuses
    return path


@pytest.mark.parametrize("kind, why", [
    ("missing", "model file not found"),
    ("corrupt", "not a GGUF file"),
    ("truncated", "model file is truncated"),
    ("load_error", "could not load"),
])
def test_broken_local_model_falls_back_to_next_local(tmp_path, kind, why):
    s = make(tmp_path, [local("broken", broken_file(tmp_path, kind)), local("smol", SMOL)])
    out, events = run_chain(s, "broken")
    assert out.error is None and out.spec.name == "smol" and out.text.strip()
    assert out.attempts[0].model == "broken" and why in out.attempts[0].error
    notes = fallback_notices(events)
    assert len(notes) == 1 and "broken failed" in notes[0] and notes[0].endswith("-> smol")
    assert not out.remote and out.cost == 0.0 and out.device == "cpu"


def test_out_of_memory_falls_back_to_smaller_model(tmp_path):
    s = make(tmp_path, [local("qwen", QWEN, memory_mb=900), local("smol", SMOL, memory_mb=300)])
    out, events = run_chain(s, "qwen", memory_mb=700)  # qwen needs 900 + 100; smol 300 + 100 fits
    assert out.spec.name == "smol" and out.text.strip()
    assert "does not fit" in out.attempts[0].error
    assert any(isinstance(e, type(events[0])) and getattr(e, "error", None) for e in events)


def test_latency_limit_moves_on_and_the_last_model_still_answers(tmp_path):
    s = make(tmp_path, [local("slow", SMOL), local("smol", SMOL)], max_local_latency_s=0.01)
    out, _ = run_chain(s, "slow")
    assert "max_local_latency_s=0.01s" in out.attempts[0].error
    assert out.spec.name == "smol" and out.text.strip()  # the last candidate has no limit


def test_forced_model_gets_no_fallback(tmp_path):
    s = make(tmp_path, [local("broken", tmp_path / "nope.gguf"), local("smol", SMOL)])
    out, events = run_chain(s, "broken", forced=True)
    assert isinstance(out.error, ModelNotFound) and out.spec is None and not fallback_notices(events)
    out, _ = run_chain(s, "no-such-model")
    assert isinstance(out.error, ModelNotFound) and "unknown model" in out.error.message


# ------------------------------------------------------------------ API failures
def api_models(tmp: Path, stub: StubAPI, server_url: str, bad: dict) -> list[dict]:
    return [
        local("ghost", tmp / "ghost.gguf"),
        {"name": "bad", "difficulty": [1, 100], **bad},
        {"name": "good", "backend": "openai", "id": "smol", "base_url": server_url, "key_env": "GOOD_KEY",
         "cost_per_1k_in": 1.0, "cost_per_1k_out": 2.0, "difficulty": [1, 100]},
    ]


FAILURES = {
    "server 5xx": ({"backend": "openai", "id": "m-500", "key_env": "GOOD_KEY"}, "server error"),
    "overloaded 529": ({"backend": "anthropic", "id": "claude-529"}, "server error"),
    "rate limit 429": ({"backend": "openai", "id": "m-429", "key_env": "GOOD_KEY"}, "rate limited"),
    "timeout": ({"backend": "anthropic", "id": "claude-hang"}, "timeout"),  # answered by the stub (below)
    "network down": ({"backend": "openai", "id": "x", "key_env": "GOOD_KEY", "base_url": "DOWN"},
                     "cannot reach"),
    "invalid key 401": ({"backend": "anthropic", "id": "claude-ok", "key_env": "WRONG_KEY"}, "rejected"),
    "missing key": ({"backend": "anthropic", "id": "claude-ok", "key_env": "UNSET_KEY"},
                    "UNSET_KEY is not set"),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_api_failure_falls_back_to_next_api(tmp_path, stub, server_url, monkeypatch, failure):
    bad, why = FAILURES[failure]
    bad = dict(bad)
    if bad["backend"] == "anthropic":
        bad.setdefault("base_url", stub.url)
    elif bad.get("base_url") == "DOWN":
        bad["base_url"] = f"http://127.0.0.1:{free_port()}/v1"
    else:
        bad.setdefault("base_url", stub.url + "/v1")
    monkeypatch.setenv("GOOD_KEY", SERVER_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    monkeypatch.setenv("WRONG_KEY", "sk-ant-wrong-000000000000")
    models = api_models(tmp_path, stub, server_url, bad)
    timeout = 120.0
    if failure == "timeout":  # one limit for every API model: let the quick stand-in answer
        models[-1].update(backend="anthropic", id="claude-ok", base_url=stub.url, key_env="ANTHROPIC_API_KEY")
        timeout = 1.5
    s = make(tmp_path, models, allow_api=True, api_timeout_s=timeout)
    out, events = run_chain(s, "bad" if failure == "missing key" else "ghost")
    tried = [a.model for a in out.attempts]
    assert tried[-1] == "good" and out.error is None and out.text.strip(), out.attempts
    bad_attempt = next(a for a in out.attempts if a.model == "bad")
    assert why in bad_attempt.error
    assert out.remote and out.device == "remote"
    assert out.cost == cost_of(s.model("good"), out.stats) > 0
    assert any("(leaves this machine)" in n for n in fallback_notices(events))


def test_api_not_allowed_gives_a_clear_error_and_keeps_the_question(tmp_path, stub, server_url, monkeypatch):
    monkeypatch.setenv("GOOD_KEY", SERVER_KEY)
    s = make(tmp_path, api_models(tmp_path, stub, server_url, {"backend": "openai", "id": "m-500",
                                                               "key_env": "GOOD_KEY", "base_url": stub.url}))
    with build(s) as jarvis:
        a = jarvis.assistant
        with pytest.raises(JarvisError) as err:
            a.ask("Who wrote Romeo and Juliet?")  # for a model
        assert "no model could answer" in err.value.message or "model file not found" in err.value.message
        assert "ghost" in err.value.message and "allow_api" in err.value.hint
        assert [t.content for t in a.conversation.turns] == ["Who wrote Romeo and Juliet?"]


# ------------------------------------------------------------------ through the Assistant
class DogMemory:
    """Long-term memory that always recalls one fact: what is tested here is where it may go."""

    def recall_for_turn(self, text: str, turn_id: int = 0) -> MemoryHits:
        return MemoryHits((MemoryHit("m1", "The user's dog is called Rex.", 0.9),), turn_id=turn_id)

    def remember_turn(self, *args: object, **kwargs: object) -> None:
        return None


def test_turn_that_leaves_the_machine_is_marked_and_memory_withheld(tmp_path, stub, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    models = [local("ghost", tmp_path / "ghost.gguf"),
              {"name": "claude", "backend": "anthropic", "id": "claude-ok", "base_url": stub.url,
               "cost_per_1k_in": 3.0, "cost_per_1k_out": 15.0}]
    s = make(tmp_path, models, allow_api=True)
    with build(s) as jarvis:
        a = jarvis.assistant
        a.memory = DogMemory()
        seen: list = []
        a.bus.subscribe(seen.append)
        done = a.ask("hello there friend")
        assert done.text == "Echo: hello there friend" and done.model == "claude"
        assert done.remote and done.cost == pytest.approx((done.stats.prompt_tokens * 3 + 4 * 15) / 1000)
        body = stub.requests[-1]["body"]
        assert "Rex" not in json.dumps(body)  # memory.share_with_api is false
        assert any(isinstance(e, RouteDecision) and "leaves this machine" in e.reason for e in seen)
        last = a.conversation.turns[-1]
        assert last.meta["remote"] is True and last.meta["fallbacks"][0].startswith("ghost:")
        rec = json.loads(s.general.metrics_file.read_text().splitlines()[-1])
        assert rec["remote"] and rec["device"] == "remote" and rec["cost"] == done.cost
        assert rec["model"] == "claude" and rec["fallbacks"] and rec["route"]["model"] == "ghost"
        assert ANTHROPIC_KEY not in s.general.metrics_file.read_text()
        assert ANTHROPIC_KEY not in a.conversation.path.read_text()


def test_memory_goes_to_the_cloud_only_when_allowed(tmp_path, stub, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    s = make(tmp_path, [{"name": "claude", "backend": "anthropic", "id": "claude-ok", "base_url": stub.url}],
             allow_api=True)
    s = s.model_copy(update={"memory": s.memory.model_copy(update={"share_with_api": True})})
    a = Assistant(s)
    a.memory = DogMemory()
    try:
        a.ask("hi")
        body = stub.requests[-1]["body"]
        question = body["messages"][-1]["content"]
        assert "Rex" in question and question.endswith("hi")  # with the question, before it
        assert "Rex" not in body.get("system", "")  # the system prompt stays a stable prefix
    finally:
        a.shutdown()


def test_failure_mid_reply_keeps_the_partial_text(tmp_path, stub, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    models = [{"name": "mid", "backend": "anthropic", "id": "claude-midstream", "base_url": stub.url},
              {"name": "other", "backend": "anthropic", "id": "claude-ok", "base_url": stub.url}]
    s = make(tmp_path, models, allow_api=True)
    a = Assistant(s)
    a.set_model(None)
    errors: list = []
    a.bus.subscribe(lambda e: errors.append(e) if isinstance(e, StageError) else None)
    try:
        done = a.ask("alpha beta gamma delta")
        assert done.text == "Echo: alpha" and done.model == "mid"  # no restart on another model
        assert errors and "overloaded" in errors[0].message
        assert a.conversation.turns[-1].content == "Echo: alpha"
    finally:
        a.shutdown()


def test_cost_of():
    s = make(Path("/tmp"), [{"name": "c", "backend": "openai", "id": "x", "cost_per_1k_in": 0.5,
                             "cost_per_1k_out": 1.5}])
    stats = GenerationStats("c", prompt_tokens=2000, completion_tokens=1000)
    assert cost_of(s.model("c"), stats) == pytest.approx(2.5)
    assert cost_of(s.model("c"), None) == 0.0
