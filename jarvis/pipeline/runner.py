"""The Assistant: wires the stages and exposes thread-safe, non-blocking calls to the UI and CLI.

``submit_text`` (typed turns and transcripts join here), ``interrupt``, ``set_model``, ``clear``,
``shutdown``. Everything that happens is published on ``bus`` as typed messages; the TUI and the
CLI are observers. Features plug in through small seams (``recall``, ``route``, ``remember``).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from jarvis.config import Settings
from jarvis.errors import EmptyInput, JarvisError
from jarvis.hardware import Machine, PlacementPlan, plan_for, probe
from jarvis.history import Conversation, Turn
from jarvis.llm.base import GenerationRequest
from jarvis.llm.fallback import FallbackChain
from jarvis.llm.pool import ModelPool
from jarvis.llm.router import leaves_machine
from jarvis.messages import (
    MemoryHits,
    ReplyDone,
    RouteDecision,
    StageError,
    StatusChange,
    TokenDelta,
    Transcript,
    TurnTimings,
)
from jarvis.pipeline.cancel import CancelScope
from jarvis.pipeline.stage import EventBus, Stage

log = logging.getLogger(__name__)

RecallFn = Callable[[str, Transcript], MemoryHits]
RouteFn = Callable[[str, Conversation], RouteDecision]
RememberFn = Callable[[Transcript, ReplyDone], None]


def memory_block(hits: MemoryHits) -> str:
    """The delimited memory section appended to the system prompt (empty when nothing is used)."""
    if not hits.hits or hits.withheld:
        return ""
    lines = "\n".join(f"- {h.text}" for h in hits.hits)
    return (
        "\n\n<memories>\nThings you remember about the user from earlier conversations "
        f"(use them only when they help):\n{lines}\n</memories>"
    )


class TurnStage(Stage):
    """The brain stage: recall, route, generate (streaming), save. One turn at a time."""

    name = "llm"

    def __init__(self, assistant: Assistant) -> None:
        super().__init__(emit=assistant.bus.publish, bus=assistant.bus, maxsize=16)
        self.a = assistant

    def process(self, item: Transcript) -> Iterable[Any]:
        """Answer one transcript, publishing deltas as they come."""
        timings = self.a.pending_timings.pop(item.turn_id, None)
        if self.a.cancel.is_stale(item.generation):
            return ()
        return self.a.run_turn(item, timings)


class Assistant:
    """The core that the TUI and the headless commands drive."""

    def __init__(
        self,
        settings: Settings,
        *,
        resume: bool = False,
        machine: Machine | None = None,
        plan: PlacementPlan | None = None,
        bus: EventBus | None = None,
        conversation: Conversation | None = None,
    ) -> None:
        self.settings = settings
        self.bus = bus or EventBus()
        self.cancel = CancelScope()
        self.machine = machine or probe()
        self.plan = plan or plan_for(self.machine, settings)
        self.pool = ModelPool(settings, self.plan, self.bus.publish)
        folder = settings.general.history_dir
        self.conversation = conversation or (
            Conversation.resume_last(folder) if resume else Conversation.new(folder)
        )
        self.forced_model: str | None = None
        self.recall: RecallFn | None = None
        self.route: RouteFn | None = None
        self.remember: RememberFn | None = None
        self.turn_observers: list[Callable[[dict], None]] = []
        self._turn_ids = itertools.count(1)
        self._active: GenerationRequest | None = None
        self._active_lock = threading.Lock()
        self.pending_timings: dict[int, TurnTimings] = {}
        self._stage = TurnStage(self)
        self._started = False

    # ------------------------------------------------------------------ control (thread safe)
    def start(self, preload: bool = True) -> Assistant:
        """Start the stage thread and, optionally, load the default model in the background."""
        if not self._started:
            self._stage.start()
            self._started = True
            if preload and self.settings.models:
                threading.Thread(target=self._preload, name="jarvis-preload", daemon=True).start()
        return self

    def _preload(self) -> None:
        name = self.forced_model or self.settings.default_model.name
        try:
            self.pool.get(name)
        except JarvisError as exc:
            self.bus.publish(StageError("model", exc.message, exc.hint))
        except Exception as exc:  # pragma: no cover - unexpected
            log.exception("preload failed")
            self.bus.publish(StageError("model", str(exc), "see the log file"))

    def submit_text(
        self, text: str, source: str = "keyboard", language: str | None = None,
        timings: TurnTimings | None = None,
    ) -> int:
        """Queue a turn; returns its id at once. Raises :class:`EmptyInput` for blank text.

        ``timings`` (voice turns) carries moments marked before the turn was queued (speech end,
        transcript ready); the turn goes on marking the same record.
        """
        text = text.strip()
        if not text:
            raise EmptyInput("nothing to answer: the message is empty", "type a question or press the talk key")
        turn_id = next(self._turn_ids)
        if timings is not None:
            self.pending_timings[turn_id] = timings
        self._stage.put(Transcript(text, language, source, turn_id, self.cancel.generation))  # type: ignore[arg-type]
        return turn_id

    def interrupt(self) -> int:
        """Stop the reply being generated (and anything queued after it); returns the new generation."""
        gen = self.cancel.cancel()
        with self._active_lock:
            if self._active is not None:
                self._active.stop()
        return gen

    def set_model(self, name: str | None) -> None:
        """Force a model for the next turns (``None`` returns to routing). Raises ModelNotFound."""
        if name is not None:
            self.settings.model(name)
        self.forced_model = name

    def clear(self) -> None:
        """Forget the conversation so far (it stays on disk)."""
        self.conversation.clear()

    def shutdown(self) -> None:
        """Stop generating, stop the thread, free the models."""
        self.interrupt()
        self._stage.stop(timeout=10)
        self.pool.close()

    # ------------------------------------------------------------------ one turn
    def decide(self, text: str) -> RouteDecision:
        """Which model answers ``text`` (forced model > router > default)."""
        if self.forced_model:
            return RouteDecision(self.forced_model, 0, "chat", f"forced with /model {self.forced_model}", True)
        if self.route is not None and self.settings.router.enabled:
            return self.route(text, self.conversation)
        name = self.settings.default_model.name
        return RouteDecision(name, 0, "chat", "default model (routing off)")

    def run_turn(self, item: Transcript, timings: TurnTimings | None = None) -> list[Any]:
        """Answer one transcript in the calling thread, publishing events; returns nothing to emit."""
        timings = timings or TurnTimings()
        timings.mark("transcript_ready")
        publish = self.bus.publish
        self.conversation.add(Turn("user", item.text, source=item.source))
        publish(item)
        publish(StatusChange("thinking"))

        hits = MemoryHits(turn_id=item.turn_id)
        if self.recall is not None:
            try:
                hits = self.recall(item.text, item)
            except JarvisError as exc:
                hits = MemoryHits(error=exc.one_line(), turn_id=item.turn_id)
            publish(hits)
        timings.mark("memory_ready")

        try:
            decision = self.decide(item.text)
        except JarvisError as exc:
            publish(StageError("llm", exc.message, exc.hint, item.turn_id))
            publish(StatusChange("idle"))
            return []
        publish(decision)
        timings.mark("route_chosen")
        llm = self.settings.llm

        def prepare(model: Any, spec: Any) -> GenerationRequest:
            block = memory_block(hits)
            if block and leaves_machine(spec) and not self.settings.memory.share_with_api:
                block = ""  # memories stay on this machine unless memory.share_with_api
            messages = self.conversation.prompt_messages(
                llm.system_prompt + block,
                min(llm.history_tokens, getattr(model, "n_ctx", 10**9) - llm.max_tokens),
                model.count_tokens,
            )
            req = GenerationRequest(messages, llm.max_tokens, llm.temperature, llm.top_p, llm.seed)
            with self._active_lock:
                self._active = req
            if self.cancel.is_stale(item.generation):
                req.stop()
            publish(StatusChange("generating", model.name))
            return req

        def on_delta(piece: str) -> None:
            timings.mark("first_token")
            publish(TokenDelta(piece, item.turn_id, item.generation))

        chain = FallbackChain(self.settings, self.pool, getattr(self, "router", None), publish)
        try:
            outcome = chain.run(decision, prepare, on_delta, lambda: self.cancel.is_stale(item.generation))
        finally:
            with self._active_lock:
                self._active = None
        timings.mark("reply_done")
        error = outcome.error
        if outcome.spec is None and not outcome.text and not outcome.interrupted:
            err = error or JarvisError("no model could answer", "see the log file")
            publish(StageError("llm", err.message, err.hint, item.turn_id))
            publish(StatusChange("idle"))
            return []
        text = outcome.text
        stats = outcome.stats
        interrupted = outcome.interrupted
        model_name = outcome.model_name
        done = ReplyDone(
            text=text,
            model=model_name,
            stats=stats,
            timings=timings,
            interrupted=interrupted,
            turn_id=item.turn_id,
            generation=item.generation,
            remote=outcome.remote,
            cost=outcome.cost,
        )
        if text or interrupted:
            meta: dict[str, Any] = {}
            if outcome.remote:
                meta.update(remote=True, cost=outcome.cost)
            if outcome.fallbacks:
                meta["fallbacks"] = outcome.fallbacks
            self.conversation.add(
                Turn("assistant", text, model=model_name, interrupted=interrupted, source=item.source,
                     meta=meta)
            )
        publish(done)
        if error is not None:
            publish(StageError("llm", error.message, error.hint, item.turn_id))
        if self.remember is not None and text and not interrupted and error is None:
            try:
                self.remember(item, done)
            except JarvisError as exc:
                publish(StageError("memory", exc.message, exc.hint, item.turn_id))
        record = {
            "turn_id": item.turn_id,
            "decision": decision,
            "done": done,
            "hits": hits,
            "outcome": outcome,
            "error": error.one_line() if error is not None else None,
        }
        for fn in self.turn_observers:
            fn(record)
        publish(StatusChange("idle"))
        return []

    def ask(self, text: str, on_delta: Callable[[str], None] | None = None) -> ReplyDone:
        """Run one turn synchronously in this thread (headless use); returns the ReplyDone.

        Raises the turn's JarvisError (EmptyInput, ModelNotFound, ...) instead of publishing it.
        """
        text = text.strip()
        if not text:
            raise EmptyInput("nothing to answer: the question is empty", 'pass a question: jarvis ask "..."')
        result: dict[str, Any] = {}

        def observe(ev: Any) -> None:
            if isinstance(ev, TokenDelta) and on_delta is not None:
                on_delta(ev.text)
            elif isinstance(ev, ReplyDone):
                result["done"] = ev
            elif isinstance(ev, StageError) and "error" not in result:
                result["error"] = ev

        self.bus.subscribe(observe)
        try:
            item = Transcript(text, None, "cli", next(self._turn_ids), self.cancel.generation)
            self.run_turn(item)
        finally:
            self.bus.unsubscribe(observe)
        if "done" not in result:
            err = result.get("error")
            raise JarvisError(err.message if err else "no reply", err.hint if err else "")
        if "error" in result and not result["done"].text:
            err = result["error"]
            raise JarvisError(err.message, err.hint)
        return replace(result["done"])
