"""Native tool calling of the API backends (OpenAI, OpenAI-compatible, Anthropic).

The services are played by :class:`StubAPI`, a local HTTP server speaking their streaming wire
protocols (a fake only because the cloud APIs cannot be reached from here): it streams scripted tool
calls in fragments as the real APIs do and records each request, so the tests check both what the
backend reads and what it sends. One test sends a tool round to a real llama.cpp server, which
validates the messages strictly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jarvis.assembly import build
from jarvis.config import parse_settings
from jarvis.llm.anthropic_backend import AnthropicChat, to_messages_api
from jarvis.llm.api_chat import ToolNames, wire_name, with_call_ids
from jarvis.llm.base import ChatMessage, GenerationRequest
from jarvis.llm.openai_backend import OpenAIChat, OpenAICompatibleChat
from jarvis.messages import ReplyDone, ToolCall
from jarvis.tools.intents import match
from tests.support.api_stub import ANTHROPIC_KEY, SERVER_KEY, StubAPI, StubCall, StubReply, llama_server

CALC = {"type": "function", "function": {
    "name": "calculator", "description": "Calculate exactly.",
    "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]},
}}
NOTES = {"type": "function", "function": {
    "name": "notes.add", "description": "Add a note (an MCP tool).",
    "parameters": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
}}
TOOLS = [CALC, NOTES]


@pytest.fixture(scope="module")
def stub():
    s = StubAPI()
    yield s
    s.close()


def settings(tmp: Path, models: list[dict], **sections: dict):
    return parse_settings({"router": {"api_timeout_s": 10.0}, "models": models, **sections}, tmp / "config.toml")


def openai_model(tmp: Path, stub: StubAPI, model_id: str, kind: str = "openai") -> OpenAIChat:
    spec = dict(name="oa", backend=kind, id=model_id, base_url=stub.url + "/v1")
    s = settings(tmp, [spec])
    cls = OpenAIChat if kind == "openai" else OpenAICompatibleChat
    return cls(s.model("oa"), s, env={"OPENAI_API_KEY": "sk-test-0123456789"})


def anthropic_model(tmp: Path, stub: StubAPI, model_id: str) -> AnthropicChat:
    s = settings(tmp, [dict(name="cl", backend="anthropic", id=model_id, base_url=stub.url)])
    return AnthropicChat(s.model("cl"), s, env={"ANTHROPIC_API_KEY": ANTHROPIC_KEY})


def ask(text: str, tools: list[dict] | None = TOOLS) -> GenerationRequest:
    return GenerationRequest([ChatMessage("system", "Be brief."), ChatMessage("user", text)],
                             max_tokens=32, temperature=0.0, tools=tools)


def follow_up() -> GenerationRequest:
    """The second request of a tool round: the assistant's calls and their results."""
    calls = (ToolCall("calculator", {"expression": "17% of 240"}, "call_a"),
             ToolCall("notes.add", {"text": "buy milk"}, "call_b"))
    return GenerationRequest(
        [ChatMessage("system", "Be brief."), ChatMessage("user", "17% of 240, and note milk"),
         ChatMessage("assistant", "", tool_calls=calls),
         ChatMessage("tool", "17% of 240 = 40.8", tool_call_id="call_a", name="calculator"),
         ChatMessage("tool", "Saved.", tool_call_id="call_b", name="notes.add")],
        max_tokens=32, temperature=0.0, tools=TOOLS,
    )


# ------------------------------------------------------------------ names and ids
def test_tool_names_map_both_ways():
    names = ToolNames(["notes.add", "calculator", "notes__add", "a" * 70, "odd name!"])
    assert names.wire("calculator") == "calculator"
    assert names.wire("notes__add") == "notes__add"  # already valid: keeps its name
    assert names.wire("notes.add") == "notes__add_2"  # would collide: a suffix
    for original in ("notes.add", "calculator", "notes__add", "a" * 70, "odd name!"):
        wire = names.wire(original)
        assert len(wire) <= 64 and wire_name(wire) == wire
        assert names.original(wire) == original
    assert ToolNames(["srv.tool"]).wire("srv.tool") == "srv__tool"
    assert names.original("never_offered") == "never_offered"


def test_call_ids_are_cleaned_and_paired():
    msgs = with_call_ids([
        ChatMessage("assistant", "", tool_calls=(ToolCall("a", {}, ""), ToolCall("b", {}, "id:1"))),
        ChatMessage("tool", "r1"), ChatMessage("tool", "r2", tool_call_id="id:1"),
    ])
    first, second = msgs[0].tool_calls
    assert first.id == "call_1" and second.id == "id_1"
    assert msgs[1].tool_call_id == "call_1" and msgs[2].tool_call_id == "id_1"


# ------------------------------------------------------------------ OpenAI wire
@pytest.mark.parametrize("kind", ["openai", "openai_compatible"])
def test_openai_streams_a_tool_call(tmp_path, stub, kind):
    model_id = f"gpt-tools-{kind}"
    stub.script(model_id, StubReply("Let me check.", (
        StubCall("calculator", '{"expression": "17% of 240"}', "call_1"),
        StubCall("notes__add", '{"text": "buy milk"}', "call_2"),
    )))
    model = openai_model(tmp_path, stub, model_id, kind)
    assert model.supports_tools
    req = ask("17% of 240, and note milk")
    pieces = list(model.stream(req))
    assert "".join(pieces) == "Let me check." and len(pieces) == 3
    assert req.tool_calls == [ToolCall("calculator", {"expression": "17% of 240"}, "call_1"),
                              ToolCall("notes.add", {"text": "buy milk"}, "call_2")]
    assert req.bad_tool_calls == []
    assert model.last_stats.finish_reason == "tool_calls"
    body = stub.bodies(model_id)[-1]
    assert body["stream"] is True
    assert body["tools"] == [CALC, {"type": "function", "function": {**NOTES["function"], "name": "notes__add"}}]
    assert body["messages"] == [{"role": "system", "content": "Be brief."},
                                {"role": "user", "content": "17% of 240, and note milk"}]


def test_openai_sends_calls_and_results_in_wire_format(tmp_path, stub):
    stub.script("gpt-results", StubReply("It is 40.8 and noted.", requires="40.8"))
    model = openai_model(tmp_path, stub, "gpt-results")
    req = follow_up()
    assert "".join(model.stream(req)) == "It is 40.8 and noted."
    assert req.tool_calls == [] and model.last_stats.finish_reason == "stop"
    msgs = stub.bodies("gpt-results")[-1]["messages"]
    assert msgs[:2] == [{"role": "system", "content": "Be brief."},
                        {"role": "user", "content": "17% of 240, and note milk"}]
    assistant = msgs[2]
    assert assistant["role"] == "assistant" and assistant["content"] is None
    assert [(c["id"], c["type"], c["function"]["name"]) for c in assistant["tool_calls"]] == [
        ("call_a", "function", "calculator"), ("call_b", "function", "notes__add")]
    assert [json.loads(c["function"]["arguments"]) for c in assistant["tool_calls"]] == [
        {"expression": "17% of 240"}, {"text": "buy milk"}]
    assert msgs[3:] == [{"role": "tool", "tool_call_id": "call_a", "content": "17% of 240 = 40.8"},
                        {"role": "tool", "tool_call_id": "call_b", "content": "Saved."}]


def test_compatible_server_sends_string_content_with_calls(tmp_path, stub):
    model = openai_model(tmp_path, stub, "srv-results", "openai_compatible")
    list(model.stream(follow_up()))
    assert stub.bodies("srv-results")[-1]["messages"][2]["content"] == ""


def test_a_real_compatible_server_accepts_a_tool_round(tmp_path):
    """llama-cpp-python's server validates messages (string content, tool_call_id): it takes ours."""
    spec = dict(name="srv", backend="openai_compatible", id="smol", base_url=llama_server(), key_env="SRV_KEY")
    s = settings(tmp_path, [spec])
    model = OpenAICompatibleChat(s.model("srv"), s, env={"SRV_KEY": SERVER_KEY})
    req = follow_up()
    req.max_tokens, req.seed = 4, 1
    assert "".join(model.stream(req)).strip()
    assert model.last_stats.finish_reason in ("stop", "length") and req.tool_calls == []
    model.close()


def test_openai_bad_arguments_are_reported_not_called(tmp_path, stub):
    stub.script("gpt-bad", StubReply("", (StubCall("calculator", '{"expression": 2+2}', "call_x"),
                                          StubCall("notes__add", '["milk"]', "call_y"),
                                          StubCall("calculator", '{"expression": "1+1"}', "call_z"))))
    model = openai_model(tmp_path, stub, "gpt-bad")
    req = ask("add things")
    assert list(model.stream(req)) == []
    assert req.tool_calls == [ToolCall("calculator", {"expression": "1+1"}, "call_z")]
    assert len(req.bad_tool_calls) == 2
    assert "2+2" in req.bad_tool_calls[0] and '"calculator"' in req.bad_tool_calls[0]
    assert '"notes.add"' in req.bad_tool_calls[1]


def test_openai_plain_text_with_tools_offered(tmp_path, stub):
    model = openai_model(tmp_path, stub, "gpt-plain")
    req = ask("hello there friend")
    pieces = list(model.stream(req))
    assert "".join(pieces) == "Echo: hello there friend" and len(pieces) == 4
    assert req.tool_calls == [] and req.bad_tool_calls == []
    assert model.last_stats.finish_reason == "stop" and model.last_stats.completion_tokens == 4
    assert stub.bodies("gpt-plain")[-1]["tools"][0]["function"]["name"] == "calculator"


def test_compatible_server_that_refuses_tools_answers_without_them(tmp_path, stub):
    model = openai_model(tmp_path, stub, "srv-notools", "openai_compatible")
    req = ask("hello there")
    assert "".join(model.stream(req)) == "Echo: hello there"
    assert model.supports_tools is False  # not offered tools again
    first, second = stub.bodies("srv-notools")[-2:]
    assert "tools" in first and "tools" not in second


# ------------------------------------------------------------------ Anthropic
def test_anthropic_streams_a_tool_call(tmp_path, stub):
    stub.script("claude-tools", StubReply("Let me check.", (
        StubCall("calculator", '{"expression": "17% of 240"}', "toolu_1"),
        StubCall("notes__add", '{"text": "buy milk"}', "toolu_2"),
    )))
    model = anthropic_model(tmp_path, stub, "claude-tools")
    assert model.supports_tools
    req = ask("17% of 240, and note milk")
    pieces = list(model.stream(req))
    assert "".join(pieces) == "Let me check." and len(pieces) == 3
    assert req.tool_calls == [ToolCall("calculator", {"expression": "17% of 240"}, "toolu_1"),
                              ToolCall("notes.add", {"text": "buy milk"}, "toolu_2")]
    assert model.last_stats.finish_reason == "tool_calls"
    body = stub.bodies("claude-tools")[-1]
    assert body["tools"] == [
        {"name": "calculator", "description": "Calculate exactly.", "input_schema": CALC["function"]["parameters"]},
        {"name": "notes__add", "description": "Add a note (an MCP tool).",
         "input_schema": NOTES["function"]["parameters"]},
    ]
    assert "tool_choice" not in body
    assert body["messages"] == [{"role": "user", "content": "17% of 240, and note milk"}]


def test_anthropic_tool_call_without_text(tmp_path, stub):
    stub.script("claude-only-call", StubReply("", (StubCall("calculator", "", "toolu_9"),)))
    model = anthropic_model(tmp_path, stub, "claude-only-call")
    req = ask("what time")
    assert list(model.stream(req)) == []
    assert req.tool_calls == [ToolCall("calculator", {}, "toolu_9")]
    assert model.last_stats.finish_reason == "tool_calls"


def test_anthropic_sends_calls_and_results_in_wire_format(tmp_path, stub):
    stub.script("claude-results", StubReply("It is 40.8 and noted.", requires="40.8"))
    model = anthropic_model(tmp_path, stub, "claude-results")
    req = follow_up()
    req.messages[2] = ChatMessage("assistant", "On it.", tool_calls=req.messages[2].tool_calls)
    assert "".join(model.stream(req)) == "It is 40.8 and noted."
    assert req.tool_calls == [] and model.last_stats.finish_reason == "stop"
    body = stub.bodies("claude-results")[-1]
    assert body["system"] == "Be brief."
    assert body["messages"] == [
        {"role": "user", "content": "17% of 240, and note milk"},
        {"role": "assistant", "content": [
            {"type": "text", "text": "On it."},
            {"type": "tool_use", "id": "call_a", "name": "calculator", "input": {"expression": "17% of 240"}},
            {"type": "tool_use", "id": "call_b", "name": "notes__add", "input": {"text": "buy milk"}},
        ]},
        {"role": "user", "content": [  # consecutive results: one user message
            {"type": "tool_result", "tool_use_id": "call_a", "content": "17% of 240 = 40.8"},
            {"type": "tool_result", "tool_use_id": "call_b", "content": "Saved."},
        ]},
    ]


def test_anthropic_history_with_tools_not_offered_declares_them(tmp_path, stub):
    model = anthropic_model(tmp_path, stub, "claude-no-offer")
    req = follow_up()
    req.tools = None  # the last round: the model must answer
    assert "".join(model.stream(req)).startswith("Echo:")
    body = stub.bodies("claude-no-offer")[-1]
    assert [t["name"] for t in body["tools"]] == ["calculator", "notes__add"]
    assert body["tool_choice"] == {"type": "none"}


def test_anthropic_bad_arguments_are_reported(tmp_path, stub):
    stub.script("claude-bad", StubReply("", (StubCall("notes__add", '{"text": buy milk}', "toolu_x"),)))
    model = anthropic_model(tmp_path, stub, "claude-bad")
    req = ask("note milk")
    assert list(model.stream(req)) == []
    assert req.tool_calls == []
    assert len(req.bad_tool_calls) == 1 and "buy milk" in req.bad_tool_calls[0]
    assert '"notes.add"' in req.bad_tool_calls[0]


def test_anthropic_plain_text_with_tools_offered(tmp_path, stub):
    model = anthropic_model(tmp_path, stub, "claude-plain")
    req = ask("ping pong")
    assert list(model.stream(req)) == ["Echo:", " ping", " pong"]
    assert req.tool_calls == [] and req.bad_tool_calls == []
    assert model.last_stats.finish_reason == "stop"
    assert len(stub.bodies("claude-plain")[-1]["tools"]) == 2


def test_messages_api_drops_results_whose_call_was_cut():
    _, msgs = to_messages_api([
        ChatMessage("assistant", "", tool_calls=(ToolCall("calculator", {}, "t1"),)),
        ChatMessage("tool", "2", tool_call_id="t1", name="calculator"),
        ChatMessage("user", "and now?"),
    ])
    assert msgs == [{"role": "user", "content": [{"type": "text", "text": "and now?"}]}]


# ------------------------------------------------------------------ a whole turn through the Assistant
def test_assistant_uses_the_calculator_through_an_api_model(tmp_path, stub):
    question = "What is 17% of 240? use the calculator"
    assert match(question) is None  # not the instant path: the model must call the tool
    stub.script("calc-e2e",
                StubReply("", (StubCall("calculator", '{"expression": "17% of 240"}', "call_calc"),)),
                StubReply("It is 40.8.", requires="40.8"))
    s = settings(
        tmp_path,
        [{"name": "lan", "backend": "openai_compatible", "id": "calc-e2e", "base_url": stub.url + "/v1",
          "context": 4096}],
        general={"data_dir": str(tmp_path / "data")},
        llm={"max_tokens": 32, "temperature": 0.0, "system_prompt": "Answer briefly."},
        memory={"enabled": False},
        tts={"enabled": False},
    )
    with build(s) as jarvis:
        seen: list = []
        jarvis.assistant.bus.subscribe(seen.append)
        done = jarvis.assistant.ask(question)
    assert isinstance(done, ReplyDone)
    assert done.text == "It is 40.8." and done.model == "lan"
    assert len(done.tools) == 1
    assert done.tools[0].name == "calculator" and done.tools[0].ok and "40.8" in done.tools[0].result
    first, second = stub.bodies("calc-e2e")[-2:]
    assert "calculator" in [t["function"]["name"] for t in first["tools"]]
    assert second["messages"][-2]["tool_calls"][0]["id"] == "call_calc"
    assert second["messages"][-1] == {"role": "tool", "tool_call_id": "call_calc", "content": "17% of 240 = 40.8"}
