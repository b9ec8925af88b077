"""A model's turn with tools: generate, run the calls it asks for, let it answer from the results.

:class:`ToolRounds` drives up to ``tools.max_rounds`` rounds for the assistant's turn stage.
Small local models need two kinds of help, both measured on Qwen2.5 0.5B/1.5B: after a round they
are asked plainly to answer from the result (:data:`ANSWER_FROM_RESULT`), and a model that calls
the same tool again or only writes calls gets no more rounds: the tools' own results are said.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from jarvis.llm.base import ChatMessage
from jarvis.llm.fallback import Outcome
from jarvis.llm.locality import withhold_memories
from jarvis.messages import MemoryHits, RouteDecision, StatusChange, TokenDelta, ToolUse, Transcript
from jarvis.pipeline.tool_turn import results_reply, run_calls

if TYPE_CHECKING:
    from jarvis.config import ModelSpec, Settings
    from jarvis.pipeline.cancel import CancelScope
    from jarvis.pipeline.confirmations import Confirmations
    from jarvis.tools.base import Tool
    from jarvis.tools.toolbox import Toolbox

log = logging.getLogger(__name__)

# After a tool round a local model is asked to answer from the results. Without this, Qwen2.5 0.5B
# and 1.5B called the same tool again (echoing the result as arguments) in 3 of 3 tries; with it,
# all three answered in one sentence from the result.
ANSWER_FROM_RESULT = {
    "en": "Answer my question in one short sentence using that result. Do not call a tool.",
    "es": "Responde a mi pregunta en una frase corta usando ese resultado. No llames a ninguna herramienta.",
}

# (turn, decision, memories, tool calls and results so far, offer tools?, note) -> one pass's outcome
GeneratePass = Callable[[Transcript, RouteDecision, MemoryHits, list[ChatMessage], bool, str], Outcome]


def answer_from_result(language: str | None) -> ChatMessage:
    """The plain request to answer from the tool results, in the turn's language."""
    return ChatMessage("user", ANSWER_FROM_RESULT["es" if language == "es" else "en"])


class ToolRounds:
    """Generate a reply, running the tools the model calls between passes.

    Args:
        settings: ``tools.max_rounds``, ``tools.confirm``, what may leave the machine.
        publish: where tool events go (the bus).
        cancel: tells when the turn was interrupted.
        confirmations: asks the user before a tool with side effects runs.
        generate_pass: one pass through the fallback chain (the assistant's).
    """

    def __init__(
        self, settings: Settings, publish: Callable[[object], None], cancel: CancelScope,
        confirmations: Confirmations, generate_pass: GeneratePass,
    ) -> None:
        self.settings = settings
        self.publish = publish
        self.cancel = cancel
        self.confirmations = confirmations
        self.generate_pass = generate_pass

    def run(
        self, toolbox: Toolbox | None, item: Transcript, decision: RouteDecision, hits: MemoryHits, note: str = "",
    ) -> Outcome:
        """The turn's outcome: every pass's text joined, the tool uses listed.

        A model that calls a tool it already called this turn (small models echo the result back
        as arguments), or that still only writes calls when it should answer, gets no more rounds:
        the tools' own results are said instead, so the user hears the answer, not an apology.
        """
        extra: list[ChatMessage] = []
        texts: list[str] = []
        uses: list[ToolUse] = []
        rounds = self.settings.tools.max_rounds
        called: set[str] = set()
        for round_no in range(rounds + 1):
            outcome = self.generate_pass(item, decision, hits, extra, round_no < rounds, note)
            texts.append(outcome.text)
            if outcome.spec is None or outcome.interrupted or toolbox is None:
                break
            asked = outcome.tool_calls
            if asked and round_no < rounds and not any(c.name in called for c in asked):
                spec = outcome.spec
                decision = RouteDecision(spec.name, decision.difficulty, decision.specialty, decision.reason, True)
                messages, new_uses = self._run_calls(toolbox, item, asked, spec)
                extra.extend(messages)
                uses.extend(new_uses)
                called.update(c.name for c in asked)
                if self.cancel.is_stale(item.generation):
                    outcome.interrupted = True
                    break
                continue
            if (asked or outcome.bad_tool_calls) and not "".join(texts).strip():
                outcome.text = self._say_results(item, outcome, uses)
                texts.append(outcome.text)
            break
        outcome.text = "".join(texts)
        outcome.tools = uses
        return outcome

    def _say_results(self, item: Transcript, outcome: Outcome, uses: list[ToolUse]) -> str:
        """What to say when the model wrote calls instead of an answer: the tools' results, else an apology."""
        if outcome.bad_tool_calls:
            log.warning("unreadable tool call from %s: %s", outcome.model_name, outcome.bad_tool_calls[:1])
        text = results_reply(uses, item.language)
        self.publish(TokenDelta(text, item.turn_id, item.generation))
        return text

    def _run_calls(
        self, toolbox: Toolbox, item: Transcript, calls: list, spec: ModelSpec,
    ) -> tuple[list[ChatMessage], list[ToolUse]]:
        tools = self.settings.tools
        self.publish(StatusChange("tool", ", ".join(c.name for c in calls)))

        def confirm(tool: Tool, args: dict) -> bool:
            return self.confirmations.ask(tool.summary(args), tool.name, item.turn_id, tools.confirm_timeout_s)

        return run_calls(
            toolbox, calls, item, spec.name, private=withhold_memories(spec, self.settings),
            publish=self.publish, confirm=confirm if tools.confirm else None, language=item.language,
        )
