"""The difficulty router: picks the model that answers a turn, and the fallback order after it.

:class:`Router` estimates the turn (:mod:`jarvis.llm.difficulty`) and picks the cheapest usable
model (:mod:`jarvis.llm.locality`) whose difficulty range and specialties fit, preferring models
that stay on this machine, and explains the choice in one line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from jarvis.config import ModelSpec, Settings
from jarvis.llm.difficulty import Estimate, estimate
from jarvis.llm.locality import leaves_machine, usable
from jarvis.llm.personal import personal_subject
from jarvis.messages import RouteDecision
from jarvis.text import fold_accents

if TYPE_CHECKING:
    from jarvis.history import Conversation


def _distance(spec: ModelSpec, difficulty: int) -> int:
    lo, hi = spec.difficulty
    return 0 if lo <= difficulty <= hi else (lo - difficulty if difficulty < lo else difficulty - hi)


# A question about the world ("who wrote...", "¿cuál es el río más largo...?"): small local models get
# many of these wrong (bench/voice_eval.py), a cloud model rarely does.
_FACTUAL = re.compile(
    r"^\W*(?:(?:hey|ok|oye) )?(?:jarvis\W+)?(?:who|what|which|where|when|"
    r"how (?:many|much|far|big|long|tall|old|deep|fast)|quien(?:es)?|que|cual(?:es)?|donde|cuando|cuant[oa]s?|"
    r"en que|a que|de que)\b"
)


def is_factual(text: str) -> bool:
    """True for a question about the world (not about the user, not a request to do something)."""
    return _FACTUAL.match(fold_accents(text)) is not None and personal_subject(text) is None


def _cost(spec: ModelSpec) -> float:
    return spec.cost_per_1k_in + spec.cost_per_1k_out


class Router:
    """Chooses a model per turn from the model table; callable as ``route(text, conversation)``.

    Args:
        settings: the settings (model table and ``[router]``).
        env: where API keys are looked up (default ``os.environ``); only presence is checked.
    """

    def __init__(self, settings: Settings, env: Mapping[str, str] | None = None) -> None:
        self.settings = settings
        self.env = env

    def candidates(self) -> list[ModelSpec]:
        """Models that may answer: every local model, plus allowed off-machine ones with a key."""
        return [m for m in self.settings.models if usable(m, self.settings, self.env)]

    def _order(self, spec: ModelSpec) -> tuple:
        return (leaves_machine(spec), _cost(spec), spec.memory_mb, self.settings.models.index(spec))

    def choose(self, est: Estimate) -> tuple[ModelSpec, str]:
        """The model for an estimate and why (raises ModelNotFound when no model is configured)."""
        models = self.candidates()
        if not models:
            return self.settings.default_model, "no usable model; the default"
        fits = [m for m in models if _distance(m, est.difficulty) == 0 and est.specialty in m.specialties]
        if fits:
            best = min(fits, key=self._order)
            where = "off-machine (no local model fits)" if leaves_machine(best) else "local"
            lo, hi = best.difficulty
            return best, f"cheapest {where} model for {lo}-{hi} with {est.specialty}"
        skilled = [m for m in models if est.specialty in m.specialties]
        best = min(skilled or models, key=lambda m: (_distance(m, est.difficulty), *self._order(m)))
        lo, hi = best.difficulty
        if not skilled:
            return best, f"no model lists {est.specialty}; closest range {lo}-{hi}"
        return best, f"no {est.specialty} model covers {est.difficulty}; closest range {lo}-{hi}"

    def decide(self, text: str, conversation: Conversation | Sequence[Any] | None = None) -> RouteDecision:
        """Estimate ``text`` and pick a model; ``reason`` explains it in one line."""
        est = estimate(text, conversation)
        spec, why = self.choose(est)
        if (self.settings.router.facts_to_api and not leaves_machine(spec) and est.specialty == "chat"
                and is_factual(text)):
            cloud = [m for m in self.candidates() if leaves_machine(m) and "chat" in m.specialties]
            if cloud:  # allowed and with a key (candidates() checks both)
                spec = min(cloud, key=self._order)
                why = "a factual question: the cloud model answers facts better (router.facts_to_api)"
        cues = f" ({', '.join(est.cues[:3])})" if est.cues else ""
        reason = f"{est.band} {est.difficulty}{cues}, {est.specialty} -> {spec.name}: {why}"
        return RouteDecision(spec.name, est.difficulty, est.specialty, reason)

    __call__ = decide

    def chain(self, decision: RouteDecision) -> list[ModelSpec]:
        """Fallback order for a decision: its model, then the other local models (best fit first),
        servers on this machine, then allowed off-machine models with keys. Forced: no fallback."""
        first = self.settings.model(decision.model)
        if decision.forced:
            return [first]
        rest = [m for m in self.candidates() if m.name != first.name and m.fallback]

        def fit(m: ModelSpec) -> tuple:
            skilled = decision.specialty in m.specialties
            return (leaves_machine(m), not m.is_local, not skilled, _distance(m, decision.difficulty),
                    *self._order(m))

        return [first, *sorted(rest, key=fit)]
