"""MemoryService: what the assistant, the TUI and the CLI call to remember, recall and forget.

It ties the embedder, the store and redaction together. Nothing heavy happens at construction:
the embedding model loads and the store opens on first use (or :meth:`MemoryService.warm_up`).
All methods are thread safe. Every failure is a :class:`MemoryStoreError` with a hint.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jarvis.config import MemorySettings, Settings
from jarvis.errors import EmptyInput, MemoryStoreError
from jarvis.memory.base import MemoryStore, Metadata, Progress, Record
from jarvis.memory.embedder import Embedder
from jarvis.memory.ranking import select_hits
from jarvis.memory.transfer import MAX_CHARS, fit_text, iter_jsonl, new_records, write_jsonl
from jarvis.memory.translations import children, fold, is_translation, translation_id, translation_metadata
from jarvis.messages import MemoryHit, MemoryHits
from jarvis.notices import notice

if TYPE_CHECKING:
    from jarvis.memory.translator import TranslationQueue

log = logging.getLogger(__name__)

RETRY_AFTER_S = 30.0
TURN_REPLY_CHARS = 600
IMPORT_STEP = 64  # memories embedded and stored at a time by an import
#: An import keeps the (cut) records it checked for storing, up to this many characters; a larger
#: file is read a second time instead.
IMPORT_KEEP_CHARS = 32 * 1024 * 1024


def _translation_count(store: MemoryStore) -> int:
    """How many of ``store``'s records are translations (extra vectors of memories, not memories)."""
    return sum(1 for _, meta in store.all_metadata() if is_translation(meta))


def _hit(rec: Record) -> MemoryHit:
    return MemoryHit(rec.id, rec.text, rec.score, dict(sorted(rec.metadata.items())))


def _batches(items: Iterable[Any], n: int) -> Iterator[list[Any]]:
    it = iter(items)
    while batch := list(islice(it, n)):
        yield batch


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def turn_text(user: str, reply: str) -> str:
    """How a completed turn is stored: the user's words and the (shortened) reply."""
    reply = reply.strip()
    if len(reply) > TURN_REPLY_CHARS:
        reply = reply[: TURN_REPLY_CHARS - 1].rstrip() + "…"
    return f"User: {user.strip()}\nJarvis: {reply}"


class MemoryService:
    """Long-term memory of one user: a ChromaDB collection plus an embedding model."""

    def __init__(
        self,
        settings: MemorySettings,
        *,
        device: str = "cpu",
        session: str = "",
        store: MemoryStore | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings
        self.session = session
        self.embedder = embedder or Embedder(settings.embedder, device, threads=settings.embedder_threads)
        self._store = store
        self._lock = threading.RLock()
        self._broken: MemoryStoreError | None = None
        self._retry_at = 0.0
        self._reported: set[str] = set()
        #: Translates new facts in the background (set by jarvis.assembly when memory.translate is on).
        self.translations: TranslationQueue | None = None

    # ------------------------------------------------------------------ plumbing
    @property
    def location(self) -> str:
        """Where memories live: the folder or the server URL."""
        return self.settings.server or str(self.settings.path)

    @property
    def min_similarity(self) -> float:
        """``memory.min_similarity``, or the value measured for the embedder when it is "auto"."""
        wanted = self.settings.min_similarity
        return self.embedder.min_similarity if wanted == "auto" else float(wanted)

    def _open(self, strict: bool = True) -> MemoryStore:
        from jarvis.memory.chroma_store import ChromaStore
        from jarvis.memory.lock import StoreInUse

        dim = self.embedder.dim  # loads the model: the store checks it matches
        try:
            return ChromaStore(
                path=None if self.settings.server else self.settings.path,
                server=self.settings.server,
                collection=self.settings.collection,
                embedder_name=self.embedder.name,
                dim=dim,
                strict=strict,
            )
        except StoreInUse:  # another Jarvis holds the folder: read and write through it
            from jarvis.memory.share import connect

            remote = connect(self.settings.path) if strict else None
            if remote is None:
                raise
            return remote

    def store(self) -> MemoryStore:
        """The open store (opens it on first use). Raises MemoryStoreError (EmbedderMismatch when
        another embedder wrote it: see :meth:`reindex`)."""
        with self._lock:
            if self._store is None:
                self._store = self._open()
            return self._store

    def warm_up(self) -> None:
        """Load the embedding model and open the store now (e.g. in a background thread)."""
        with self._lock:
            self.store()
            self.embedder.encode(["warm up"])

    def close(self) -> None:
        """Close the store and release its lock. Safe to call twice; the model stays cached."""
        with self._lock:
            store, self._store = self._store, None
            if store is not None:
                store.close()

    def _embed(self, texts: list[str]) -> Any:
        # the embedder's window: what lies beyond it cannot change the vector much, and costs
        # memory in proportion (memories stored before the bound may be longer)
        return self.embedder.encode([t[:MAX_CHARS] for t in texts])

    # ------------------------------------------------------------------ public API
    def add(
        self,
        text: str,
        source: str = "explicit",
        *,
        kind: str | None = None,
        language: str | None = None,
        extra: Metadata | None = None,
    ) -> str | None:
        """Remember ``text`` (secrets redacted first). A text longer than ``MAX_CHARS`` is cut, with a
        notice saying how much was left out (metadata ``cut``).

        Returns:
            The new memory's id, or None when a near-duplicate is already stored.
        Raises:
            EmptyInput: ``text`` is blank. MemoryStoreError: the store cannot be used.
        """
        text = text.strip()
        if not text:
            raise EmptyInput("nothing to remember: the text is empty", "give the fact to remember")
        clean, redacted, dropped = fit_text(text)
        if dropped:
            notice(f"memory: kept the first {len(clean) - 1:,} of {len(text):,} characters; "
                   f"{_plural(dropped, 'character was', 'characters were')} left out "
                   f"(a memory holds at most {MAX_CHARS:,})")
        with self._lock:
            store = self.store()
            vec = self._embed([clean])
            nearest = store.query(vec[0], 1)
            if nearest and nearest[0].score >= self.settings.dedup_similarity:
                log.debug("memory not stored: near-duplicate of %s", nearest[0].id)
                return None
            meta: Metadata = {
                "time": time.time(),
                "source": source,
                "kind": kind or ("fact" if source == "explicit" else "turn"),
            }
            if self.session:
                meta["session"] = self.session
            if language:
                meta["language"] = language
            if redacted:
                meta["redacted"] = redacted
            if dropped:
                meta["cut"] = dropped
            meta.update(extra or {})
            new_id = uuid.uuid4().hex[:12]
            store.add([new_id], [clean], vec, [meta])
        if self.translations is not None and meta["kind"] == "fact":
            self.translations.submit(new_id, clean, language)  # queued: returns at once
        return new_id

    def add_translation(self, memory_id: str, text: str, language: str) -> str | None:
        """Store ``text``, the translation of memory ``memory_id`` into ``language``, as an extra vector
        of it (replacing an older one). Returns its id, or None when the memory is gone."""
        text = text.strip()[:MAX_CHARS]
        if not text:
            raise EmptyInput("the translation is empty", "nothing to store")
        with self._lock:
            store = self.store()
            parents = [r for r in store.get([memory_id]) if not is_translation(r.metadata)]
            if not parents:
                return None
            new_id = translation_id(memory_id, language)
            store.delete([new_id])
            store.add([new_id], [text], self._embed([text]), [translation_metadata(parents[0], language)])
            return new_id

    def translations_of(self, memory_id: str) -> list[MemoryHit]:
        """The stored translations of a memory (none when it has none)."""
        with self._lock:
            return [_hit(r) for r in self.store().get(children([memory_id]))]

    def search(
        self, query: str, k: int | None = None, min_similarity: float | None = None
    ) -> list[MemoryHit]:
        """Memories most similar to ``query``, best first (``score`` = cosine similarity)."""
        query = query.strip()
        if not query:
            return []
        k = k or self.settings.top_k
        with self._lock:
            store = self.store()
            # a memory has at most one translation: 2k vectors hold k memories
            recs = fold(store.query(self._embed([query])[0], 2 * k), store.get, k)
        hits = [_hit(r) for r in recs]
        if min_similarity is not None:
            hits = [h for h in hits if h.score >= min_similarity]
        return hits

    def recall_hits(self, query: str) -> list[MemoryHit]:
        """The memories for a turn: top_k above min_similarity within token_budget, newest on ties.

        Stored chat turns are left out unless ``memory.recall_turns``: a model given its own past
        replies as "memories" repeats them in answers to unrelated questions.
        """
        m = self.settings
        candidates = self.search(query, k=max(m.top_k * 3, m.top_k + 4))
        if not m.recall_turns:
            candidates = [h for h in candidates if h.metadata.get("kind") != "turn"]
        return select_hits(candidates, m.top_k, self.min_similarity, m.token_budget, self.embedder.count_tokens)

    def list(self, limit: int = 20) -> list[MemoryHit]:
        """The newest ``limit`` memories, newest first (``score`` 0)."""
        with self._lock:
            store = self.store()
            rows = [r for r in store.all_metadata() if not is_translation(r[1])]
            rows.sort(key=lambda r: float(r[1].get("time", 0.0) or 0.0), reverse=True)
            ids = [rid for rid, _ in rows[: max(0, limit)]]
            return [_hit(r) for r in store.get(ids)]

    def count(self) -> int:
        """How many memories are stored (their translations are not counted)."""
        with self._lock:
            store = self.store()
            return store.count() - _translation_count(store)

    def get(self, memory_id: str) -> MemoryHit | None:
        """The memory with this id (a translation's id gives its memory), or None."""
        with self._lock:
            store = self.store()
            recs = fold(store.get([memory_id.strip()]), store.get, 1)
        return _hit(recs[0]) if recs else None

    def forget_candidates(self, query_or_id: str, k: int = 5) -> list[MemoryHit]:
        """What ``/forget`` would delete: the memory with that id, else the best matches of the query.

        Matches must reach ``min_similarity``; nothing is deleted here (see :meth:`delete`).
        """
        key = query_or_id.strip()
        if not key:
            return []
        exact = self.get(key) if len(key) <= 128 and " " not in key else None
        if exact is not None:
            return [exact]
        return self.search(key, k=k, min_similarity=self.min_similarity)

    def delete(self, ids: list[str]) -> int:
        """Delete memories by id, with their translations; returns how many memories were deleted."""
        ids = [i for i in ids if i]
        with self._lock:
            store = self.store()
            n = store.delete(ids)
            store.delete(children(ids))
            return n

    def export(self, path: str | Path) -> int:
        """Write every memory to a JSON-lines file (oldest first); returns how many."""
        with self._lock:
            store = self.store()
            rows = [r for r in store.all_metadata() if not is_translation(r[1])]  # made again on import
            rows.sort(key=lambda r: float(r[1].get("time", 0.0) or 0.0))
            records = store.get([rid for rid, _ in rows])
        return write_jsonl(Path(path), records)

    def import_(
        self, path: str | Path, progress: Progress | None = None, checking: Progress | None = None
    ) -> int:
        """Add the memories of an exported JSON-lines file; returns how many were new.

        The whole file is checked before anything is stored (a malformed file stores nothing); it
        is streamed, a line at a time, and each text is cut to ``MAX_CHARS`` (one notice says how
        many were cut and by how much). Ids already present are skipped; texts are redacted; nothing
        is dropped as a near-duplicate, so export -> import gives back exactly what was exported.
        ``checking(bytes, file size)`` is called while the file is checked, then ``progress(done,
        total)`` as its records are embedded and stored.
        """
        path = Path(path)
        total, kept_chars = 0, 0
        checked: list[tuple[Record, int]] | None = []
        for entry in iter_jsonl(path, checking):  # the check: raises on the first bad line
            total += 1
            if checked is not None:
                checked.append(entry)
                kept_chars += len(entry[0].text)
                if kept_chars > IMPORT_KEEP_CHARS:
                    checked = None
        entries = checked if checked is not None else iter_jsonl(path)
        stored = cut = dropped = done = 0
        seen: set[str] = set()
        with self._lock:
            store = self.store()
            if progress:
                progress(0, total)
            for chunk in _batches(entries, IMPORT_STEP):
                present = {r.id for r in store.get([r.id for r, _ in chunk if r.id])}
                pairs = new_records(chunk, present, seen)
                todo = [r for r, _ in pairs]
                if todo:
                    vecs = self._embed([r.text for r in todo])
                    store.add([r.id for r in todo], [r.text for r in todo], vecs, [r.metadata for r in todo])
                stored += len(todo)
                cuts = [d for _, d in pairs if d]
                cut, dropped = cut + len(cuts), dropped + sum(cuts)
                done += len(chunk)
                if progress:
                    progress(done, total)
        if cut:
            notice(f"import: {_plural(cut, 'memory', 'memories')} longer than {MAX_CHARS:,} characters "
                   f"{'was' if cut == 1 else 'were'} cut; {_plural(dropped, 'character was', 'characters were')} "
                   "left out")
        return stored

    def reindex(self, progress: Progress | None = None) -> tuple[int, str]:
        """Re-embed every memory with ``memory.embedder`` (after it changed); ids, texts and metadata
        are kept, translations too (re-embedded, not translated again). Returns (how many memories,
        the embedder that had written the store; ours if it was ours).

        The store is rebuilt into a new collection that replaces the old one only when every memory
        is in it, so an interruption loses nothing (run it again). Memories added or forgotten
        meanwhile (by other Jarvis processes, through this one) are carried over, not lost.

        Raises:
            ReindexRunning: another reindex of the store is under way (it holds the folder's
                :class:`~jarvis.memory.lock.ReindexLock` from before its model loads to its end).
            MemoryStoreError: the store cannot be used.
        """
        from jarvis.memory.lock import ReindexLock

        with self._lock:
            self.close()
            folder = None if self.settings.server else Path(self.settings.path)
            running = ReindexLock(folder).acquire() if folder is not None and folder.is_dir() else None
            try:
                store = self._open(strict=False)
                try:
                    before = store.built_with[0] if store.built_with else self.embedder.name
                    n = store.rebuild(self._embed, progress)
                    n -= _translation_count(store)
                except BaseException:
                    store.close()
                    raise
            finally:
                if running is not None:
                    running.release()
            self._store = store
            self._broken = None
            return n, before

    # ------------------------------------------------------------------ seams for the assistant
    def _failed(self, exc: MemoryStoreError) -> MemoryStoreError | None:
        """Record a failure; returns the error the first time it is seen, else None."""
        self._broken = exc
        self._retry_at = time.monotonic() + RETRY_AFTER_S
        try:
            self.close()
        except Exception:  # pragma: no cover - best effort
            log.debug("closing a failed store", exc_info=True)
        log.warning("long-term memory off: %s", exc.one_line())
        if exc.message in self._reported:
            return None
        self._reported.add(exc.message)
        return exc

    def _off(self) -> str | None:
        if self._broken is not None and time.monotonic() < self._retry_at:
            return f"long-term memory is off: {self._broken.message}"
        return None

    def recall_for_turn(self, text: str, turn_id: int = 0) -> MemoryHits:
        """Memories for one turn. Raises MemoryStoreError the first time a failure is seen;
        after that returns empty hits whose ``error`` says memory is off (retrying every 30 s)."""
        off = self._off()
        if off:
            return MemoryHits(error=off, turn_id=turn_id)
        try:
            hits = self.recall_hits(text)
        except MemoryStoreError as exc:
            first = self._failed(exc)
            if first is not None:
                raise first from None
            return MemoryHits(error=f"long-term memory is off: {exc.message}", turn_id=turn_id)
        self._broken = None
        return MemoryHits(tuple(hits), turn_id=turn_id)

    def remember_turn(
        self, user_text: str, reply: str, source: str = "keyboard", language: str | None = None,
        model: str | None = None,
    ) -> str | None:
        """Store a completed turn. Raises MemoryStoreError only the first time a failure is seen."""
        if self._off():
            return None
        extra: Metadata = {"model": model} if model else {}
        try:
            return self.add(turn_text(user_text, reply), source, kind="turn", language=language, extra=extra)
        except MemoryStoreError as exc:
            first = self._failed(exc)
            if first is not None:
                raise first from None
            return None


# ---------------------------------------------------------------------- building one
def embedder_device(settings: Settings, plan: Any = None) -> str:
    """``memory.embedder_device`` unless it is "auto"; then the placement plan's choice (else cpu)."""
    wanted = settings.memory.embedder_device
    if wanted != "auto":
        return wanted
    if plan is None:
        from jarvis.hardware import plan_here

        plan = plan_here(settings)
    placement = plan.get("embeddings")
    return placement.device if placement is not None else "cpu"


def memory_service(settings: Settings, plan: Any = None, session: str = "") -> MemoryService:
    """A MemoryService for these settings (nothing is loaded until first use)."""
    return MemoryService(settings.memory, device=embedder_device(settings, plan), session=session)
