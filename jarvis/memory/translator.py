"""The background worker that gives each new fact its translation (see :mod:`jarvis.memory.translations`).

:meth:`TranslationQueue.submit` only queues the memory's id (the turn goes on at once); a thread
waits until Jarvis is quiet, asks the translator, and stores the result as an extra vector of the
memory. A translation that gives way to a turn (:class:`Interrupted`) is tried again later; one
that fails is logged (id and error kind, never the text) and the memory keeps its one vector.
Secrets are redacted again before any text reaches the translator. :meth:`backfill` queues the
facts that still have no translation (stored by ``jarvis memory add`` or an import, or while it was off).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from jarvis.errors import JarvisError
from jarvis.memory.base import MemoryStore
from jarvis.memory.translations import LANGUAGES, is_translation, language_pair, translation_id
from jarvis.redact import redact

log = logging.getLogger(__name__)


class Interrupted(Exception):
    """The translation stopped to leave the model and the CPU to a turn; try again later."""


class Translate(Protocol):
    """Turns ``text`` from language ``source`` into ``target`` ("en", "es"); "" when it cannot.

    Raises :class:`Interrupted` when it gave way to a turn, JarvisError when the model fails.
    """

    def __call__(self, text: str, source: str, target: str) -> str: ...


class Memories(Protocol):
    """Where translations go (:class:`jarvis.memory.service.MemoryService` is one)."""

    def store(self) -> MemoryStore:
        """The open store."""
        ...

    def add_translation(self, memory_id: str, text: str, language: str) -> str | None:
        """Store a translation of memory ``memory_id``; None when the memory is gone."""
        ...


class Quiet(Protocol):
    """When may background work run (:class:`jarvis.pipeline.idle.IdleWatch` is one)."""

    def wait_quiet(self, stop: threading.Event) -> bool:
        """Block until Jarvis is quiet (True) or ``stop`` is set (False)."""
        ...


@dataclass(frozen=True)
class Job:
    """One memory to translate."""

    memory_id: str
    text: str
    language: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of one job: the translation's id (None: none stored) and why not."""

    memory_id: str
    translation_id: str | None = None
    skipped: str = ""  # "language", "interrupted", "failed", "empty", "forgotten"
    seconds: float = 0.0


class TranslationQueue:
    """Translates new facts in a background thread, one at a time, while Jarvis is quiet.

    Args:
        service: where the translations are stored.
        translate: the translator (:class:`jarvis.llm.translate.LlmTranslator`).
        quiet: when to run (None: at once).
        after: called when the queue has run dry after translating (e.g. re-read the chat prompt
            into the model's cache, which the translation replaced).
    """

    def __init__(
        self,
        service: Memories,
        translate: Translate,
        quiet: Quiet | None = None,
        after: Callable[[], None] | None = None,
    ) -> None:
        self.service = service
        self.translate = translate
        self.quiet = quiet
        self.after = after
        self._jobs: deque[Job] = deque()
        self._cond = threading.Condition()
        self._closed = threading.Event()
        self._running = False
        self._thread: threading.Thread | None = None
        self.done: list[Outcome] = []  # the newest 100 outcomes (tests, logs)

    # ------------------------------------------------------------------ queueing
    def start(self, backfill: bool = False) -> TranslationQueue:
        """Start the worker thread (once); with ``backfill`` it first queues the facts without a translation."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, args=(backfill,), name="jarvis-memory-translate", daemon=True
            )
            self._thread.start()
        return self

    def submit(self, memory_id: str, text: str, language: str | None = None) -> bool:
        """Queue a fact; returns at once. False when it is not translated (language, length)."""
        if language_pair(text, language) is None:
            return False
        with self._cond:
            if all(job.memory_id != memory_id for job in self._jobs):  # once, though added and backfilled
                self._jobs.append(Job(memory_id, text, language))
                self._cond.notify_all()
        return True

    def backfill(self) -> int:
        """Queue every fact without a translation; returns how many. Raises MemoryStoreError."""
        store = self.service.store()
        rows = store.all_metadata()
        have = {rid for rid, meta in rows if is_translation(meta)}
        todo = [
            rid for rid, meta in rows
            if meta.get("kind") == "fact" and not any(translation_id(rid, lang) in have for lang in LANGUAGES)
        ]
        queued = 0
        for rec in store.get(todo):
            queued += self.submit(rec.id, rec.text, str(rec.metadata.get("language") or "") or None)
        return queued

    def pending(self) -> int:
        """Jobs queued or running."""
        with self._cond:
            return len(self._jobs) + int(self._running)

    def wait(self, timeout: float) -> bool:
        """Block until every queued job is done (True) or ``timeout`` seconds pass (False)."""
        end = time.monotonic() + timeout
        with self._cond:
            while self._jobs or self._running:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Stop the thread (the job in hand finishes or gives way first); queued jobs are dropped."""
        self._closed.set()
        with self._cond:
            self._jobs.clear()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    # ------------------------------------------------------------------ the work
    def translate_now(self, memory_id: str, text: str, language: str | None = None) -> Outcome:
        """Translate one memory in the calling thread and store the result (bench, tests, the worker)."""
        pair = language_pair(text, language)
        if pair is None:
            return Outcome(memory_id, skipped="language")
        source, target = pair
        clean, _ = redact(text)  # stored texts are redacted already; this is the last guard
        t0 = time.perf_counter()
        try:
            out = self.translate(clean, source, target).strip()
        except Interrupted:
            return Outcome(memory_id, skipped="interrupted", seconds=time.perf_counter() - t0)
        except JarvisError as exc:
            log.warning("memory %s: no translation (%s)", memory_id, exc.one_line())
            return Outcome(memory_id, skipped="failed", seconds=time.perf_counter() - t0)
        except Exception as exc:  # the memory is stored already: a broken translator costs one vector
            log.warning("memory %s: no translation (%s)", memory_id, type(exc).__name__)
            return Outcome(memory_id, skipped="failed", seconds=time.perf_counter() - t0)
        seconds = time.perf_counter() - t0
        if not out:
            return Outcome(memory_id, skipped="empty", seconds=seconds)
        try:
            new_id = self.service.add_translation(memory_id, redact(out)[0], target)
        except JarvisError as exc:
            log.warning("memory %s: translation not stored (%s)", memory_id, exc.one_line())
            return Outcome(memory_id, skipped="failed", seconds=seconds)
        return Outcome(memory_id, new_id, "" if new_id else "forgotten", seconds)

    def _next(self) -> Job | None:
        with self._cond:
            while not self._jobs and not self._closed.is_set():
                self._cond.wait()
            if self._closed.is_set():
                return None
            self._running = True
            return self._jobs.popleft()

    def _finish(self, outcome: Outcome | None, job: Job) -> bool:
        """Record the outcome (requeue an interrupted job); True when the queue ran dry."""
        with self._cond:
            self._running = False
            if outcome is not None and outcome.skipped == "interrupted" and not self._closed.is_set():
                self._jobs.appendleft(job)
            elif outcome is not None:
                self.done = [*self.done[-99:], outcome]
            self._cond.notify_all()
            return not self._jobs

    def _run(self, backfill: bool) -> None:
        if backfill:
            try:
                n = self.backfill()
                if n:
                    log.info("memory: %d facts to translate while Jarvis is quiet", n)
            except JarvisError as exc:
                log.warning("memory: no translation backfill (%s)", exc.one_line())
        worked = False
        while True:
            job = self._next()
            if job is None:
                return
            outcome = None
            try:
                if self.quiet is None or self.quiet.wait_quiet(self._closed):
                    outcome = self.translate_now(job.memory_id, job.text, job.language)
            except Exception:  # pragma: no cover - never let the thread die
                log.exception("memory translation worker")
                outcome = Outcome(job.memory_id, skipped="failed")
            worked = worked or (outcome is not None and outcome.skipped != "language")
            if self._finish(outcome, job) and worked and self.after is not None:
                worked = False
                try:
                    self.after()
                except Exception:  # pragma: no cover - best effort
                    log.debug("after-translation hook failed", exc_info=True)
