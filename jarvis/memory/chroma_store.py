"""ChromaDB backend: a persistent folder (locked to one process) or a ChromaDB server over HTTP.

Both modes share every code path after the client is made. Embeddings always come from our own
embedder and are passed in explicitly; the collection is created with ``embedding_function=None``
so ChromaDB's default embedder (which downloads a model) is never used. The collection records
which embedder built it: opening it with another model is refused (:class:`EmbedderMismatch`)
instead of mixing vectors, and :meth:`ChromaStore.rebuild` re-embeds it into a new collection that
replaces the old one (``jarvis memory reindex``).

A rebuild loses nothing written while it runs: adds and deletes (ours, or another process's through
:mod:`jarvis.memory.share`) go to the live collection as usual and are noted; before the swap the
rebuild replays them onto the new collection and checks that it holds exactly what the live one
holds, all under the store's lock, which writes wait for only during that last step. One rebuild at
a time: a second one meets :class:`~jarvis.memory.lock.ReindexRunning` (in a folder the
:class:`~jarvis.memory.lock.ReindexLock`; on a server a heartbeat on the collection being filled).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jarvis.errors import MemoryStoreError
from jarvis.memory.base import EmbedderMismatch, MemoryStore, Metadata, Progress, Record
from jarvis.memory.chroma_errors import describe_failure, parse_server
from jarvis.memory.lock import ReindexRunning, StoreLock
from jarvis.private import private_dir, tighten_tree

log = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 10.0
# A rebuild fills NAME-reindex, renames NAME to NAME-before-reindex, NAME-reindex to NAME, then drops
# the old one. Each rename is atomic; an open that finds NAME missing but the old one there puts it back.
_NEW, _OLD = "-reindex", "-before-reindex"
_STEP = 256  # records embedded at a time by a rebuild
# On a server, the collection being filled carries a heartbeat: one younger than this means another
# rebuild is filling it (refused); an older one is what an interrupted rebuild left (dropped).
_BEAT, _BEAT_STALE_S = "reindex_beat", 120.0


class ChromaStore(MemoryStore):
    """Memories in a ChromaDB collection (cosine space)."""

    def __init__(
        self,
        path: Path | None = None,
        server: str = "",
        collection: str = "memories",
        embedder_name: str = "",
        dim: int = 0,
        strict: bool = True,
    ) -> None:
        """Open (or create) the collection. ``strict=False`` opens one written by another embedder
        (``built_with`` says which) so that it can be rebuilt; searching it then is meaningless."""
        self.path = Path(path) if path is not None else None
        self.server = server.strip()
        self.collection_name = collection
        self.embedder_name = embedder_name
        self.dim = dim
        self.strict = strict
        self.built_with: tuple[str, int] | None = None  # (embedder, dim) when not ours
        self.location = self.server or str(self.path)
        self._lock: StoreLock | None = None
        self._share: Any = None
        self._client: Any = None
        self._col: Any = None
        self._space = "cosine"
        self._batch = 1000
        # Held by every call for its own duration, and by a rebuild while it reads a batch and while
        # it catches up and swaps collections; the share server calls in from its threads.
        self._mutex = threading.RLock()
        self._journal: dict[str, bool] | None = None  # during a rebuild: id -> added (True) / deleted
        self._open()

    # ------------------------------------------------------------------ opening
    def _open(self) -> None:
        try:
            import chromadb
            from chromadb.config import Settings as ChromaSettings
        except ImportError:
            raise MemoryStoreError(
                "chromadb is not installed", "run ./install.sh (it installs chromadb)"
            ) from None
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if self.server:
                self._client = self._open_server(chromadb, chroma_settings)
            else:
                self._client = self._open_folder(chromadb, chroma_settings)
            with self._guard("open the collection"):
                self._finish_interrupted_rebuild()
                self._col = self._collection(self.collection_name)
                self._check_collection()
                self._batch = max(1, min(1000, int(self._client.get_max_batch_size())))
            if self._lock is not None:  # other Jarvis processes reach the folder through this one
                from jarvis.memory.share import serve

                self._share = serve(self, self.path)
        except BaseException:
            self.close()
            raise

    def _open_folder(self, chromadb: Any, chroma_settings: Any) -> Any:
        assert self.path is not None
        if self.path.exists() and not self.path.is_dir():
            raise MemoryStoreError(
                f"memory path {self.path} is a file, not a folder",
                "set memory.path to a folder (it is created when missing)",
            )
        try:
            private_dir(self.path)  # 0700, an existing store too: it holds private facts
        except OSError as exc:
            raise MemoryStoreError(
                f"cannot create the memory folder {self.path}: {exc.strerror or exc}",
                "check the permissions of its parent, or set memory.path to a folder you can write",
            ) from None
        self._lock = StoreLock(self.path).acquire()
        with self._guard("open the store"):
            client = chromadb.PersistentClient(path=str(self.path), settings=chroma_settings)
        tighten_tree(self.path)  # what an older version or ChromaDB left readable by others
        return client

    def _open_server(self, chromadb: Any, chroma_settings: Any) -> Any:
        host, port, ssl = parse_server(self.server)
        scheme = "https" if ssl else "http"
        try:  # fail fast (the HTTP client itself waits forever)
            with urllib.request.urlopen(f"{scheme}://{host}:{port}/api/v2/heartbeat", timeout=3.0):
                pass
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise MemoryStoreError(
                f"memory server {self.server} is unreachable: {reason}",
                f"start it (`chroma run --path DIR --port {port}`) or set memory.server = \"\" "
                "to use the local folder",
            ) from None
        with self._guard("connect"):
            client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings)
        session = getattr(getattr(client, "_server", None), "_session", None)
        if session is not None:
            try:
                import httpx

                session.timeout = httpx.Timeout(HTTP_TIMEOUT_S)
            except Exception:  # pragma: no cover - private attribute changed
                pass
        return client

    def _collection(self, name: str) -> Any:
        """Get or create collection ``name`` (cosine space, stamped with our embedder)."""
        return self._client.get_or_create_collection(
            name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedder": self.embedder_name, "dim": self.dim},
        )

    def _names(self) -> set[str]:
        return {c if isinstance(c, str) else c.name for c in self._client.list_collections()}

    def _finish_interrupted_rebuild(self) -> None:
        """Put the old collection back when a rebuild stopped between its two renames."""
        names = self._names()
        old = self.collection_name + _OLD
        if self.collection_name not in names and old in names:
            log.warning("memory: a reindex was interrupted; restoring collection %s", self.collection_name)
            self._client.get_collection(old, embedding_function=None).modify(name=self.collection_name)

    def _check_collection(self) -> None:
        meta = self._col.metadata or {}
        stored_name, stored_dim = meta.get("embedder"), meta.get("dim")
        if stored_name is None and stored_dim is None:
            # Created by something else: adopt it, recording our embedder.
            self._col.modify(metadata={**meta, "embedder": self.embedder_name, "dim": self.dim})
        elif stored_name != self.embedder_name or (self.dim and stored_dim and int(stored_dim) != self.dim):
            count = int(self._col.count())
            if count == 0 and self.strict:  # nothing to lose: start it again for this embedder
                log.info("memory: empty collection %s re-made for %s", self.collection_name, self.embedder_name)
                self._client.delete_collection(self.collection_name)
                self._col = self._collection(self.collection_name)
            elif self.strict:
                raise EmbedderMismatch(
                    self.location, str(stored_name), int(stored_dim or 0), self.embedder_name, self.dim, count
                )
            else:
                self.built_with = (str(stored_name), int(stored_dim or 0))
        self._read_space()

    def _read_space(self) -> None:
        with warnings.catch_warnings():  # "legacy embedding function config": we embed ourselves
            warnings.simplefilter("ignore", DeprecationWarning)
            config = getattr(self._col, "configuration", None) or {}
        hnsw = config.get("hnsw") if isinstance(config, dict) else None
        if isinstance(hnsw, dict) and hnsw.get("space"):
            self._space = str(hnsw["space"])

    # ------------------------------------------------------------------ errors
    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Turn any backend failure into a MemoryStoreError with a hint."""
        try:
            yield
        except MemoryStoreError:
            raise
        except Exception as exc:
            raise self._describe(action, exc) from None

    def _describe(self, action: str, exc: Exception) -> MemoryStoreError:
        return describe_failure(action, exc, self.location, bool(self.server))

    # ------------------------------------------------------------------ records
    def _score(self, distance: float) -> float:
        if self._space == "l2":  # squared L2 between unit vectors = 2 - 2 cos
            return 1.0 - float(distance) / 2.0
        return 1.0 - float(distance)  # cosine and ip: 1 - cos

    def _searchable(self) -> None:
        """Refuse vectors of our embedder while the collection still holds another one's (a
        reindex to a new embedder is under way: another process reached it through the share)."""
        if self.built_with is not None:
            raise MemoryStoreError(
                f"memory in {self.location} is being re-embedded for {self.embedder_name} by "
                "`jarvis memory reindex`; it cannot be searched or added to until that is done",
                "wait for the reindex to finish, then retry",
            )

    def add(
        self, ids: Sequence[str], texts: Sequence[str], embeddings: Any, metadatas: Sequence[Metadata]
    ) -> None:
        """Store records in batches (see :class:`MemoryStore`)."""
        with self._mutex:
            self._searchable()
            with self._guard("write"):
                for i in range(0, len(ids), self._batch):
                    j = i + self._batch
                    self._col.add(
                        ids=list(ids[i:j]),
                        embeddings=embeddings[i:j],
                        documents=list(texts[i:j]),
                        metadatas=[dict(m) or {"kind": "fact"} for m in metadatas[i:j]],
                    )
            if self._journal is not None:  # a rebuild is filling a new collection: it replays this
                self._journal.update(dict.fromkeys(ids, True))
        if self.path is not None:
            tighten_tree(self.path)  # files ChromaDB created for this write (it uses the umask)

    def query(self, embedding: Any, k: int) -> list[Record]:
        """Nearest records, most similar first."""
        if k <= 0:
            return []
        with self._mutex, self._guard("search"):
            self._searchable()
            res = self._col.query(
                query_embeddings=[embedding], n_results=k, include=["documents", "metadatas", "distances"]
            )
        out = []
        for rid, doc, meta, dist in zip(
            res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=False
        ):
            out.append(Record(rid, doc or "", dict(meta or {}), round(self._score(dist), 6)))
        return out

    def get(self, ids: Sequence[str]) -> list[Record]:
        """Records by id, in the order asked."""
        found: dict[str, Record] = {}
        wanted = list(dict.fromkeys(ids))
        for i in range(0, len(wanted), self._batch):
            with self._mutex, self._guard("read"):
                res = self._col.get(ids=wanted[i : i + self._batch], include=["documents", "metadatas"])
            for rid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=False):
                found[rid] = Record(rid, doc or "", dict(meta or {}))
        return [found[i] for i in ids if i in found]

    def all_metadata(self) -> list[tuple[str, Metadata]]:
        """(id, metadata) of every record."""
        with self._mutex, self._guard("read"):
            res = self._col.get(include=["metadatas"])
        return [(rid, dict(meta or {})) for rid, meta in zip(res["ids"], res["metadatas"], strict=False)]

    def delete(self, ids: Sequence[str]) -> int:
        """Delete by id; returns how many existed."""
        with self._mutex:
            existing = [r.id for r in self.get(ids)]
            if existing:
                with self._guard("delete"):
                    self._col.delete(ids=existing)
            if self._journal is not None:  # a rebuild is filling a new collection: it replays this
                self._journal.update(dict.fromkeys(existing, False))
        return len(existing)

    def rebuild(self, embed: Callable[[list[str]], Any], progress: Progress | None = None) -> int:
        """Re-embed every record into a new collection that replaces this one (see :class:`MemoryStore`).

        Records added or deleted while it runs are replayed onto the new collection before the swap
        (see the module's docstring). Raises ReindexRunning when another rebuild of it is under way.
        """
        with self._mutex:
            if self._journal is not None:
                raise ReindexRunning(self.location, " (in this process)")
            with self._guard("read"):
                ids = list(self._col.get(include=[])["ids"])
            with self._guard("reindex"):
                new = self._new_collection()
            self._journal = {}
        swapping = False
        try:
            total = len(ids)
            if progress:
                progress(0, total)
            for i in range(0, total, _STEP):
                with self._mutex, self._guard("read"):
                    res = self._col.get(ids=ids[i : i + _STEP], include=["documents", "metadatas"])
                self._copy(new, res, embed)
                self._beat(new)
                if progress:
                    progress(min(total, i + _STEP), total)
            for _ in range(3):  # catch up with what was written meanwhile, writers still welcome
                with self._mutex:
                    journal, self._journal = self._journal, {}
                if not journal:
                    break
                self._replay(new, journal, embed)
            with self._mutex:  # the rest, and the swap, with writers waiting
                journal, self._journal = self._journal or {}, {}
                self._replay(new, journal, embed)
                count = self._reconcile(new, embed)
                swapping = True
                self._swap(new, embed)
        except BaseException:
            if not swapping:  # the old collection is untouched: drop the partial copy
                try:
                    self._client.delete_collection(self.collection_name + _NEW)
                except Exception:  # pragma: no cover - the next rebuild drops it
                    log.debug("dropping the partial reindex failed", exc_info=True)
            raise
        finally:
            with self._mutex:
                self._journal = None
        return count

    def _stamp(self, beat: bool = False) -> dict[str, Any]:
        meta: dict[str, Any] = {"embedder": self.embedder_name, "dim": self.dim}
        if beat:
            meta[_BEAT] = time.time()
            meta["reindex_by"] = f"{socket.gethostname()} pid {os.getpid()}"
        return meta

    def _new_collection(self) -> Any:
        """Make the collection a rebuild fills (made, not found: two rebuilds never fill one)."""
        name = self.collection_name
        names = self._names()
        if name + _NEW in names:
            left = self._client.get_collection(name + _NEW, embedding_function=None).metadata or {}
            beat = left.get(_BEAT)
            if self.server and isinstance(beat, (int, float)) and time.time() - beat < _BEAT_STALE_S:
                raise ReindexRunning(self.location, f" ({left.get('reindex_by', 'another process')})")
            self._client.delete_collection(name + _NEW)  # what an interrupted rebuild left
        if name + _OLD in names:
            self._client.delete_collection(name + _OLD)
        try:
            return self._client.create_collection(
                name + _NEW, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
                metadata=self._stamp(beat=bool(self.server)),
            )
        except Exception as exc:
            if "exist" in str(exc).lower():  # another rebuild made it between our look and now
                raise ReindexRunning(self.location) from None
            raise

    def _beat(self, new: Any) -> None:
        """Tell other processes on the same server that this rebuild is alive."""
        if self.server:
            with self._guard("reindex"):
                new.modify(metadata=self._stamp(beat=True))

    def _copy(self, new: Any, res: dict[str, Any], embed: Callable[[list[str]], Any]) -> None:
        """Embed the records of a ``get`` result into ``new`` (replacing those already there)."""
        if not res["ids"]:
            return
        docs = [d or "" for d in res["documents"]]
        vecs = embed(docs)
        with self._guard("write"):
            new.upsert(ids=list(res["ids"]), embeddings=vecs, documents=docs,
                       metadatas=[dict(m or {}) or {"kind": "fact"} for m in res["metadatas"]])

    def _replay(self, new: Any, journal: dict[str, bool], embed: Callable[[list[str]], Any]) -> None:
        """Make ``new`` agree with the live collection on the ids in ``journal``."""
        ids = list(journal)
        for i in range(0, len(ids), _STEP):
            batch = ids[i : i + _STEP]
            with self._mutex, self._guard("read"):
                res = self._col.get(ids=batch, include=["documents", "metadatas"])
            live = set(res["ids"])
            gone = [rid for rid in batch if rid not in live]
            if gone:
                with self._guard("write"):
                    new.delete(ids=gone)
            self._copy(new, res, embed)

    def _reconcile(self, new: Any, embed: Callable[[list[str]], Any]) -> int:
        """Check (under the lock) that ``new`` holds exactly the live records; copy what a writer
        outside this process added meanwhile (a server), drop what it deleted. Returns how many."""
        with self._guard("reindex"):
            live = set(self._col.get(include=[])["ids"])
            have = set(new.get(include=[])["ids"])
        if have - live:
            with self._guard("write"):
                new.delete(ids=sorted(have - live))
        if live - have:
            log.info("memory: copying %d records written during the reindex", len(live - have))
            self._replay(new, dict.fromkeys(sorted(live - have), True), embed)
        with self._guard("reindex"):
            copied = new.count() == len(live) and set(new.get(include=[])["ids"]) == live
        if not copied:
            raise MemoryStoreError(
                f"reindex of {self.location} did not copy every memory; nothing was replaced",
                "run `jarvis memory reindex` again; see the log file if it persists",
            )
        return len(live)

    def _swap(self, new: Any, embed: Callable[[list[str]], Any]) -> None:
        """Put ``new`` in place of the live collection (each rename is atomic; see ``_OLD``)."""
        name = self.collection_name
        with self._guard("reindex"):
            self._col.modify(name=name + _OLD)
            new.modify(name=name, metadata=self._stamp())
        if self.server:  # a writer elsewhere may have used the old collection up to its rename
            self._reconcile(new, embed)
        with self._guard("reindex"):
            self._client.delete_collection(name + _OLD)
            self._col = self._client.get_collection(name, embedding_function=None)
        self.built_with = None
        self._read_space()

    def count(self) -> int:
        """Number of records."""
        with self._mutex, self._guard("count"):
            return int(self._col.count())

    def close(self) -> None:
        """Close the client and release the folder lock."""
        if self._share is not None:
            self._share.close()
            self._share = None
        client, self._client, self._col = self._client, None, None
        if client is not None:
            try:
                client.close()
            except Exception:  # pragma: no cover - best effort
                log.debug("closing chroma client failed", exc_info=True)
        if self._lock is not None:
            if self.path is not None:
                tighten_tree(self.path)  # what a rebuild or ChromaDB's compaction wrote
            self._lock.release()
            self._lock = None
