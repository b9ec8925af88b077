"""The contract of a long-term memory store: vectors in, nearest records out.

A store keeps records (id, text, metadata, embedding); it never computes embeddings itself (the
:class:`~jarvis.memory.embedder.Embedder` does). Scores are cosine similarities in [-1, 1].
Every failure a user can meet raises :class:`~jarvis.errors.MemoryStoreError`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jarvis.errors import MemoryStoreError

Metadata = dict[str, str | int | float | bool]
#: Called as ``progress(done, total)`` while a long import or reindex goes on.
Progress = Callable[[int, int], None]


class EmbedderMismatch(MemoryStoreError):
    """The store was written by another embedding model than ``memory.embedder``."""

    def __init__(self, location: str, stored: str, stored_dim: int, wanted: str, dim: int, count: int) -> None:
        super().__init__(
            f"memory in {location} was built with embedder {stored} ({stored_dim}-d), but memory.embedder "
            f"is {wanted} ({dim}-d): its {count} memories cannot be searched with it",
            f"run `jarvis memory reindex` to re-embed them with {wanted} (nothing is lost), "
            f"or set memory.embedder back to the {stored} folder",
        )
        self.stored, self.wanted, self.count = stored, wanted, count


@dataclass(frozen=True)
class Record:
    """One stored memory; ``score`` is the similarity to the query (0.0 outside a search)."""

    id: str
    text: str
    metadata: Metadata = field(default_factory=dict)
    score: float = 0.0


class MemoryStore(ABC):
    """A vector store for memories (ChromaDB folder or server)."""

    #: Where the records live, for messages ("/path/to/vectorstore" or "http://host:port").
    location: str = ""

    @abstractmethod
    def add(
        self, ids: Sequence[str], texts: Sequence[str], embeddings: Any, metadatas: Sequence[Metadata]
    ) -> None:
        """Store records (batched internally as the backend needs).

        Args:
            ids, texts, metadatas: one entry per record; ids must be new.
            embeddings: float32 array of shape (n, dim), L2-normalised.
        Raises:
            MemoryStoreError: the store cannot be written.
        """

    @abstractmethod
    def query(self, embedding: Any, k: int) -> list[Record]:
        """The ``k`` records nearest to ``embedding``, most similar first (``score`` set)."""

    @abstractmethod
    def get(self, ids: Sequence[str]) -> list[Record]:
        """The records with these ids (missing ids are skipped)."""

    @abstractmethod
    def all_metadata(self) -> list[tuple[str, Metadata]]:
        """(id, metadata) of every record, in no particular order."""

    @abstractmethod
    def delete(self, ids: Sequence[str]) -> int:
        """Delete records by id; returns how many existed."""

    @abstractmethod
    def rebuild(self, embed: Callable[[list[str]], Any], progress: Progress | None = None) -> int:
        """Re-embed every record with ``embed`` and record this store's embedder; returns how many.

        Ids, texts and metadata are kept. An interruption at any point leaves the old records or the
        new ones whole, never a mix. Raises MemoryStoreError (nothing is lost then either).
        """

    @abstractmethod
    def count(self) -> int:
        """How many records are stored."""

    @abstractmethod
    def close(self) -> None:
        """Release the store (locks, connections). Safe to call twice."""
