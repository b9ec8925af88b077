"""Long-term memory: a ChromaDB store (folder or server) with a local sentence-transformers embedder.

Entry points: :func:`memory_service` (builds one from the settings), :class:`MemoryService` (add,
search, list, forget, export, import, and the per-turn recall/remember the assistant calls). Facts
get a translation (es <-> en) as an extra vector in the background: :mod:`jarvis.memory.translator`.
Importing this package loads nothing heavy.
"""

from jarvis.memory.service import MemoryService, memory_service

__all__ = ["MemoryService", "memory_service"]
