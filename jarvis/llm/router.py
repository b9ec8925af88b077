"""The difficulty router: text (+ the conversation) -> difficulty 1-100, specialty, and a model.

Estimation is pure and cheap (regular expressions over the text, tens of microseconds; no LLM
call). :class:`Router` then picks the cheapest model whose difficulty range and specialties fit,
preferring models that stay on this machine, and explains the choice in one line.
:func:`attach_router` plugs it (and the metrics observer) into an :class:`Assistant`.
"""

from __future__ import annotations

import ipaddress
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from jarvis.config import SPECIALTIES, ModelSpec, Settings
from jarvis.messages import RouteDecision

if TYPE_CHECKING:
    from jarvis.history import Conversation
    from jarvis.pipeline.runner import Assistant

BANDS = (("easy", 1, 30), ("medium", 31, 60), ("hard", 61, 100))
DEFAULT_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def band(difficulty: int) -> str:
    """The band (easy, medium, hard) a difficulty falls in."""
    for name, lo, hi in BANDS:
        if lo <= difficulty <= hi:
            return name
    return "hard"


# ---------------------------------------------------------------------------------------- keys, locality
def key_env_var(spec: ModelSpec) -> str | None:
    """The environment variable holding ``spec``'s API key (None: the backend needs none)."""
    return spec.key_env or DEFAULT_KEY_ENV.get(spec.backend)


def has_key(spec: ModelSpec, env: Mapping[str, str] | None = None) -> bool:
    """True when ``spec`` needs no key or its key variable is set (the value is never read out)."""
    var = key_env_var(spec)
    return var is None or bool((os.environ if env is None else env).get(var, "").strip())


def leaves_machine(spec: ModelSpec) -> bool:
    """True when a turn answered by ``spec`` is sent off this computer (cloud API, remote server)."""
    if spec.is_local:
        return False
    if spec.backend != "openai_compatible":
        return True
    host = (urlparse(spec.base_url or "").hostname or "").lower()
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def usable(spec: ModelSpec, settings: Settings, env: Mapping[str, str] | None = None) -> bool:
    """May ``spec`` answer at all: local, or allowed off-machine (router.allow_api) with a key."""
    if spec.is_local:
        return True
    if leaves_machine(spec) and not settings.router.allow_api:
        return False
    return has_key(spec, env)


# ---------------------------------------------------------------------------------------- estimation
def _fold(text: str) -> str:
    """Lower case without accents (so Spanish keywords match with or without them)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _rx(*words: str) -> re.Pattern[str]:
    return re.compile(r"(?:" + "|".join(words) + r")")


# Specialty cues: (pattern, weight). Intent phrases weigh more than topic words.
_CUES: dict[str, tuple[tuple[re.Pattern[str], float], ...]] = {
    "code": (
        (_rx(r"\b(?:write|implement|refactor|debug|fix|convert|escribe|implementa|refactoriza|arregla|corrige)\b"
             r"[^.?!]{0,60}\b(?:function|funcion|class|clase|script|program|programa|query|regex|server|loop|"
             r"code|codigo|algorithm|algoritmo|method|metodo|bug|api|test)"), 3.0),
        (_rx(r"\b(?:python|javascript|typescript|java|rust|golang|kotlin|swift|ruby|php|sql|bash|"
             r"html|css|regex|vim|git|docker|kubernetes|linux|numpy|pandas|react)\b", r"\bc(?:\+\+|#)"), 2.0),
        (_rx(r"\b(?:function|funcion|variable|loop|bucle|array|class|compile|compiler|bug|stack trace|"
             r"exception|api|endpoint|async|promise|tcp|script|command|comando|code|codigo|algorithm|"
             r"algoritmo|lru|cache|raii|microservices?|list comprehension|recursion|thread-safe|"
             r"debug|syntax)\b"), 1.5),
        (_rx(r"\bls\b", r"print\(", r"\bdef ", r"=>", r"\bfor \w+ in\b", r"\w+\(\)", r"[{};]\s*\w"), 2.0),
    ),
    "math": (
        (_rx(r"\d\s*(?:[-+*/^x×÷]|times|por|plus|mas|minus|menos|divided by|entre)\s*\d",
             r"\d+\s*%", r"\b\d+\s*(?:percent|por ciento)\b"), 2.5),
        (_rx(r"\b(?:solve|resuelve|calculate|calcula|compute|how much is|cuanto es|cuanto son|integral|"
             r"derivative|derivada|equation|ecuacion|eigen\w*|matrix|matriz|probability|probabilidad|"
             r"prime numbers?|numeros primos|sqrt|square root|raiz cuadrada|logarithm|logaritmo|"
             r"interest|interes|average|promedio|fraction|fraccion|to the power|power of|potencia|squared|"
             r"cubed|al cuadrado|al cubo)\b"), 3.0),
        (_rx(r"\b(?:prove that|demuestra que)\b[^.?!]*\b(?:numbers?|numeros?|primes?|primos?|integer|"
             r"entero|sum|suma|even|odd|par|impar|sqrt|irrational|irracional)\b"), 3.0),
        (_rx(r"\b\d+(?:[.,]\d+)?\b"), 0.5),
        (_rx(r"\b(?:km/h|dollars|euros|\$|how much|cuanto|catch up|total)\b"), 1.0),
    ),
    "summary": (
        (_rx(r"\b(?:summar\w+|tl;?dr|key points|main points|condense|in a nutshell|gist|recap|"
             r"resum\w*|puntos clave|sintetiza|en pocas palabras)\b"), 5.0),
    ),
    "reasoning": (
        (_rx(r"\b(?:should i|deberia|is it better|es mejor|pros and cons|ventajas y desventajas|"
             r"trade-?offs?|what would happen|que pasaria|reason(?:ing)? (?:it|step|through)|"
             r"your reasoning|razona|puzzle|riddle|acertijo|if all\b|si todos|logic puzzle|"
             r"compare|compara|weigh)\b", r"\b\w+er than\b[^?]*\b(?:who|which)\b",
             r"\bmas \w+ que\b[^?]*\b(?:quien|cual)\b"), 3.0),
        (_rx(r"\b(?:analy[sz]e|analiza|evaluate|evalua|implications|implicaciones|consequences|"
             r"consecuencias|second-order|strategy|estrategia|alternatives|alternativas|risks?|riesgos?)\b"),
         1.5),
        (_rx(r"\b(?:why|por que|step by step|paso a paso|explain your)\b"), 1.0),
    ),
}

_SMALLTALK = re.compile(
    r"^\W*(?:(?:hi|hello|hey|yo|thanks?|thank you|ok(?:ay)?|cool|great|bye|goodbye|good (?:morning|night)|"
    r"hola|buenas|buenos dias|buenas noches|gracias|vale|adios|hasta luego|que tal|como estas|"
    r"how are you(?: today)?|thanks?,? that'?s all(?: for now)?|gracias por tu ayuda|jarvis)\W*)+$"
)
_HARD = _rx(
    r"step by step", r"paso a paso", r"prove\b", r"demuestra", r"proof", r"integral", r"eigen",
    r"diferencial", r"differential", r"complexit", r"complejidad", r"thread-safe", r"concurren",
    r"distributed", r"distribuid",
    r"architecture", r"arquitectura", r"design\b", r"trade-?off", r"second-order", r"implications",
    r"implicaciones", r"consecuencias", r"analy[sz]e", r"analiza", r"evaluate", r"evalua", r"risks?\b",
    r"riesgos", r"edge cases", r"optimi[sz]", r"backpressure", r"graceful", r"raii", r"move semantics",
    r"in detail", r"en detalle", r"each step", r"explain your", r"razona", r"reason it", r"obligations",
    r"infinitely", r"contributed", r"escalation", r"the role of", r"failure modes", r"strategy",
    r"estrategia",
)
_MEDIUM = _rx(
    r"\bexplain", r"\bexplica", r"\bwhy\b", r"por que", r"\bhow (?:do|does|can|would)\b", r"\bcompare",
    r"\bcompara", r"pros and cons", r"ventajas", r"probability", r"probabilidad", r"derivative", r"derivada",
    r"interest", r"interes", r"catch up", r"\btips\b", r"consejos", r"\bwrite\b", r"\bescribe\b",
    r"\bimplement", r"query", r"regex", r"\bconvert", r"list comprehension", r"promise", r"key points",
    r"puntos clave", r"in (?:two|three|3|2) (?:sentences|bullets)", r"so far", r"then\b",
)
_EASY = _rx(
    r"\bjoke\b", r"chiste", r"capital of", r"capital de", r"\bwhat does\b", r"que significa", r"que hace",
    r"\bone (?:line|sentence|word)\b", r"una frase", r"una linea", r"\bquick", r"\bsimple\b", r"\bbrief",
    r"\btl;?dr\b", r"how do you say", r"como se dice", r"what time", r"recommend", r"\bname for\b",
    r"who (?:wrote|is|was)", r"quien (?:escribio|es|fue)", r"how do i exit", r"como declaro",
)
_FOLLOW_UP = re.compile(
    r"^\W*(?:and|y|e|but|pero|what about|how about|why|por que|how come|more|mas|go on|continue|continua|"
    r"sigue|explain|explica|then|entonces|so|ok so|same|lo mismo|in (?:python|javascript|english|spanish)|"
    r"en (?:python|javascript|ingles|espanol))\b"
)
_BASE = {"chat": 12.0, "code": 28.0, "math": 20.0, "reasoning": 38.0, "summary": 26.0}


@dataclass(frozen=True)
class Estimate:
    """What the estimator found: difficulty 1-100, specialty, and the cues that decided them."""

    difficulty: int
    specialty: str
    cues: tuple[str, ...] = ()

    @property
    def band(self) -> str:
        """easy, medium or hard."""
        return band(self.difficulty)


def _specialty(folded: str) -> tuple[str, float]:
    scores = {}
    for name, cues in _CUES.items():
        score = 0.0
        for pattern, weight in cues:
            hits = len(pattern.findall(folded))
            score += weight * min(hits, 3)
        scores[name] = score
    best = max(scores, key=lambda k: (scores[k], -SPECIALTIES.index(k)))
    return (best, scores[best]) if scores[best] >= 2.0 else ("chat", 0.0)


def _split(folded: str) -> tuple[str, str]:
    """(instruction, material): a long passage after "summarize ...:" is material, not instruction."""
    head, sep, tail = folded.partition(":")
    if sep and len(tail.split()) >= 12 and len(head.split()) <= 25 and _CUES["summary"][0][0].search(head):
        return head, tail
    return folded, ""


def _estimate_one(text: str) -> Estimate:
    folded = _fold(text.strip())
    if not folded or _SMALLTALK.match(folded):
        return Estimate(3, "chat", ("small talk",))
    instruction, material = _split(folded)
    specialty, _ = _specialty(instruction)
    if specialty == "chat" and material:
        specialty, _ = _specialty(folded)
    words = len(instruction.split())
    d = _BASE[specialty]
    cues: list[str] = []
    d += min(30.0, max(0, words - 8) * 0.9) + min(15.0, len(material.split()) * 0.2)
    if words + len(material.split()) > 20:
        cues.append(f"{words + len(material.split())} words")
    hard = sorted(set(_HARD.findall(instruction)))
    if hard:
        d += min(45.0, 15.0 * len(hard)) + (15.0 if specialty == "math" else 0.0)
        cues.extend(hard[:2])
    medium = sorted(set(_MEDIUM.findall(instruction)))
    if medium:
        d += min(20.0, 10.0 * len(medium)) + (5.0 if specialty == "math" else 0.0)
        if not hard:
            cues.extend(m.strip() for m in medium[:2])
    easy = _EASY.findall(instruction)
    if easy:
        d -= min(20.0, 10.0 * len(easy))
        cues.append(easy[0].strip())
    numbers = len(re.findall(r"\b\d+(?:[.,]\d+)?\b", instruction))
    if specialty == "math" and numbers >= 3:
        d += min(8.0, 2.0 * numbers)
    questions = folded.count("?")
    if questions > 1:
        d += 6.0 * (questions - 1)
    return Estimate(int(max(1, min(100, round(d)))), specialty, tuple(cues))


def _previous_user_text(text: str, conversation: Conversation | Sequence[Any] | None) -> str | None:
    turns = getattr(conversation, "turns", conversation) or ()
    skipped_current = False
    for turn in reversed(list(turns)):
        if getattr(turn, "role", None) != "user":
            continue
        if not skipped_current and turn.content.strip() == text.strip():
            skipped_current = True
            continue
        return turn.content
    return None


def estimate(text: str, conversation: Conversation | Sequence[Any] | None = None) -> Estimate:
    """Difficulty and specialty of ``text``; a short follow-up inherits from the previous question.

    Args:
        text: the user's message.
        conversation: a :class:`Conversation` (or a list of turns) the message belongs to; it may
            already hold ``text`` as its last user turn.
    Returns:
        An :class:`Estimate`. Pure and cheap: regular expressions only.
    """
    own = _estimate_one(text)
    folded = _fold(text.strip())
    if own.cues == ("small talk",) or len(folded.split()) > 7 or not _FOLLOW_UP.match(folded):
        return own
    prev_text = _previous_user_text(text, conversation)
    if not prev_text:
        return own
    prev = _estimate_one(prev_text)
    specialty = prev.specialty if own.specialty == "chat" else own.specialty
    difficulty = max(own.difficulty, prev.difficulty)
    return Estimate(difficulty, specialty, ("follow-up", *prev.cues[:1]))


# ---------------------------------------------------------------------------------------- choosing
def _distance(spec: ModelSpec, difficulty: int) -> int:
    lo, hi = spec.difficulty
    return 0 if lo <= difficulty <= hi else (lo - difficulty if difficulty < lo else difficulty - hi)


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
        rest = [m for m in self.candidates() if m.name != first.name]

        def fit(m: ModelSpec) -> tuple:
            skilled = decision.specialty in m.specialties
            return (leaves_machine(m), not m.is_local, not skilled, _distance(m, decision.difficulty),
                    *self._order(m))

        return [first, *sorted(rest, key=fit)]


def attach_router(assistant: Assistant, metrics_file: Any = None) -> Router:
    """Route the assistant's turns with a :class:`Router` and write one metrics record per turn.

    Sets ``assistant.route`` and ``assistant.router`` and appends a
    :class:`jarvis.metrics.MetricsObserver` to ``assistant.turn_observers``. Returns the router.
    """
    from jarvis.metrics import MetricsObserver

    router = Router(assistant.settings)
    assistant.route = router.decide
    assistant.router = router  # type: ignore[attr-defined]
    if any(isinstance(fn, MetricsObserver) for fn in assistant.turn_observers):
        return router  # attached before: one metrics line per turn, not two
    path = metrics_file or assistant.settings.general.metrics_file
    session = assistant.conversation.path.stem
    assistant.turn_observers.append(MetricsObserver(path, session=session, pool=assistant.pool))
    return router
