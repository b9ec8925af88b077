"""OpenAI, OpenAI-compatible and Anthropic backends.

The OpenAI-wire backends run against a real ``python -m llama_cpp.server`` (SmolLM2) on 127.0.0.1.
The Anthropic backend, and the error statuses a cloud service returns (429, 5xx, hangs), use
:class:`StubAPI`, a local HTTP server that stands in for the real services, which cannot be reached
from here.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from jarvis.config import parse_settings
from jarvis.errors import BackendUnavailable, ModelNotFound, NeedsKey
from jarvis.llm.anthropic_backend import AnthropicChat, to_messages_api
from jarvis.llm.base import ChatMessage, GenerationRequest
from jarvis.llm.openai_backend import OpenAIChat, OpenAICompatibleChat
from tests.support.api_stub import ANTHROPIC_KEY, SERVER_KEY, StubAPI, free_port, llama_server


@pytest.fixture(scope="module")
def server_url() -> str:
    return llama_server()


@pytest.fixture(scope="module")
def stub():
    s = StubAPI()
    yield s
    s.close()


def make(tmp: Path, models: list[dict], timeout: float = 30.0):
    return parse_settings({"router": {"api_timeout_s": timeout}, "models": models}, tmp / "config.toml")


def request(text: str = "Say hello.", max_tokens: int = 12) -> GenerationRequest:
    return GenerationRequest(
        [ChatMessage("system", "Answer briefly."), ChatMessage("user", text)],
        max_tokens=max_tokens, temperature=0.0, seed=1,
    )


# ------------------------------------------------------------------ OpenAI wire, real llama.cpp server
def test_openai_compatible_streams_from_a_real_server(tmp_path, server_url):
    s = make(tmp_path, [dict(name="srv", backend="openai_compatible", id="smol", base_url=server_url,
                             key_env="SRV_KEY")])
    model = OpenAICompatibleChat(s.model("srv"), s, env={"SRV_KEY": SERVER_KEY})
    pieces = list(model.stream(request("Name three colours.")))
    assert len(pieces) >= 2, pieces
    assert "".join(pieces).strip()
    st = model.last_stats
    assert st is not None and 1 <= st.completion_tokens <= 12
    assert st.finish_reason in ("stop", "length")
    assert st.time_to_first_token_s is not None and st.prompt_tokens > 0
    assert model.leaves_machine is False and model.is_local is False
    model.close()


def test_openai_backend_against_the_real_server_stops_on_request(tmp_path, server_url):
    s = make(tmp_path, [dict(name="oa", backend="openai", id="smol", base_url=server_url)])
    model = OpenAIChat(s.model("oa"), s, env={"OPENAI_API_KEY": SERVER_KEY})
    assert model.leaves_machine is True and model.key_env_var == "OPENAI_API_KEY"
    req = request("Count from one to fifty in words.", max_tokens=64)
    got = []
    for piece in model.stream(req):
        got.append(piece)
        if len(got) == 3:
            req.stop()
    assert len(got) == 3
    assert model.last_stats.finish_reason == "interrupted"


def test_invalid_key_is_401_needs_key_and_never_shown(tmp_path, server_url, caplog):
    s = make(tmp_path, [dict(name="oa", backend="openai", id="smol", base_url=server_url, key_env="MY_KEY")])
    secret = "sk-wrongwrongwrong-0123456789"
    model = OpenAIChat(s.model("oa"), s, env={"MY_KEY": secret})
    with caplog.at_level(logging.DEBUG), pytest.raises(NeedsKey) as err:
        model.complete(request())
    assert "MY_KEY" in err.value.message and "401" in err.value.message
    assert secret not in err.value.one_line()
    assert secret not in caplog.text


def test_missing_key_names_the_variable(tmp_path):
    s = make(tmp_path, [dict(name="oa", backend="openai", id="gpt-4o-mini"),
                        dict(name="cl", backend="anthropic", id="claude-x", key_env="MY_CLAUDE")])
    with pytest.raises(NeedsKey, match="OPENAI_API_KEY is not set"):
        OpenAIChat(s.model("oa"), s, env={})
    with pytest.raises(NeedsKey, match="MY_CLAUDE is not set") as err:
        AnthropicChat(s.model("cl"), s, env={"ANTHROPIC_API_KEY": "x" * 20})
    assert "export MY_CLAUDE" in err.value.hint


def test_network_down_is_backend_unavailable(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    s = make(tmp_path, [dict(name="srv", backend="openai_compatible", id="smol", base_url=url)])
    with pytest.raises(BackendUnavailable, match="cannot reach"):
        OpenAICompatibleChat(s.model("srv"), s, env={}).complete(request())


@pytest.mark.parametrize(
    "model_id, match",
    [("m-500", r"server error .*500"), ("m-503", r"server error .*503"), ("m-429", r"rate limited .*429"),
     ("m-401", r"rejected \(401\)"), ("m-hang", r"timeout")],
)
def test_openai_wire_errors(tmp_path, stub, model_id, match):
    spec = dict(name="oa", backend="openai", id=model_id, base_url=stub.url + "/v1")
    s = make(tmp_path, [spec], timeout=1.0)
    model = OpenAIChat(s.model("oa"), s, env={"OPENAI_API_KEY": "sk-test-0123456789"})
    with pytest.raises((BackendUnavailable, NeedsKey), match=match):
        model.complete(request())


# ------------------------------------------------------------------ Anthropic (stand-in server)
def test_anthropic_streams_messages_protocol(tmp_path, stub):
    s = make(tmp_path, [dict(name="cl", backend="anthropic", id="claude-ok", base_url=stub.url)])
    model = AnthropicChat(s.model("cl"), s, env={"ANTHROPIC_API_KEY": ANTHROPIC_KEY})
    req = GenerationRequest(
        [ChatMessage("system", "Be brief."), ChatMessage("assistant", "stale"),
         ChatMessage("user", "ping pong")],
        max_tokens=10, temperature=0.5,
    )
    pieces = list(model.stream(req))
    assert "".join(pieces) == "Echo: ping pong"
    assert len(pieces) == 3
    st = model.last_stats
    assert st.completion_tokens == 3 and st.prompt_tokens == 4 and st.finish_reason == "stop"
    sent = stub.requests[-1]
    headers = {k.lower(): v for k, v in sent["headers"].items()}
    bearer = headers.get("authorization", "").removeprefix("Bearer ")
    assert ANTHROPIC_KEY in (headers.get("x-api-key"), bearer)
    assert "anthropic-version" in headers
    assert sent["body"]["system"] == "Be brief."
    assert sent["body"]["messages"] == [{"role": "user", "content": "ping pong"}]
    assert sent["body"]["stream"] is True and sent["body"]["max_tokens"] == 10


def test_anthropic_wrong_key(tmp_path, stub, caplog):
    s = make(tmp_path, [dict(name="cl", backend="anthropic", id="claude-ok", base_url=stub.url)])
    model = AnthropicChat(s.model("cl"), s, env={"ANTHROPIC_API_KEY": "sk-ant-wrong-key-123456789"})
    with caplog.at_level(logging.DEBUG), pytest.raises(NeedsKey, match="ANTHROPIC_API_KEY was rejected"):
        model.complete(request())
    assert "sk-ant-wrong-key-123456789" not in caplog.text


@pytest.mark.parametrize(
    "model_id, exc, match",
    [("claude-429", BackendUnavailable, "rate limited"), ("claude-500", BackendUnavailable, "server error"),
     ("claude-529", BackendUnavailable, "server error"), ("claude-hang", BackendUnavailable, "timeout")],
)
def test_anthropic_errors(tmp_path, stub, model_id, exc, match):
    s = make(tmp_path, [dict(name="cl", backend="anthropic", id=model_id, base_url=stub.url)], timeout=1.0)
    model = AnthropicChat(s.model("cl"), s, env={"ANTHROPIC_API_KEY": ANTHROPIC_KEY})
    with pytest.raises(exc, match=match):
        model.complete(request())


def test_anthropic_error_event_mid_stream_keeps_what_arrived(tmp_path, stub):
    s = make(tmp_path, [dict(name="cl", backend="anthropic", id="claude-midstream", base_url=stub.url)])
    model = AnthropicChat(s.model("cl"), s, env={"ANTHROPIC_API_KEY": ANTHROPIC_KEY})
    got = []
    with pytest.raises(BackendUnavailable, match="overloaded"):
        for piece in model.stream(request("one two three four")):
            got.append(piece)
    assert "".join(got) == "Echo: one"
    assert model.last_stats.finish_reason == "error"


def test_unknown_remote_model_is_model_not_found(tmp_path, stub):
    s = make(tmp_path, [dict(name="oa", backend="openai_compatible", id="nope", base_url=stub.url + "/x")])
    with pytest.raises(ModelNotFound, match="does not know model 'nope'"):
        OpenAICompatibleChat(s.model("oa"), s).complete(request())


def test_messages_api_shape():
    system, msgs = to_messages_api([
        ChatMessage("system", "S1"), ChatMessage("assistant", "drop me"), ChatMessage("user", "a"),
        ChatMessage("user", "b"), ChatMessage("assistant", "c"), ChatMessage("system", "S2"),
    ])
    assert system == "S1\n\nS2"
    assert msgs == [{"role": "user", "content": "a\n\nb"}, {"role": "assistant", "content": "c"}]


def test_stub_rejects_a_wrong_key() -> None:
    """Self-check of the stand-in: a wrong x-api-key gets the Messages API's 401 error body."""
    stub = StubAPI()
    try:
        req = urllib.request.Request(
            f"{stub.url}/v1/messages", data=json.dumps({"model": "claude-ok"}).encode(),
            headers={"x-api-key": "wrong", "content-type": "application/json"}, method="POST",
        )
        try:
            urllib.request.urlopen(req, timeout=5)
            raise AssertionError("expected HTTP 401")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
            assert json.loads(exc.read())["error"]["type"] == "authentication_error"
    finally:
        stub.close()
