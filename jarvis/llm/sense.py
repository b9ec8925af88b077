"""Does an English transcript read like something a person says? (a small language model's opinion)

Misheard English is made of real words in an order nobody says: "How many drums are with a cute
drum?" for "How many grams are in a kilogram?". No word list catches it (jarvis.stt.lexicon), and a
model answers it as heard ("There are 12 drums with a cute drum."). :class:`SentenceScorer` reads the
transcript with SmolLM2-135M (already shipped as a chat model, 98 MB) and returns the mean
log-probability of its tokens after the question before it (so "And a spider?" after "How many legs
does an insect have?" is not odd). It takes ~0.07 s for a question on 2 CPU cores.

:func:`load` builds the one scorer of the process (with the voice models: it only ever reads what
was heard); :func:`loaded` returns it from the turn's thread without ever loading;
:func:`reads_as_nonsense` is the rule the pipeline applies to unsure English transcripts.
"""

from __future__ import annotations

import atexit
import logging
import math
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: An unsure English transcript SmolLM2-135M reads at under this mean token log-probability (after
#: the user's question before it) is words nobody says together. On the eval's and held-out English
#: questions (bench/voice_eval.py, both voices, whisper-base, transcripts between -0.7 and -0.3) it
#: finds 18 of espeak-ng's 56 bad transcripts ("How many drums are with a cute drum?" -6.47) and 2 of
#: Jarvis's voices' 20, and none of their 106 good ones (the lowest: "On which continent is Brazil?"
#: -5.16; "And a spider." after "How many legs does an insect have?" -4.53).
MIN_ENGLISH_SENSE = -5.5
_CONTEXT_TOKENS = 96  # the question before is cut to its last this many tokens
_N_CTX = 256
_lock = threading.Lock()
_scorer: SentenceScorer | None = None


class SentenceScorer:
    """Mean token log-probability of a user's sentence under a small chat model (ChatML prompt)."""

    def __init__(self, model_path: Path, threads: int = 0) -> None:
        from jarvis.llm.llama_gpu import import_llama

        llama = import_llama()
        kwargs: dict[str, Any] = dict(model_path=str(model_path), n_ctx=_N_CTX, logits_all=True, verbose=False,
                                      n_gpu_layers=0)
        if threads:
            kwargs["n_threads"] = threads
        self.path = model_path
        self._llm = llama(**kwargs)
        self._lock = threading.Lock()

    def mean_logprob(self, text: str, context: str | None = None) -> float:
        """How expected ``text`` is as a user's message (after ``context``, the user's message before)."""
        import numpy as np

        llm = self._llm
        if llm is None:
            raise RuntimeError("the sentence scorer is closed")
        before = "<|im_start|>user\n"
        lead = llm.tokenize(before.encode(), add_bos=False, special=True)
        if context:
            said = llm.tokenize(context.strip().encode(), add_bos=False)[-_CONTEXT_TOKENS:]
            end = llm.tokenize(b"<|im_end|>\n", add_bos=False, special=True)
            lead = lead + said + end + lead
        tokens = llm.tokenize(text.strip().encode(), add_bos=False)[: _N_CTX - len(lead) - 1]
        if not tokens:
            return 0.0
        with self._lock:
            llm.reset()
            llm.eval(lead + tokens)
            scores = np.asarray(llm.scores[len(lead) - 1: len(lead) + len(tokens) - 1], dtype=np.float64)
        top = scores.max(axis=1, keepdims=True)
        norm = top[:, 0] + np.log(np.exp(scores - top).sum(axis=1))
        picked = scores[np.arange(len(tokens)), tokens]
        value = float(np.mean(picked - norm))
        return value if math.isfinite(value) else 0.0


    def close(self) -> None:
        """Free the model (llama.cpp's memory)."""
        llm, self._llm = self._llm, None
        if llm is not None:
            llm.close()


def load(model_path: Path, threads: int = 0) -> SentenceScorer | None:
    """The process's scorer, built on first call; None when the model file is missing or fails to load."""
    global _scorer
    with _lock:
        if _scorer is not None and _scorer.path == model_path:
            return _scorer
        if not Path(model_path).is_file():
            log.warning("stt.sense_check: no model at %s (run ./install.sh); English transcripts are not checked",
                        model_path)
            return None
        try:
            _scorer = SentenceScorer(Path(model_path), threads)
            atexit.register(_scorer.close)  # before the interpreter takes llama.cpp's bindings apart
        except Exception:  # noqa: BLE001 - the check is an extra: without it Jarvis answers as before
            log.warning("stt.sense_check: the scorer did not load; English transcripts are not checked",
                        exc_info=True)
            return None
        return _scorer


def loaded() -> SentenceScorer | None:
    """The scorer :func:`load` built, or None (never loads: safe on a turn's thread)."""
    return _scorer


def reads_as_nonsense(text: str, language: str | None, unsure: bool, before: str | None = None) -> bool:
    """True when an ``unsure`` English transcript reads like no sentence (``before``: the user's turn before).

    False for other languages, for sure or typed text, and when the scorer is not loaded or fails.
    """
    if language != "en" or not unsure:
        return False
    scorer = loaded()
    if scorer is None:
        return False
    try:
        return scorer.mean_logprob(text, before) < MIN_ENGLISH_SENSE
    except Exception:  # noqa: BLE001 - a scorer that fails leaves the turn to be answered
        log.warning("the sentence scorer failed; the transcript is answered as heard", exc_info=True)
        return False
