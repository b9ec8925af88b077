"""A second Jarvis process while another holds the memory folder reads and adds through it.

Real processes, real ChromaDB and the real embedder: the holder opens the folder (and its lock),
this test process opens the same folder and must see and add memories, not fail or run without.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from devsupport.paths import MODELS, ROOT
from jarvis.config import MemorySettings
from jarvis.errors import MemoryStoreError
from jarvis.memory.service import MemoryService
from jarvis.memory.share import RemoteStore, socket_path

EMBEDDER = MODELS / MemorySettings().embedder.name

HOLDER = """
import sys
from pathlib import Path
from jarvis.config import MemorySettings
from jarvis.memory.service import MemoryService
svc = MemoryService(MemorySettings(path=Path({path!r}), embedder=Path({emb!r})), session="holder")
svc.add("My dog is called Rex.")
print("ready", svc.store().__class__.__name__, flush=True)
for line in sys.stdin:  # one query per line: print the best hit
    hits = svc.search(line.strip(), k=1)
    print(hits[0].text if hits else "-", flush=True)
svc.close()
"""


def test_second_process_reads_and_adds_through_the_holder(tmp_path: Path) -> None:
    folder = tmp_path / "vectorstore"
    code = textwrap.dedent(HOLDER.format(path=str(folder), emb=str(EMBEDDER)))
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().split() == ["ready", "ChromaStore"]
        assert socket_path(folder).stat().st_mode & 0o077 == 0  # only this user can connect
        mine = MemoryService(MemorySettings(path=folder, embedder=EMBEDDER), session="second")
        try:
            assert isinstance(mine.store(), RemoteStore)
            assert "Rex" in mine.search("What is my dog's name?", k=1)[0].text  # reads the holder's
            assert mine.add("My sister lives in Lisbon.") is not None  # and writes through it
            assert mine.count() == 2
            with pytest.raises(MemoryStoreError, match="another Jarvis process"):
                mine.store().rebuild(lambda texts: None)
        finally:
            mine.close()
        holder.stdin.write("Where does my sister live?\n")
        holder.stdin.flush()
        assert "Lisbon" in holder.stdout.readline()  # the holder sees the new memory at once
    finally:
        holder.communicate("", timeout=60)
    assert holder.returncode == 0
    assert not socket_path(folder).exists()  # gone with its owner
    alone = MemoryService(MemorySettings(path=folder, embedder=EMBEDDER), session="alone")
    try:  # the folder itself again once the holder is gone, with both memories
        assert not isinstance(alone.store(), RemoteStore) and alone.count() == 2
    finally:
        alone.close()
