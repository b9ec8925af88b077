"""Long-term memory: a ChromaDB store (folder or server) with a local sentence-transformers embedder.

Entry points: :func:`attach_memory` (wires an Assistant), :class:`MemoryService` (add, search, list,
forget, export, import). Importing this package loads nothing heavy.
"""

from jarvis.memory.service import MemoryService, attach_memory, memory_service

__all__ = ["MemoryService", "attach_memory", "memory_service"]
