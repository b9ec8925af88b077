"""The contract of a long-term memory store: vectors in, nearest records out.

A store keeps records (id, text, metadata, embedding); it never computes embeddings itself (the
:class:`~jarvis.memory.embedder.Embedder` does). Scores are cosine similarities in [-1, 1].
Every failure a user can meet raises :class:`~jarvis.errors.MemoryStoreError`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Metadata = dict[str, str | int | float | bool]


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
    def count(self) -> int:
        """How many records are stored."""

    @abstractmethod
    def close(self) -> None:
        """Release the store (locks, connections). Safe to call twice."""
