"""Embedding backend for any sentence-transformers model folder (all-MiniLM-L6-v2, BGE-M3 on a GPU ...).

torch and sentence_transformers are imported only when a model loads. Nothing is ever downloaded:
the folder must hold a complete model.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from jarvis.errors import MemoryStoreError

log = logging.getLogger(__name__)

KIND = "sentence-transformers"
#: Cosine a memory needs to be recalled, measured for all-MiniLM-L6-v2 (bench/memory_bilingual.py).
MIN_SIMILARITY = 0.35


def is_model_folder(path: Path) -> bool:
    """True when ``path`` looks like a sentence-transformers folder."""
    return (path / "config.json").is_file()


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
    except Exception:  # pragma: no cover - torch missing: load() reports it
        pass


class STModel:
    """A loaded SentenceTransformer with the small interface the Embedder uses."""

    kind = KIND

    def __init__(self, model: Any) -> None:
        self.model = model
        get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(get())
        self.device = str(model.device)

    def encode(self, texts: list[str], batch_size: int) -> Any:
        """L2-normalised float32 vectors, one row per text."""
        return self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


def load(path: Path, device: str, threads: int) -> STModel:
    """Load the folder on ``device`` (``cpu`` or ``cuda:N``). Raises MemoryStoreError."""
    device = resolve_device(device)
    if device == "cpu" and threads > 0:
        _set_threads(threads)
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
        return STModel(SentenceTransformer(str(path), device=device, local_files_only=True))
    except Exception as exc:
        raise MemoryStoreError(
            f"cannot load the embedding model {path.name}: {type(exc).__name__}: {exc}"[:300],
            "check that the folder holds a complete sentence-transformers model (./install.sh repairs it)",
        ) from None
