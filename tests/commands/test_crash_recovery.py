"""`kill -9` during a streamed answer: the conversation file stays readable, --resume continues it,
and the memory store opens again (real `jarvis ask` subprocess, real model, real ChromaDB)."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

from devsupport.config import write_config
from devsupport.paths import JARVIS, MODELS
from jarvis.config import MemorySettings, load_settings
from jarvis.history import Conversation
from jarvis.memory.service import MemoryService


def test_sigkill_mid_stream_leaves_conversation_and_memory_usable(jarvis_env, tmp_path: Path):
    emb = MODELS / MemorySettings().embedder.name
    cfg = write_config(tmp_path, memory=f'enabled = true\npath = "{tmp_path / "store"}"\nembedder = "{emb}"')
    env = dict(jarvis_env, JARVIS_CONFIG=str(cfg))
    proc = subprocess.Popen(
        [*JARVIS, "--model", "smollm2-135m", "ask", "--max-tokens", "400",
         "Write a long story about a lighthouse keeper."],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.read(40)  # the reply is streaming: the store is open, the question saved
    assert first.strip()
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    folder = tmp_path / "data" / "conversations"
    files = list(folder.glob("*.jsonl"))
    assert len(files) == 1
    records = [json.loads(line) for line in files[0].read_text().splitlines()]  # every line parses
    assert records[-1]["role"] == "user" and "lighthouse" in records[-1]["content"]
    assert [t.content for t in Conversation.load(files[0]).turns][-1].startswith("Write a long story")

    p = subprocess.run([*JARVIS, "--resume", "--model", "smollm2-135m", "ask", "--max-tokens", "8",
                        "Give it a title."], env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert list(folder.glob("*.jsonl")) == files  # continued, not a new conversation
    turns = Conversation.load(files[0]).turns
    assert [t.role for t in turns[-2:]] == ["user", "assistant"] and turns[-2].content == "Give it a title."
    assert any("lighthouse" in t.content for t in turns[:-2])

    memory = MemoryService(load_settings(cfg).memory, session="after-crash")
    try:  # the killed process's lock died with it: the folder opens and takes new memories
        assert memory.add("My favourite colour is teal.") is not None
        assert "teal" in memory.search("What colour do I like?", k=1)[0].text
    finally:
        memory.close()
