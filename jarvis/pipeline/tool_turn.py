"""Tools inside a turn: the instant answer to an everyday command, and running a model's tool calls.

Both publish one :class:`ToolUse` per call (the chat log shows it, metrics record name, time and
ok). A tool result that may hold personal data is withheld from a model that leaves the machine
unless memory sharing is allowed, like memories.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jarvis.llm.base import ChatMessage
from jarvis.messages import Filler, ToolCall, ToolUse, Transcript
from jarvis.tools.intents import Intent
from jarvis.tools.phrases import say
from jarvis.tools.toolbox import Toolbox

WITHHELD = "(withheld: this result holds personal data, which stays on this computer)"
FILLERS = {"en": "One moment.", "es": "Un momento."}
COULD_NOT_USE = {
    "en": "Sorry, I could not use the tool I needed for that.",
    "es": "Lo siento, no he podido usar la herramienta que necesitaba.",
}


def instant_answer(toolbox: Toolbox, intent: Intent, item: Transcript, publish: Callable[[Any], None]) -> tuple[
    str, tuple[ToolUse, ...]
]:
    """Run an everyday command's tool (if any) and word the answer; returns (text, tool uses)."""
    if intent.call is None:
        return say(intent, None, None), ()
    call = toolbox.with_language(intent.call, intent.language)
    use, result = toolbox.executor.run(call, source="instant", turn_id=item.turn_id, generation=item.generation)
    publish(use)
    return say(intent, use, result), (use,)


def run_calls(
    toolbox: Toolbox,
    calls: list[ToolCall],
    item: Transcript,
    model: str,
    *,
    private: bool,
    publish: Callable[[Any], None],
    confirm: Callable[[Any, dict[str, Any]], bool] | None,
    language: str | None,
) -> tuple[list[ChatMessage], list[ToolUse]]:
    """Run a model's tool calls; returns the messages to send back (the assistant's calls and one
    ``tool`` message per result) and the uses.

    Args:
        private: the model may not see personal data (it leaves the machine, sharing is off).
        confirm: asked before a tool that needs confirmation runs (None: no confirmation).
        language: the turn's language, for the filler and the timers.
    """
    said_filler = False

    def filler() -> None:
        nonlocal said_filler
        if not said_filler:
            said_filler = True
            publish(Filler(FILLERS.get(language or "en", FILLERS["en"]), language, item.turn_id, item.generation))

    named = [
        ToolCall(toolbox.registry.resolve(c.name), c.arguments, c.id or f"call_{item.turn_id}_{i}")
        for i, c in enumerate(calls)
    ]
    messages = [ChatMessage("assistant", "", tool_calls=tuple(named))]
    uses: list[ToolUse] = []
    disabled = set(toolbox.settings.tools.disabled)
    for call in named:
        if call.name in disabled:
            use = ToolUse(call.name, dict(call.arguments), f"error: the tool '{call.name}' is disabled", False, 0.0,
                          model, item.turn_id, item.generation)
        else:
            use, _ = toolbox.executor.run(
                toolbox.with_language(toolbox.grounded(call, item.text), language), source=model,
                turn_id=item.turn_id,
                generation=item.generation, confirm=confirm, on_slow=filler,
            )
        publish(use)
        uses.append(use)
        personal = call.name in toolbox.registry and toolbox.registry.get(call.name).personal
        content = WITHHELD if private and personal else use.result
        messages.append(ChatMessage("tool", content, tool_call_id=call.id, name=call.name))
    return messages, uses


def results_reply(uses: list[ToolUse], language: str | None) -> str:
    """The tools' results said plainly (for a model that could not word an answer), else an apology."""
    done = [_plain(u.result) for u in uses if u.ok]
    if done:
        return " ".join(t if t.endswith((".", "!", "?")) else t + "." for t in done)
    return COULD_NOT_USE["es" if language == "es" else "en"]


def _plain(result: str) -> str:
    """A JSON object result (MCP tools often return one) as "key value, key value"."""
    import json

    try:
        obj = json.loads(result)
    except ValueError:
        return result
    if not isinstance(obj, dict):
        return result
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in obj.items() if not isinstance(v, dict | list))
