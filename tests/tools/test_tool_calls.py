"""Tool calls written as text by local models: split from the spoken text, repaired once, or reported."""

from jarvis.llm.tool_calls import ToolCallSplitter, parse_call, parse_calls, repair_json


def split(pieces):
    s = ToolCallSplitter()
    shown = "".join(s.feed(p) for p in pieces) + s.finish()
    return shown, s.calls, s.bad


def test_tagged_call_is_held_back_across_pieces():
    pieces = ["Let me check. <tool", "_call>\n{\"name\": \"clock\", ", "\"arguments\": {}}\n</tool_call>"]
    shown, calls, bad = split(pieces)
    assert shown == "Let me check. "
    assert [(c.name, c.arguments) for c in calls] == [("clock", {})]
    assert bad == []


def test_text_that_only_looks_like_a_tag_is_spoken():
    shown, calls, _ = split(["a < b and <tool", " is not a tag"])
    assert shown == "a < b and <tool is not a tag" and calls == []


def test_bare_and_fenced_json_replies_are_calls():
    assert split(['{"name": "clock", ', '"arguments": {"timezone": "Tokyo"}}'])[1][0].arguments == {"timezone": "Tokyo"}
    fenced = ["```", "json\n{\n \"name\": \"calculator\",\n \"arguments\": {\"expression\": \"2+2\"}\n}\n```"]
    shown, calls, _ = split(fenced)
    assert shown == "" and calls[0].name == "calculator"


def test_several_bare_calls_in_one_reply():
    calls = parse_calls('{"name": "a", "arguments": {}}\n{"name": "b", "arguments": {"x": 1}}')
    assert [c.name for c in calls] == ["a", "b"]


def test_one_repair_attempt_then_reported():
    assert parse_call("{name: 'clock', arguments: {'timezone': 'UTC'},}").arguments == {"timezone": "UTC"}
    assert repair_json('{"a": True, "b": None') == '{"a": true, "b": null}'
    shown, calls, bad = split(["<tool_call>this is not json</tool_call>"])
    assert (shown, calls, bad) == ("", [], ["this is not json"])


def test_schema_copied_around_values_is_unwrapped():
    call = parse_call('{"name": "set_timer", "arguments": {"type": "object", "properties": {"minutes": 7}}}')
    assert call.arguments == {"minutes": 7}


def test_arguments_given_as_a_json_string():
    assert parse_call('{"name": "clock", "arguments": "{\\"day\\": \\"tomorrow\\"}"}').arguments == {"day": "tomorrow"}


def test_a_plain_answer_streams_untouched():
    pieces = ["The capital", " of France", " is Paris."]
    s = ToolCallSplitter()
    assert [s.feed(p) for p in pieces] == pieces
    assert s.finish() == "" and s.calls == []


def test_a_call_cut_short_keeps_its_tool_and_is_never_spoken():
    shown, calls, bad = split(["```json\n{\n  \"name\": \"system_status\",\n  \"arguments\": {\n    \"type\": \"obj"])
    assert shown == "" and [(c.name, c.arguments) for c in calls] == [("system_status", {})] and bad == []
    shown, calls, bad = split(['{"name": '])
    assert shown == "" and calls == [] and bad == ['{"name":']
