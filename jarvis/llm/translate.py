"""Short translations (Spanish <-> English) by a local chat model, for long-term memory.

:class:`LlmTranslator` leases a model from the pool, asks for the translation only (greedy, a few
dozen tokens) and cleans the reply (:func:`clean_reply`). While it generates, any sign of a turn
(the ``interrupt`` hook: :class:`jarvis.pipeline.idle.IdleWatch`) stops it within a token and it
raises :class:`~jarvis.memory.translator.Interrupted`. Nothing here logs the text.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from jarvis.errors import JarvisError
from jarvis.llm.base import ChatMessage, GenerationRequest
from jarvis.llm.locality import withhold_memories
from jarvis.llm.pool import ModelPool
from jarvis.memory.translations import language_scores
from jarvis.memory.translator import Interrupted

NAMES = {"en": "English", "es": "Spanish"}
# One worked example per direction: small models then answer with the translation alone. (It names
# no person or relative: a small model copies such words into its translations.)
_ES, _EN = "El tren a Toledo sale a las ocho y cuarto.", "The train to Toledo leaves at a quarter past eight."
EXAMPLES = {("es", "en"): (_ES, _EN), ("en", "es"): (_EN, _ES)}
MAX_TOKENS = 160
_LABEL = re.compile(r"^\s*(?:translation|traducci[oó]n|english|ingl[eé]s|spanish|espa[nñ]ol)\s*:\s*", re.I)
_QUOTES = "\"'“”«»‘’`"

#: ``interrupt(event)``: a context in which ``event`` is set as soon as a turn begins.
Interrupt = Callable[[threading.Event], AbstractContextManager[object]]


def translation_messages(text: str, source: str, target: str) -> list[ChatMessage]:
    """The prompt: an instruction, one example, then the text."""
    src, dst = NAMES[source], NAMES[target]
    example_in, example_out = EXAMPLES[(source, target)]
    system = (
        f"You translate personal notes from {src} to {dst}. Reply with the {dst} translation only: "
        "no quotes, no notes. Keep names, numbers and [redacted] as they are."
    )
    return [
        ChatMessage("system", system),
        ChatMessage("user", example_in),
        ChatMessage("assistant", example_out),
        ChatMessage("user", text),
    ]


def clean_reply(reply: str, text: str, source: str, target: str) -> str:
    """The translation in a model's reply, or "" when the reply is not one (empty, the text itself,
    with no word of the target language but some of the source's, or far longer than the text)."""
    lines = [ln.strip() for ln in reply.strip().splitlines() if ln.strip()]
    if not lines:
        return ""
    out = " ".join(lines[: max(1, text.count("\n") + 1)])
    out = _LABEL.sub("", out).strip()
    if len(out) > 1 and out[0] in _QUOTES and out[-1] in _QUOTES:
        out = out[1:-1].strip()
    if not out or out.casefold() == text.strip().casefold() or len(out) > 3 * len(text) + 40:
        return ""
    scores = language_scores(out)
    if scores[target] == 0 and scores[source] > 0:
        return ""  # not translated
    return out


class LlmTranslator:
    """Translates with model ``model`` of ``pool`` (see :class:`jarvis.memory.translator.Translate`).

    Raises ModelNotFound / ModelLoadError / OutOfMemory (from the pool), JarvisError when the model
    sends memories off the machine without ``memory.share_with_api``, Interrupted when a turn began.
    """

    def __init__(self, pool: ModelPool, model: str = "", interrupt: Interrupt | None = None) -> None:
        self.pool = pool
        self.model = model or pool.settings.default_model.name
        self.interrupt = interrupt
        self.last_tokens = 0  # tokens of the last reply (bench)

    def _check_allowed(self) -> None:
        spec = self.pool.settings.model(self.model)
        if withhold_memories(spec, self.pool.settings):
            raise JarvisError(
                f"memory.translate_model {self.model} is not on this machine",
                "pick a local model, or set memory.share_with_api = true",
            )

    def __call__(self, text: str, source: str, target: str) -> str:
        """The translation of ``text`` ("" when the model gave none)."""
        self._check_allowed()
        request = GenerationRequest(
            translation_messages(text, source, target),
            max_tokens=min(MAX_TOKENS, 16 + len(text) // 2),
            temperature=0.0,
            top_p=1.0,
            seed=0,
        )
        watching = self.interrupt(request.stop_event) if self.interrupt is not None else nullcontext()
        with watching:
            if request.stop_event.is_set():  # a turn is under way: leave it the model
                raise Interrupted
            with self.pool.lease(self.model) as model:
                reply = model.complete(request)
        stats = model.last_stats
        self.last_tokens = stats.completion_tokens if stats is not None else 0
        if request.stop_event.is_set() or (stats is not None and stats.finish_reason == "interrupted"):
            raise Interrupted
        return clean_reply(reply, text, source, target)
