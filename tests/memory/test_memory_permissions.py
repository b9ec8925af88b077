"""Memories are private: the store folder is 0700 and every file in it 0600 after a memory is added,
also for a store that an older version (or git) left open to others. Real ChromaDB, real embedder.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from devsupport.paths import MODELS
from jarvis.config import MemorySettings
from jarvis.memory.service import MemoryService

EMBEDDER = MODELS / "all-MiniLM-L6-v2"


def modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def test_an_open_store_is_made_private_and_stays_private(tmp_path: Path) -> None:
    store = tmp_path / "vectorstore"
    store.mkdir(mode=0o755)
    store.chmod(0o755)  # as git checks it out
    (store / "README.md").write_text("memories live here\n")
    (store / "README.md").chmod(0o644)
    service = MemoryService(MemorySettings(path=store, embedder=EMBEDDER), session="perm")
    try:
        service.add("My bank PIN is a secret I keep.")
        opened = modes(store)
    finally:
        service.close()
    closed = modes(store)
    for seen in (opened, closed):
        assert len(seen) > 2  # ChromaDB wrote its files
        for name, mode in seen.items():
            is_dir = name == "." or (store / name).is_dir()
            assert mode == (0o700 if is_dir else 0o600), (name, oct(mode))
