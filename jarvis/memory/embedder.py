"""Sentence embeddings from a model folder in ``models/``; the folder's contents pick the backend.

- a sentence-transformers folder (``config.json`` ...): any ST model, e.g. all-MiniLM-L6-v2, or
  BGE-M3 on a GPU box (:mod:`jarvis.memory.st_backend`);
- a USE multilingual v3 folder (``weights.npz`` + ``sp.model``): the default, numpy on the CPU
  (:mod:`jarvis.memory.use_backend`).

The model loads lazily on the first :meth:`Embedder.encode` and is shared by every Embedder in the
process with the same folder and device. Nothing is ever downloaded: the folder must exist. Heavy
libraries are imported only when a model loads.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from jarvis.errors import MemoryStoreError
from jarvis.memory import st_backend, use_backend
from jarvis.memory.st_backend import resolve_device

__all__ = ["Embedder", "folder_kind", "resolve_device"]

log = logging.getLogger(__name__)

_BACKENDS = (use_backend, st_backend)
_CACHE: dict[tuple[str, str], Any] = {}
_CACHE_LOCK = threading.Lock()


def folder_kind(path: Path) -> str:
    """``use-multilingual`` or ``sentence-transformers`` for a model folder. Raises MemoryStoreError."""
    for backend in _BACKENDS:
        if path.is_dir() and backend.is_model_folder(path):
            return backend.KIND
    what = "not found" if not path.exists() else "not a model folder this version can read"
    raise MemoryStoreError(
        f"embedding model {what}: {path}",
        "run ./install.sh to fetch the default model, or set memory.embedder to a "
        "sentence-transformers folder or models/use-multilingual-v3",
    )


def _backend(kind: str) -> Any:
    return next(b for b in _BACKENDS if b.KIND == kind)


class Embedder:
    """Turns texts into L2-normalised float32 vectors with a local model folder."""

    def __init__(self, path: Path | str, device: str = "cpu", batch_size: int = 64, threads: int = 1) -> None:
        self.path = Path(path)
        self.device_request = device
        self.batch_size = batch_size
        self.threads = threads  # CPU threads; 0 = the library's default (all cores)
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The model's folder name (stored in the collection to catch a changed embedder)."""
        return self.path.name

    @property
    def kind(self) -> str:
        """Which backend reads the folder (see :func:`folder_kind`). Raises MemoryStoreError."""
        return self._model.kind if self._model is not None else folder_kind(self.path)

    @property
    def min_similarity(self) -> float:
        """The recall threshold measured for this kind of model (``memory.min_similarity = "auto"``)."""
        return float(_backend(self.kind).MIN_SIMILARITY)

    @property
    def loaded(self) -> bool:
        """True once the model is in memory."""
        return self._model is not None

    def model(self) -> Any:
        """The loaded model (loads it on first call). Raises MemoryStoreError."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    kind = folder_kind(self.path)
                    backend = _backend(kind)
                    device = resolve_device(self.device_request) if kind == st_backend.KIND else "cpu"
                    key = (str(self.path.resolve()), device)
                    with _CACHE_LOCK:
                        if key not in _CACHE:
                            log.info("loading embedding model %s (%s) on %s", self.path, kind, device)
                            _CACHE[key] = backend.load(self.path, device, self.threads)
                        self._model = _CACHE[key]
        return self._model

    @property
    def dim(self) -> int:
        """Length of one embedding vector."""
        return int(self.model().dim)

    @property
    def device(self) -> str:
        """The device the model runs on (after loading)."""
        return str(self.model().device)

    def encode(self, texts: list[str]) -> Any:
        """Embed ``texts``; returns a float32 numpy array of shape (len(texts), dim)."""
        import numpy as np

        model = self.model()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        try:
            vecs = model.encode(list(texts), self.batch_size)
        except Exception as exc:
            raise MemoryStoreError(
                f"embedding failed: {type(exc).__name__}: {exc}"[:300], "see the log file"
            ) from None
        return np.asarray(vecs, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        """Rough token count of ``text`` for prompt budgets (4 characters per token)."""
        return max(1, (len(text) + 3) // 4) if text else 0
