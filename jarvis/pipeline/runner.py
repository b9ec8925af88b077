"""The Assistant: answers turns and exposes thread-safe, non-blocking calls to the UI and CLI.

``submit_text`` (typed turns and transcripts join here), ``interrupt``, ``set_model``, ``clear``,
``keep_heard``, ``shutdown``. Everything that happens is published on ``bus`` as typed messages;
the TUI and the CLI are observers. The router, long-term memory and turn observers (metrics) are
plain attributes that :mod:`jarvis.assembly` fills in.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from jarvis.config import ModelSpec, Settings
from jarvis.errors import EmptyInput, JarvisError
from jarvis.hardware import Machine, PlacementPlan, plan_for, probe
from jarvis.heap import trim_heap
from jarvis.history import Conversation, Turn
from jarvis.llm.answer_cache import AnswerCache, is_unsure, prompt_digest
from jarvis.llm.base import ChatMessage, ChatModel, GenerationRequest
from jarvis.llm.fallback import FallbackChain, Outcome
from jarvis.llm.language_note import language_note, turn_language
from jarvis.llm.locality import withhold_memories
from jarvis.llm.personal import mentions, not_told, personal_subject
from jarvis.llm.pool import ModelPool
from jarvis.llm.prompt import memory_block, prompt_messages
from jarvis.llm.sense import reads_as_nonsense
from jarvis.messages import (
    MemoryHits,
    ReplyDone,
    RouteDecision,
    Source,
    StageError,
    StatusChange,
    StopRequested,
    TokenDelta,
    ToolUse,
    Transcript,
    TurnRecord,
    TurnTimings,
)
from jarvis.pipeline.cancel import CancelScope
from jarvis.pipeline.confirmations import Confirmations
from jarvis.pipeline.cpu_gate import CpuGate
from jarvis.pipeline.idle import IdleWatch
from jarvis.pipeline.outlet import Outlet
from jarvis.pipeline.parts import AssistantParts, TurnCoach, TurnMemory
from jarvis.pipeline.queues import Channel, ReplyPiece
from jarvis.pipeline.stage import EventBus, Stage
from jarvis.pipeline.tool_rounds import ToolRounds, answer_from_result
from jarvis.pipeline.tool_turn import instant_answer
from jarvis.pipeline.turn_close import TurnCloser
from jarvis.stt.understood import (
    MAX_LOGPROB_WITH_UNKNOWN_WORD,
    didnt_catch,
    is_language,
    made_up_words,
    sure_enough,
)

if TYPE_CHECKING:
    from jarvis.llm.router import Router
    from jarvis.tools.facts import FactAnswer
    from jarvis.tools.intents import Intent
    from jarvis.tools.toolbox import Toolbox

log = logging.getLogger(__name__)

TEMPLATE_TOKENS = 32  # role markers and the generation prompt of a chat template, with a margin
# Tools that know nothing about the user (and the memory tools, which the memories already stand for).
GENERAL_TOOLS = frozenset({"clock", "calculator", "country_facts", "calendar_facts", "remember", "recall", "forget"})


@dataclass(frozen=True)
class Prefill:
    """Ask the turn stage to read the stable part of the prompt into ``model``'s cache."""

    model: str


class TurnStage(Stage):
    """The brain stage: route, recall, generate (streaming), save. One turn at a time.

    It also runs :class:`Prefill` requests, so a model is never used by two threads at once.
    """

    name = "llm"

    def __init__(self, assistant: Assistant) -> None:
        super().__init__(assistant.bus, inbox=Channel("turns", 16))  # typed and spoken turns join here
        self.assistant = assistant

    def process(self, item: Transcript | Prefill) -> None:
        """Answer one transcript (dropped when it was cancelled while queued), or prefill a model."""
        if isinstance(item, Prefill):
            self.assistant.prefill(item.model)
        elif not self.assistant.cancel.is_stale(item.generation):
            self.assistant.run_turn(item)
            trim_heap()  # the turn's freed native buffers go back to the system (see jarvis.heap)


class Assistant:
    """The core that the TUI and the headless commands drive.

    Args:
        settings: the validated settings.
        resume: continue the newest saved conversation instead of starting one.
        parts: router, response cache, memory, tools, tutor and turn observers
            (:class:`~jarvis.pipeline.parts.AssistantParts`; none of them when None).
        machine / plan: the probed machine and its placement plan (probed and planned when None).
        outlet: where what it says goes (the voice's reply queue, then the bus; a new one when None).
        pool: the model pool (a new one on ``outlet``'s bus when None).
        conversation: the conversation to continue; overrides ``resume``.
    """

    # its parts (:meth:`use_parts`); ``coach`` is the tutor of a tutor profile
    router: Router | None
    answers: AnswerCache | None
    memory: TurnMemory | None
    store_turns: bool
    tools: Toolbox | None
    coach: TurnCoach | None
    turn_observers: list[Callable[[TurnRecord], None]]

    def __init__(
        self,
        settings: Settings,
        *,
        resume: bool = False,
        parts: AssistantParts | None = None,
        machine: Machine | None = None,
        plan: PlacementPlan | None = None,
        outlet: Outlet | None = None,
        pool: ModelPool | None = None,
        conversation: Conversation | None = None,
    ) -> None:
        self.settings = settings
        self.outlet = outlet or Outlet()
        self.bus: EventBus = self.outlet.bus
        self.cancel = CancelScope()
        self.cpu_gate = CpuGate()  # the voice holds it while it synthesises a reply's first piece
        self.last_language: str | None = None  # the language of the last turn that was understood
        self.idle = IdleWatch()  # background work (memory translations) runs only while it says quiet
        self.bus.subscribe(self.idle)
        self.machine = machine or probe()
        self.plan = plan or plan_for(self.machine, settings)
        self.pool = pool or ModelPool(settings, self.plan, self.bus.publish)
        folder = settings.general.history_dir
        self.conversation = conversation or (
            Conversation.resume_last(folder) if resume else Conversation.new(folder)
        )
        self.forced_model: str | None = None
        self.use_parts(parts or AssistantParts())
        self.confirmations = Confirmations(self.bus.publish)
        # the speaker closes the turn: its history line and observers (metrics) wait until it was heard
        self.closer = TurnCloser(self.bus, self._record_turn)
        # Turn ids go on from the resumed conversation's, so a barge-in amends the right reply.
        self._turn_ids = itertools.count(max((t.turn_id for t in self.conversation.turns), default=0) + 1)
        self._active: GenerationRequest | None = None
        self._active_lock = threading.Lock()
        self._heard_lock = threading.Lock()
        self._heard_early: tuple[int, str] | None = None  # barge-in before the reply was saved
        self._last_fact: FactAnswer | None = None  # the country fact answered last turn ("And of Italy?")
        self._stage = TurnStage(self)
        self._rounds = ToolRounds(settings, self.emit, self.cancel, self.confirmations, self._generate_pass)
        self._preload: threading.Thread | None = None
        self._started = False
        self._closing = False

    def use_parts(self, parts: AssistantParts) -> None:
        """Answer with ``parts`` from the next turn on (start-up and each profile switch)."""
        self.router, self.answers, self.memory = parts.router, parts.answers, parts.memory
        self.store_turns, self.tools, self.coach = parts.store_turns, parts.tools, parts.coach
        self.turn_observers = list(parts.observers)

    def use_settings(self, settings: Settings, parts: AssistantParts) -> None:
        """Answer with ``settings`` and ``parts`` from the next turn on (a profile switch): the
        assistant and every part that keeps its own copy (the model pool, the tool rounds) take them
        at once."""
        self.settings = settings
        self.pool.settings = settings
        self._rounds.settings = settings
        self.use_parts(parts)

    @property
    def reply(self) -> Callable[[ReplyPiece], None] | None:
        """The voice's reply queue (``put``, never blocks; None without a voice): see :class:`Outlet`."""
        return self.outlet.reply

    @reply.setter
    def reply(self, put: Callable[[ReplyPiece], None] | None) -> None:
        self.outlet.reply = put

    # ------------------------------------------------------------------ control (thread safe)
    def emit(self, event: Any) -> None:
        """Hand on an event of a turn through the :class:`Outlet`: the voice's reply queue, then the
        bus. Tools and the tutor speak (fillers, rung timers) through the same outlet."""
        self.outlet.emit(event)

    def start(self, preload: bool = True) -> Assistant:
        """Start the stage thread and, optionally, load the first model in the background."""
        if not self._started:
            self._stage.start()
            self.closer.start()
            self._started = True
            if preload:
                self.preload()
        return self

    def preload(self) -> None:
        """Load the model the first turn will most likely use, in a background thread.

        :meth:`shutdown` waits for it: freeing a model while native code loads it is not safe.
        """
        if self._preload is None and self.settings.models:
            self._preload = threading.Thread(target=self._load_first_model, name="jarvis-preload", daemon=True)
            self._preload.start()

    def _load_first_model(self) -> None:
        name = self.forced_model or self.settings.default_model.name
        try:
            self.pool.get(name)
            self._stage.put(Prefill(name))
        except JarvisError as exc:
            self.bus.publish(StageError("model", exc.message, exc.hint))
        except Exception as exc:  # pragma: no cover - unexpected
            log.exception("preload failed")
            self.bus.publish(StageError("model", str(exc), "see the log file"))

    def warm_cache(self, name: str) -> None:
        """Re-read the chat prompt into loaded model ``name``'s cache, in the turn thread, after
        background work (a memory translation) used the model. Never blocks."""
        if self._closing or not self._started or name not in self.pool.resident():
            return
        try:
            self._stage.put(Prefill(name), timeout=0.01)
        except queue.Full:
            pass

    def submit_text(
        self, text: str, source: Source = "keyboard", language: str | None = None,
        timings: TurnTimings | None = None, recognition: Any = None,
    ) -> int:
        """Queue a turn; returns its id at once. Raises :class:`EmptyInput` for blank text.

        Voice turns pass the ``timings`` record already marked (speech end, transcript ready) and
        the recogniser's result; the turn goes on marking the same record.
        """
        text = text.strip()
        if not text:
            raise EmptyInput("nothing to answer: the message is empty", "type a question or press the talk key")
        if self.confirmations.waiting and self.confirmations.answer_text(text):
            return 0  # a yes/no to a tool waiting for confirmation, not a new turn
        item = Transcript(
            text, language, source, next(self._turn_ids), self.cancel.generation,
            timings=timings or TurnTimings(), recognition=recognition,
        )
        self._stage.put(item)
        return item.turn_id

    def interrupt(self) -> int:
        """Stop the reply being generated (and anything queued after it); returns the new generation."""
        gen = self.cancel.cancel()
        self.confirmations.cancel_all()
        with self._active_lock:
            if self._active is not None:
                self._active.stop()
        return gen

    def keep_heard(self, turn_id: int, text: str) -> None:
        """After a barge-in the history keeps only what was heard of ``turn_id``'s reply.

        Works whether or not the reply has been saved yet (the generator may still be stopping).
        """
        with self._heard_lock:
            if self.conversation.amend_assistant(turn_id, text, interrupted=True) is None:
                self._heard_early = (turn_id, text)

    def confirm(self, request_id: int, yes: bool) -> bool:
        """Answer a tool's :class:`ConfirmRequest`; False when it no longer waits."""
        return self.confirmations.answer(request_id, yes)

    def set_model(self, name: str | None) -> None:
        """Force a model for the next turns (``None`` returns to routing). Raises ModelNotFound."""
        if name is not None:
            self.settings.model(name)
        self.forced_model = name

    def clear(self) -> None:
        """Forget the conversation so far (it stays on disk)."""
        self.conversation.clear()
        self._last_fact = None

    def shutdown(self) -> None:
        """Stop generating, stop the thread, wait for a model load in progress, free the models."""
        self._closing = True  # no new prefill; one already running cannot be cut short: wait for it
        self.interrupt()
        self._stage.stop(timeout=120)
        self.closer.close()  # the turns still waiting for the speaker are written now
        try:
            self.conversation.save_all()
        except JarvisError as exc:
            log.warning("%s", exc.one_line())
        if self._preload is not None:
            self._preload.join(300)
        self.pool.close()

    # ------------------------------------------------------------------ one turn
    def _tool_schemas(self, model: ChatModel, spec: ModelSpec, request: str) -> list[dict] | None:
        """The tools offered to ``model`` for ``request``: only those it may need (none for plain chat,
        so small models are not distracted and the prompt stays short). None when it cannot call tools."""
        if self.tools is None or not model.supports_tools or not self.settings.tools.enabled:
            return None
        return self.tools.schemas(personal=not withhold_memories(spec, self.settings), request=request) or None

    def _prompt(self, model: ChatModel, memory: str = "", note: str = "") -> list[ChatMessage]:
        """The prompt for ``model`` from the conversation so far (system prompt, history, memories)."""
        llm = self.settings.llm
        room = getattr(model, "n_ctx", 10**9) - llm.max_tokens  # the context less the reply
        # the newest question may use the room the system prompt, the note and the chat template leave
        question_room = room - model.count_tokens(llm.system_prompt) - model.count_tokens(note) - TEMPLATE_TOKENS
        return prompt_messages(
            self.conversation.turns,
            llm.system_prompt,
            min(llm.history_tokens, room),
            model.count_tokens,
            memory=memory,
            memory_in=llm.memory_in,
            question_budget_tokens=max(16, question_room),
            note=note,
        )

    def prefill(self, name: str) -> None:
        """Read the system prompt and the history into model ``name``'s cache before the first turn.

        The next turn then only reads its new part (see :mod:`jarvis.llm.prompt`). Failures are
        logged, never raised: the turn would read the prompt anyway.
        """
        if self._closing:
            return
        try:
            with self.pool.lease(name) as model:
                t0 = time.monotonic()
                model.prefill(self._prompt(model))  # tools are offered per turn, only those it may need
                log.info("prefilled %s in %.2fs", name, time.monotonic() - t0)
        except Exception:
            log.warning("could not prefill %s", name, exc_info=True)

    def decide(self, text: str) -> RouteDecision:
        """Which model answers ``text`` (forced model > router > default)."""
        if self.forced_model:
            return RouteDecision(self.forced_model, 0, "chat", f"forced with /model {self.forced_model}", True)
        if self.router is not None and self.settings.router.enabled:
            return self.router.decide(text, self.conversation)
        name = self.settings.default_model.name
        return RouteDecision(name, 0, "chat", "default model (routing off)")

    def recall(self, item: Transcript, decision: RouteDecision) -> MemoryHits:
        """The memories for a turn, marked ``withheld`` when ``decision``'s model may not see them."""
        if self.memory is None:
            return MemoryHits(turn_id=item.turn_id)
        try:
            hits = self.memory.recall_for_turn(item.text, item.turn_id)
        except JarvisError as exc:
            return MemoryHits(error=exc.one_line(), turn_id=item.turn_id)
        try:
            withheld = withhold_memories(self.settings.model(decision.model), self.settings)
        except JarvisError:  # an unknown model: the turn reports it; send nothing anywhere
            withheld = True
        return replace(hits, withheld=withheld) if hits.error is None else hits

    def run_turn(self, item: Transcript) -> None:
        """Answer one transcript in the calling thread, publishing every event of the turn."""
        timings = item.timings
        timings.mark("transcript_ready")
        publish = self.emit
        language = self.coach.language if self.coach is not None else turn_language(
            item.language, item.text, self.settings.stt.language
        )
        if language != item.language:  # the reply (and its voice) follow the user's language
            item = replace(item, language=language)
        self.conversation.add(Turn("user", item.text, source=item.source, turn_id=item.turn_id))
        publish(item)
        publish(StatusChange("thinking"))
        if item.source == "voice" and not is_language(item.text):
            self._fixed_reply(item, didnt_catch(item.language), "stt", "the transcript is not language: asked again")
            return
        logprob = getattr(item.recognition, "logprob", None) if item.source == "voice" else None
        if not sure_enough(logprob):
            self._fixed_reply(item, didnt_catch(item.language), "stt", "the recogniser was guessing: asked again")
            return
        intent = None
        if self.tools is not None and self.coach is None:
            intent = self.tools.match(item.text, item.language, after=self._last_fact)
        self._last_fact = intent.details.get("fact") if intent is not None else None
        if intent is not None:
            self.last_language = language  # understood: an unsure language detection leans to it next time
            self._instant_turn(item, intent)
            return
        if self.coach is None and not sure_enough(logprob, for_model=True):
            # a model-bound question needs a surer transcript; the tutor answers a learner as heard
            self._fixed_reply(item, didnt_catch(item.language), "stt",
                              "only a model could answer, and the recogniser was unsure: asked again")
            return
        heard_in = getattr(item.recognition, "language", None) or item.language
        if self.coach is None and made_up_words(item.text, heard_in, logprob):
            # the words themselves are not said here: the reason goes to the timeline and the metrics
            self._fixed_reply(item, didnt_catch(item.language), "stt",
                              "only a model could answer, and the unsure transcript has a made-up word: asked again")
            return
        unsure = logprob is not None and logprob < MAX_LOGPROB_WITH_UNKNOWN_WORD
        if self.coach is None and reads_as_nonsense(item.text, heard_in, unsure, self._question_before()):
            self._fixed_reply(item, didnt_catch(item.language), "stt",
                              "only a model could answer, and the unsure transcript reads like no sentence: "
                              "asked again")
            return
        self.last_language = language
        try:
            decision = self.decide(item.text)
        except JarvisError as exc:
            publish(StageError("llm", exc.message, exc.hint, item.turn_id))
            publish(StatusChange("idle"))
            return
        cached = self._cached(item, decision.model)
        if cached is not None:
            self._fixed_reply(item, cached["text"], "cache", f"asked before: answered from the response cache "
                              f"({cached.get('model', '?')})")
            return
        timings.mark("route_chosen")
        hits = self.recall(item, decision)
        # a question about the user's life: only memories about that, or "not told" (tools asked only then)
        about = personal_subject(item.text) if self.coach is None else None
        if about is not None and not self._tools_know(item.text):
            hits = replace(hits, hits=tuple(h for h in hits.hits if mentions(h.text, about)))
            said = any(mentions(t.content, about) for t in self.conversation.turns[:-1] if t.role == "user")
            if not hits.hits and not said and hits.error is None:
                if self.memory is not None:
                    publish(hits)
                self._fixed_reply(item, not_told(item.language), "memory",
                                  f"about you ({', '.join(about[:2])}): nothing you told matches")
                return
        if self.memory is not None:
            publish(hits)
        timings.mark("memory_ready")
        publish(decision)
        note = language_note(item.language)
        if self.coach is not None:
            note = " ".join(filter(None, (self.coach.before_reply(item), note)))
        outcome = self._rounds.run(self.tools, item, decision, hits, note)
        timings.mark("reply_done")
        error = outcome.error
        if outcome.spec is None and not outcome.text and not outcome.interrupted:
            err = error or JarvisError("no model could answer", "see the log file")
            publish(StageError("llm", err.message, err.hint, item.turn_id))
            # the failed turn still gets its metrics line: model "none", every model's error
            failed = ReplyDone("", "none", timings=timings, turn_id=item.turn_id, generation=item.generation,
                               language=item.language, memory=hits)
            record = TurnRecord(failed, decision, fallbacks=tuple(outcome.fallbacks), error=err.one_line())
            self._close_turn(record, spoken=False)  # no ReplyDone: nothing goes to the speaker
            return
        done = ReplyDone(
            text=outcome.text,
            model=outcome.model_name,
            stats=outcome.stats,
            timings=timings,
            interrupted=outcome.interrupted,
            turn_id=item.turn_id,
            generation=item.generation,
            remote=outcome.remote,
            cost=outcome.cost,
            language=item.language,
            decision=outcome.decision,
            memory=hits,
            tools=tuple(outcome.tools),
        )
        if done.text or done.interrupted:
            self._save_reply(item, done, outcome.fallbacks)
        publish(done)
        if self.coach is not None and done.text and not done.interrupted:
            self._coach_after(item, done)
        if error is not None:
            publish(StageError("llm", error.message, error.hint, item.turn_id))
        if error is None and not done.interrupted and not hits.hits and not done.tools and not outcome.remote:
            self._cache(item, done, decision.model)
        if self.memory is not None and self.store_turns and done.text and not done.interrupted and error is None:
            try:
                self.memory.remember_turn(item.text, done.text, item.source, item.language, done.model)
            except JarvisError as exc:
                publish(StageError("memory", exc.message, exc.hint, item.turn_id))
        record = TurnRecord(
            reply=done,
            route=decision,
            device=outcome.device,
            fallbacks=tuple(outcome.fallbacks),
            error=error.one_line() if error is not None else None,
        )
        self._close_turn(record)

    def _close_turn(self, record: TurnRecord, spoken: bool = True) -> None:
        """The reply is done: the status goes back to idle, and the record is written now or, when a
        speaker says the reply, once it was heard (see :mod:`jarvis.pipeline.turn_close`)."""
        self.closer.finish(record, spoken)
        self.bus.publish(StatusChange("idle"))

    def _record_turn(self, record: TurnRecord, heard: str | None) -> None:
        """Write one closed turn: the reply's history line (only the heard part when the user cut
        it), then the turn observers (metrics). A history that cannot be written is reported."""
        turn_id = record.reply.turn_id
        try:
            if heard is not None:
                self.conversation.amend_assistant(turn_id, heard, interrupted=True)
            self.conversation.save(turn_id)
        except JarvisError as exc:
            self.bus.publish(StageError("history", exc.message, exc.hint, turn_id))
        for observe in self.turn_observers:
            observe(record)

    def _coach_after(self, item: Transcript, done: ReplyDone) -> None:
        """The tutor's feedback on a learner turn; its failure is reported, never raised."""
        assert self.coach is not None
        try:
            self.coach.after_reply(item, done)
        except JarvisError as exc:
            self.bus.publish(StageError("tutor", exc.message, exc.hint, item.turn_id))
        except Exception as exc:  # pragma: no cover - unexpected
            log.exception("tutor feedback failed")
            self.bus.publish(StageError("tutor", f"{type(exc).__name__}: {exc}", "see the log file", item.turn_id))

    def _tools_know(self, text: str) -> bool:
        """True when a tool offered for ``text`` may know about the user (their computer, timers, an
        MCP server's data): then a model with that tool answers a question about them, not "not told"."""
        if self.tools is None or not self.settings.tools.enabled:
            return False
        offered = {s["function"]["name"] for s in self.tools.schemas(personal=True, request=text)}
        return bool(offered - GENERAL_TOOLS)

    def _answered_by(self, model: str) -> str:
        """What a cached answer depends on besides the question: the model and the system prompt."""
        return f"{model}:{prompt_digest(self.settings.llm.system_prompt)}"

    def _cached(self, item: Transcript, model: str) -> dict | None:
        """The response cache's answer to this turn's question from ``model`` (None: ask it)."""
        if self.answers is None or self.forced_model or self.coach is not None:
            return None
        return self.answers.get(item.text, item.language, self._answered_by(model))

    def _cache(self, item: Transcript, done: ReplyDone, routed: str) -> None:
        """Keep a model's answer for the same question later, unless it is unsure (see AnswerCache)."""
        if self.answers is None or self.forced_model or self.coach is not None or is_unsure(done.text):
            return
        self.answers.put(item.text, item.language, done.text, done.model, self._answered_by(routed))

    def _question_before(self) -> str | None:
        """The user's turn before this one (the newest turn is this one's), unless it was asked again."""
        turns = self.conversation.turns
        for i in range(len(turns) - 2, -1, -1):
            if turns[i].role == "user":
                reply = turns[i + 1] if i + 1 < len(turns) else None
                asked_again = reply is not None and reply.role == "assistant" and reply.meta.get("asked_again")
                return None if asked_again else turns[i].content
        return None

    def _fixed_reply(self, item: Transcript, text: str, model: str, reason: str) -> None:
        """Answer with ``text`` as it stands, without a model (e.g. "didn't catch that")."""
        decision = RouteDecision(model, 0, "chat", reason)
        item.timings.mark("route_chosen")
        self.bus.publish(decision)
        self._say_reply(item, decision, text)

    def _say_reply(
        self, item: Transcript, decision: RouteDecision, text: str, tools: tuple[ToolUse, ...] = (),
        language: str | None = None,
    ) -> None:
        """A reply made without a model: streamed whole, saved, published, and the turn closed."""
        timings, publish = item.timings, self.emit
        timings.mark("first_token")
        publish(TokenDelta(text, item.turn_id, item.generation))
        timings.mark("reply_done")
        done = ReplyDone(
            text=text, model=decision.model, timings=timings, turn_id=item.turn_id, generation=item.generation,
            language=language or item.language, decision=decision, tools=tools,
        )
        self._save_reply(item, done, [])
        publish(done)
        self._close_turn(TurnRecord(reply=done, route=decision, device="cpu"))

    def _instant_turn(self, item: Transcript, intent: Intent) -> None:
        """Answer an everyday command without a model (the instant path)."""
        assert self.tools is not None
        decision = RouteDecision("instant", 0, "tool", f"everyday command ({intent.kind}): answered without a model")
        item.timings.mark("route_chosen")
        self.bus.publish(decision)
        if intent.kind == "stop":
            self.bus.publish(StopRequested(item.turn_id))
        text, uses = instant_answer(self.tools, intent, item, self.emit)
        self._say_reply(item, decision, text, uses, item.language or intent.language)

    def _generate_pass(
        self, item: Transcript, decision: RouteDecision, hits: MemoryHits, extra: list[ChatMessage],
        offer_tools: bool, note: str = "",
    ) -> Outcome:
        """One pass through the fallback chain (``extra``: tool calls and results so far)."""
        llm = self.settings.llm
        publish = self.emit

        def prepare(model: ChatModel, spec: ModelSpec) -> GenerationRequest:
            memory = "" if withhold_memories(spec, self.settings) else memory_block(hits)
            messages = self._prompt(model, memory, note)
            messages.extend(extra)
            answer_now = bool(extra) and spec.is_local
            if answer_now:  # small local models answer from a result when asked plainly (measured)
                messages.append(answer_from_result(item.language))
            req = GenerationRequest(messages, llm.max_tokens, llm.temperature, llm.top_p, llm.seed,
                                    language=item.language,
                                    question=item.text if self.coach is None else None)  # a tutor may say it back
            req.tools = self._tool_schemas(model, spec, item.text) if offer_tools and not answer_now else None
            with self._active_lock:
                self._active = req
            if self.cancel.is_stale(item.generation):
                req.stop()
            publish(StatusChange("generating", model.name))
            return req

        def on_delta(piece: str) -> None:
            item.timings.mark("first_token")
            publish(TokenDelta(piece, item.turn_id, item.generation))
            self.cpu_gate.wait()  # the voice may be making the first audio: let it have the cores

        chain = FallbackChain(self.settings, self.pool, self.router, publish)
        try:
            return chain.run(decision, prepare, on_delta, lambda: self.cancel.is_stale(item.generation))
        finally:
            with self._active_lock:
                self._active = None

    def _save_reply(self, item: Transcript, done: ReplyDone, fallbacks: list[str]) -> None:
        """Add the reply to the history (only the heard part when a barge-in came first)."""
        meta: dict[str, Any] = {}
        if done.model == "stt":  # "didn't catch that": the next prompts leave this exchange out
            meta["asked_again"] = True
        if done.remote:
            meta.update(remote=True, cost=done.cost)
        if fallbacks:
            meta["fallbacks"] = fallbacks
        with self._heard_lock:
            text, interrupted = done.text, done.interrupted
            if self._heard_early is not None and self._heard_early[0] == item.turn_id:
                text, interrupted = self._heard_early[1], True
            self._heard_early = None
            self.conversation.add(  # a reply the speaker will say is written once it was heard
                Turn("assistant", text, model=done.model, interrupted=interrupted, source=item.source,
                     meta=meta, turn_id=item.turn_id),
                save=not self.closer.speaker,
            )

    def ask(self, text: str, on_delta: Callable[[str], None] | None = None) -> ReplyDone:
        """Run one turn synchronously in this thread (headless use); returns the ReplyDone.

        Raises the turn's JarvisError (EmptyInput, ModelNotFound, ...) instead of publishing it.
        Memory problems never stop an answer, so they are not raised here.
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
            elif isinstance(ev, StageError) and ev.stage != "memory" and "error" not in result:
                result["error"] = ev

        self.bus.subscribe(observe)
        try:
            self.run_turn(Transcript(text, None, "cli", next(self._turn_ids), self.cancel.generation))
        finally:
            self.bus.unsubscribe(observe)
            trim_heap()
        if "done" not in result:
            err = result.get("error")
            raise JarvisError(err.message if err else "no reply", err.hint if err else "")
        if "error" in result and not result["done"].text:
            err = result["error"]
            raise JarvisError(err.message, err.hint)
        return result["done"]
