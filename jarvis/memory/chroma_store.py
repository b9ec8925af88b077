"""ChromaDB backend: a persistent folder (locked to one process) or a ChromaDB server over HTTP.

Both modes share every code path after the client is made. Embeddings always come from our own
embedder and are passed in explicitly; the collection is created with ``embedding_function=None``
so ChromaDB's default embedder (which downloads a model) is never used. The collection records
which embedder built it: opening it with another model is refused (:class:`EmbedderMismatch`)
instead of mixing vectors, and :meth:`ChromaStore.rebuild` re-embeds it into a new collection that
replaces the old one (``jarvis memory reindex``).
"""

from __future__ import annotations

import logging
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
from jarvis.memory.lock import StoreLock
from jarvis.private import private_dir, tighten_tree

log = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 10.0
# A rebuild fills NAME-reindex, renames NAME to NAME-before-reindex, NAME-reindex to NAME, then drops
# the old one. Each rename is atomic; an open that finds NAME missing but the old one there puts it back.
_NEW, _OLD = "-reindex", "-before-reindex"


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

    def add(
        self, ids: Sequence[str], texts: Sequence[str], embeddings: Any, metadatas: Sequence[Metadata]
    ) -> None:
        """Store records in batches (see :class:`MemoryStore`)."""
        with self._guard("write"):
            for i in range(0, len(ids), self._batch):
                j = i + self._batch
                self._col.add(
                    ids=list(ids[i:j]),
                    embeddings=embeddings[i:j],
                    documents=list(texts[i:j]),
                    metadatas=[dict(m) or {"kind": "fact"} for m in metadatas[i:j]],
                )
        if self.path is not None:
            tighten_tree(self.path)  # files ChromaDB created for this write (it uses the umask)

    def query(self, embedding: Any, k: int) -> list[Record]:
        """Nearest records, most similar first."""
        if k <= 0:
            return []
        with self._guard("search"):
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
            with self._guard("read"):
                res = self._col.get(ids=wanted[i : i + self._batch], include=["documents", "metadatas"])
            for rid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=False):
                found[rid] = Record(rid, doc or "", dict(meta or {}))
        return [found[i] for i in ids if i in found]

    def all_metadata(self) -> list[tuple[str, Metadata]]:
        """(id, metadata) of every record."""
        with self._guard("read"):
            res = self._col.get(include=["metadatas"])
        return [(rid, dict(meta or {})) for rid, meta in zip(res["ids"], res["metadatas"], strict=False)]

    def delete(self, ids: Sequence[str]) -> int:
        """Delete by id; returns how many existed."""
        existing = [r.id for r in self.get(ids)]
        if existing:
            with self._guard("delete"):
                self._col.delete(ids=existing)
        return len(existing)

    def rebuild(self, embed: Callable[[list[str]], Any], progress: Progress | None = None) -> int:
        """Re-embed every record into a new collection that replaces this one (see :class:`MemoryStore`)."""
        name = self.collection_name
        with self._guard("read"):
            res = self._col.get(include=["documents", "metadatas"])
        ids, docs, metas = res["ids"], [d or "" for d in res["documents"]], res["metadatas"]
        total = len(ids)
        with self._guard("reindex"):
            for leftover in (name + _NEW, name + _OLD):
                if leftover in self._names():
                    self._client.delete_collection(leftover)
            new = self._collection(name + _NEW)
        try:
            if progress:
                progress(0, total)
            for i in range(0, total, 256):
                j = min(total, i + 256)
                vecs = embed(docs[i:j])
                with self._guard("write"):
                    new.add(ids=ids[i:j], embeddings=vecs, documents=docs[i:j],
                            metadatas=[dict(m or {}) or {"kind": "fact"} for m in metas[i:j]])
                if progress:
                    progress(j, total)
            with self._guard("reindex"):
                copied = new.count() == total and set(new.get(include=[])["ids"]) == set(ids)
            if not copied:
                raise MemoryStoreError(
                    f"reindex of {self.location} did not copy every memory; nothing was replaced",
                    "run `jarvis memory reindex` again; see the log file if it persists",
                )
        except BaseException:  # the old collection is untouched: drop the partial copy
            try:
                self._client.delete_collection(name + _NEW)
            except Exception:  # pragma: no cover - the next rebuild drops it
                log.debug("dropping the partial reindex failed", exc_info=True)
            raise
        with self._guard("reindex"):
            self._col.modify(name=name + _OLD)
            new.modify(name=name)
            self._client.delete_collection(name + _OLD)
            self._col = self._client.get_collection(name, embedding_function=None)
        self.built_with = None
        self._read_space()
        return total

    def count(self) -> int:
        """Number of records."""
        with self._guard("count"):
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
