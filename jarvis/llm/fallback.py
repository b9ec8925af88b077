"""The fallback chain: answer a turn with the routed model, or the next one when it cannot.

Order (from :meth:`Router.chain`): the chosen model, the other local models (best fit first), then
cloud/remote models that are allowed (``router.allow_api``) and have a key. A model is skipped when
its file is missing or corrupt, it fails to load, it does not fit in memory, its backend fails
(timeout, network down, 5xx, 401, 429, missing key) or, for a local model with a next candidate,
no token arrives within ``router.max_local_latency_s``. Each skip is published as a
:class:`RouteDecision` whose ``reason`` starts with ``fallback:``. Once tokens have reached the user
there is no restart: a failure mid-reply keeps the partial text and reports the error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jarvis.config import ModelSpec, Settings
from jarvis.errors import BackendUnavailable, JarvisError
from jarvis.llm.base import ChatModel, GenerationRequest
from jarvis.llm.locality import leaves_machine
from jarvis.llm.pool import ModelPool
from jarvis.llm.reply_guard import ReplyGuard
from jarvis.llm.router import Router
from jarvis.messages import GenerationStats, RouteDecision, ToolCall, ToolUse

log = logging.getLogger(__name__)

PrepareFn = Callable[[ChatModel, ModelSpec], GenerationRequest]


def cost_of(spec: ModelSpec, stats: GenerationStats | None) -> float:
    """USD cost of one reply from the spec's prices per 1000 tokens (0 for local models)."""
    if stats is None:
        return 0.0
    cost = (
        stats.prompt_tokens / 1000 * spec.cost_per_1k_in
        + stats.completion_tokens / 1000 * spec.cost_per_1k_out
    )
    return round(cost, 6)


@dataclass(frozen=True)
class Attempt:
    """One model tried for a turn and why it was given up (``error`` None: it answered)."""

    model: str
    error: str | None = None


@dataclass
class Outcome:
    """How a turn was answered: the model, text, stats, cost, and every attempt before it."""

    decision: RouteDecision
    model: ChatModel | None = None
    spec: ModelSpec | None = None
    text: str = ""
    stats: GenerationStats | None = None
    interrupted: bool = False
    error: JarvisError | None = None
    attempts: list[Attempt] = field(default_factory=list)
    device: str = ""
    remote: bool = False
    cost: float = 0.0
    tool_calls: list[ToolCall] = field(default_factory=list)  # what the model asked to run
    bad_tool_calls: list[str] = field(default_factory=list)  # calls it wrote that could not be read
    tools: list[ToolUse] = field(default_factory=list)  # the calls run for the whole turn

    @property
    def model_name(self) -> str:
        """The model that answered (or the last one tried)."""
        return self.spec.name if self.spec is not None else self.decision.model

    @property
    def fallbacks(self) -> list[str]:
        """One line per model given up, ``name: why``."""
        return [f"{a.model}: {a.error}" for a in self.attempts if a.error]


def _why(err: JarvisError, name: str = "") -> str:
    text = err.message.removeprefix(f"{name}: ") if name else err.message
    return text if len(text) <= 90 else text[:87] + "..."


class FallbackChain:
    """Runs a turn through the fallback chain.

    Args:
        settings: the settings (``[router]`` limits).
        pool: where local and remote models are obtained (leased while they generate).
        router: builds the candidate order (default: a :class:`Router` on ``settings``).
        publish: event sink for fallback notices (:class:`RouteDecision`).
    """

    def __init__(
        self,
        settings: Settings,
        pool: ModelPool,
        router: Router | None = None,
        publish: Callable[[Any], None] = lambda e: None,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.router = router or Router(settings)
        self.publish = publish

    def run(
        self,
        decision: RouteDecision,
        prepare: PrepareFn,
        on_delta: Callable[[str], None] = lambda s: None,
        is_stale: Callable[[], bool] = lambda: False,
    ) -> Outcome:
        """Answer with ``decision.model`` or the next candidate; never raises for model failures.

        Args:
            decision: the routing decision (a forced one gets no fallback).
            prepare: builds the request for a model (the caller registers it for interrupts).
            on_delta: called with each text piece as it arrives.
            is_stale: True once the user interrupted this turn.
        Returns:
            An :class:`Outcome`; ``error`` is set when no model could answer (or one failed mid-reply).
        """
        out = Outcome(decision=decision)
        try:
            chain = self.router.chain(decision)
        except JarvisError as exc:  # unknown model name
            out.error = exc
            out.attempts.append(Attempt(decision.model, _why(exc)))
            return out
        current = decision
        for i, spec in enumerate(chain):
            if is_stale():
                out.interrupted = True
                return out
            if i > 0:
                prev = out.attempts[-1]
                where = " (leaves this machine)" if leaves_machine(spec) else ""
                current = RouteDecision(
                    spec.name,
                    decision.difficulty,
                    decision.specialty,
                    f"fallback: {prev.model} failed ({prev.error}) -> {spec.name}{where}",
                )
                out.decision = current
                log.info("%s", current.reason)
                self.publish(current)
            last = i == len(chain) - 1
            done = self._attempt(spec, prepare, on_delta, is_stale, out, last)
            if done:
                return out
        hint = out.error.hint if out.error is not None else ""
        if not self.settings.router.allow_api and any(leaves_machine(m) for m in self.settings.models):
            hint = "cloud models are off (router.allow_api = false); " + hint
        if len(out.attempts) == 1 and out.error is not None:  # keep the error's own type
            out.error = type(out.error)(out.error.message, hint)
            return out
        out.error = BackendUnavailable(
            "no model could answer: " + "; ".join(out.fallbacks), hint or "see the log file"
        )
        return out

    def _attempt(
        self,
        spec: ModelSpec,
        prepare: PrepareFn,
        on_delta: Callable[[str], None],
        is_stale: Callable[[], bool],
        out: Outcome,
        last: bool,
    ) -> bool:
        """Try one model; True when the turn is over (answered, interrupted or failed mid-reply)."""
        limit = None if last or leaves_machine(spec) else self.settings.router.max_local_latency_s
        exceeded = threading.Event()
        got_token = threading.Event()
        holder: dict[str, GenerationRequest] = {}

        def watchdog() -> None:
            if not got_token.is_set():
                exceeded.set()
                req = holder.get("req")
                if req is not None:
                    req.stop()

        timer = threading.Timer(limit, watchdog) if limit else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        parts: list[str] = []
        t0 = time.monotonic()
        try:
            with self.pool.lease(spec.name) as model:
                out.model, out.spec = model, spec
                out.device = self.pool.resident().get(spec.name, "remote")
                req = prepare(model, spec)
                holder["req"] = req
                if exceeded.is_set():
                    req.stop()
                else:
                    guard = ReplyGuard(req.language, req.question)  # no prompt or tool syntax reaches the user
                    gen = model.stream(req)
                    try:
                        for piece in gen:
                            if is_stale():
                                req.stop()
                                break
                            if exceeded.is_set() and not parts and not got_token.is_set():
                                break
                            got_token.set()
                            shown = guard.feed(piece)
                            if shown:
                                parts.append(shown)
                                on_delta(shown)
                    except Exception:
                        rest = guard.finish()  # what it said before failing (checked) stays the user's
                        if rest:
                            parts.append(rest)
                            on_delta(rest)
                        raise
                    else:
                        if not is_stale():
                            rest = guard.finish()
                            if rest:
                                parts.append(rest)
                                on_delta(rest)
                    finally:
                        gen.close()  # type: ignore[attr-defined]
                    req.tool_calls.extend(guard.calls)
                    if guard.dropped:
                        log.info("reply guard dropped from %s: %r", spec.name, guard.dropped[:3])
                out.stats = model.last_stats
                out.tool_calls, out.bad_tool_calls = list(req.tool_calls), list(req.bad_tool_calls)
        except JarvisError as exc:
            return self._failed(spec, exc, parts, out)
        except Exception as exc:  # a backend bug or a native error while generating
            log.exception("%s failed", spec.name)
            err = JarvisError(f"{spec.name} failed: {type(exc).__name__}: {exc}", "see the log file")
            return self._failed(spec, err, parts, out)
        finally:
            if timer is not None:
                timer.cancel()
        if exceeded.is_set() and not got_token.is_set() and not is_stale():
            waited = time.monotonic() - t0
            out.attempts.append(
                Attempt(spec.name, f"no answer within max_local_latency_s={limit:g}s (waited {waited:.1f}s)")
            )
            return False
        out.error = None  # earlier candidates' failures stay in out.attempts
        out.text = "".join(parts)
        out.interrupted = is_stale() or (out.stats is not None and out.stats.finish_reason == "interrupted")
        out.remote = leaves_machine(spec)
        out.cost = cost_of(spec, out.stats)
        out.attempts.append(Attempt(spec.name))
        return True

    def _failed(self, spec: ModelSpec, err: JarvisError, parts: list[str], out: Outcome) -> bool:
        out.error = err
        if parts:  # the user already has part of this reply: keep it, report, no restart
            out.text = "".join(parts)
            out.remote = leaves_machine(spec)
            out.stats = out.model.last_stats if out.model is not None else None
            out.cost = cost_of(spec, out.stats)
            out.attempts.append(Attempt(spec.name, _why(err, spec.name)))
            return True
        out.model, out.spec = None, None
        out.attempts.append(Attempt(spec.name, _why(err, spec.name)))
        return False
