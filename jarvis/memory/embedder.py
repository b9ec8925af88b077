"""Sentence embeddings from a sentence-transformers model folder in ``models/``.

The model loads lazily on the first :meth:`Embedder.encode` (it takes seconds) and is shared by
every Embedder in the process with the same folder and device. Nothing is ever downloaded: the
folder must exist. torch and sentence_transformers are imported only when the model loads.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from jarvis.errors import MemoryStoreError

log = logging.getLogger(__name__)

_CACHE: dict[tuple[str, str], Any] = {}
_CACHE_LOCK = threading.Lock()


def resolve_device(device: str) -> str:
    """The torch device to use: ``cuda:N`` only when torch can reach that GPU, else ``cpu``."""
    if not device.startswith("cuda"):
        return "cpu"
    try:
        import torch

        if torch.cuda.is_available():
            index = int(device.partition(":")[2] or 0)
            if index < torch.cuda.device_count():
                return f"cuda:{index}"
    except Exception:  # pragma: no cover - broken CUDA install
        pass
    log.warning("embedder: %s is not usable by torch; using the CPU", device)
    return "cpu"


def _set_threads(n: int) -> None:
    """Limit torch's CPU threads (process wide: the embedder is torch's only user in Jarvis).

    Fewer threads than cores keeps embedding fast when the LLM, speech or other programs share
    the CPU; torch spinning on busy cores was 25x slower for one sentence on a loaded 2-core box.
    """
    try:
        import torch

        if torch.get_num_threads() != n:
            torch.set_num_threads(n)
    except Exception:  # pragma: no cover - torch missing: _load reports it
        pass


def _load(path: Path, device: str) -> Any:
    if not path.is_dir() or not (path / "config.json").is_file():
        raise MemoryStoreError(
            f"embedding model not found: {path}",
            "run ./install.sh to fetch the default model, or set memory.embedder to a "
            "sentence-transformers folder",
        )
    try:
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()
    except ImportError as exc:
        raise MemoryStoreError(
            f"cannot load the embedding model: {exc.name or exc} is not installed",
            "run ./install.sh (it installs sentence-transformers)",
        ) from None
    try:
        return SentenceTransformer(str(path), device=device, local_files_only=True)
    except Exception as exc:
        raise MemoryStoreError(
            f"cannot load the embedding model {path.name}: {type(exc).__name__}: {exc}"[:300],
            "check that the folder holds a complete sentence-transformers model (./install.sh repairs it)",
        ) from None


class Embedder:
    """Turns texts into L2-normalised float32 vectors with a local sentence-transformers model."""

    def __init__(self, path: Path | str, device: str = "cpu", batch_size: int = 64, threads: int = 1) -> None:
        self.path = Path(path)
        self.device_request = device
        self.batch_size = batch_size
        self.threads = threads  # torch CPU threads; 0 = leave torch's default (all cores)
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The model's folder name (stored in the collection to catch a changed embedder)."""
        return self.path.name

    @property
    def loaded(self) -> bool:
        """True once the model is in memory."""
        return self._model is not None

    def model(self) -> Any:
        """The loaded SentenceTransformer (loads it on first call). Raises MemoryStoreError."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    device = resolve_device(self.device_request)
                    if device == "cpu" and self.threads > 0:
                        _set_threads(self.threads)
                    key = (str(self.path.resolve()), device)
                    with _CACHE_LOCK:
                        if key not in _CACHE:
                            log.info("loading embedding model %s on %s", self.path, device)
                            _CACHE[key] = _load(self.path, device)
                        self._model = _CACHE[key]
        return self._model

    @property
    def dim(self) -> int:
        """Length of one embedding vector."""
        m = self.model()
        get = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
        return int(get())

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
            vecs = model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        except Exception as exc:
            raise MemoryStoreError(
                f"embedding failed: {type(exc).__name__}: {exc}"[:300], "see the log file"
            ) from None
        return np.asarray(vecs, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        """Rough token count of ``text`` for prompt budgets (4 characters per token)."""
        return max(1, (len(text) + 3) // 4) if text else 0
