"""Difficulty estimation: text (+ the conversation) -> difficulty 1-100, a band and a specialty.

Pure and cheap: regular expressions over the text (English and Spanish cues, accents folded),
tens of microseconds, no LLM call. A short follow-up ("and in Python?") inherits the difficulty and
specialty of the question before it. :class:`jarvis.llm.router.Router` turns an :class:`Estimate`
into a model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jarvis.config import SPECIALTIES
from jarvis.difficulty_bands import band
from jarvis.text import fold_accents

if TYPE_CHECKING:
    from jarvis.history import Conversation

def _fold(text: str) -> str:
    """Lower case without accents (so Spanish keywords match with or without them)."""
    return fold_accents(text)


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
# Small talk is 3; anything else asks for content (a fact, a sum, a text), however short, and is at
# least REQUEST_MIN, so a model given only small talk (config.toml: SmolLM2) never gets a question.
SMALL_TALK = 3
REQUEST_MIN = 5
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
        return Estimate(SMALL_TALK, "chat", ("small talk",))
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
    if round(d) < REQUEST_MIN:
        cues.insert(0, "a request, not small talk")
    return Estimate(int(max(REQUEST_MIN, min(100, round(d)))), specialty, tuple(cues))


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
