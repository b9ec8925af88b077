"""Memory inside a chat turn: the real Assistant, the real qwen-0.5b model (temperature 0), real ChromaDB.

A remembered fact changes the model's answer; `jarvis ask` in a fresh process recalls it; memories are
withheld from models that leave the machine; a broken store never stops the chat.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devsupport.config import write_config
from devsupport.paths import JARVIS, MODELS
from jarvis.assembly import build
from jarvis.config import load_settings
from jarvis.errors import MemoryStoreError
from jarvis.llm.prompt import memory_block
from jarvis.messages import MemoryHits, Transcript
from jarvis.pipeline.runner import Assistant

EMBEDDER = MODELS / "all-MiniLM-L6-v2"
CLOUD = """
[[models]]
name = "cloud"
backend = "openai"
id = "gpt-4o-mini"
key_env = "OPENAI_API_KEY"

[[models]]
name = "lan-server"
backend = "openai_compatible"
id = "local-model"
base_url = "http://127.0.0.1:9/v1"
"""


def memory_section(store: Path, extra: str = "") -> str:
    return f'enabled = true\npath = "{store}"\nembedder = "{EMBEDDER}"\n{extra}'


def make_config(folder: Path, store: Path, extra_memory: str = "", extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_config(
        folder,
        extra=extra,
        memory=memory_section(store, extra_memory),
        llm='system_prompt = "You are a helpful assistant. Answer briefly."\n'
        "max_tokens = 16\ntemperature = 0.0\nseed = 42\nhistory_tokens = 1024",
    )


def events(assistant: Assistant) -> list[Any]:
    seen: list[Any] = []
    assistant.bus.subscribe(seen.append)
    return seen


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chat") / "vectorstore"


def test_remembered_fact_changes_the_answer(store: Path, tmp_path: Path) -> None:
    settings = load_settings(make_config(tmp_path, store, "store_turns = true"))
    question = "What is my dog's name?"

    with build(settings, memory=False) as plain:
        before = plain.assistant.ask(question).text
    assert "biscuit" not in before.lower()

    with build(settings) as jarvis:
        assistant, memory = jarvis.assistant, jarvis.memory
        assert memory is not None and assistant.memory is memory and assistant.store_turns
        seen = events(assistant)
        fact = memory.add("My dog is called Biscuit")
        after = assistant.ask(question).text
        assert "Biscuit" in after
        hits = [e for e in seen if isinstance(e, MemoryHits)]
        assert len(hits) == 1 and [h.id for h in hits[0].hits][:1] == [fact] and not hits[0].withheld
        turns = [h for h in memory.list(10) if h.metadata.get("kind") == "turn"]
        assert len(turns) == 1 and turns[0].text.startswith(f"User: {question}\nJarvis: ")
        assert turns[0].metadata["source"] == "cli" and turns[0].metadata["model"] == "qwen-0.5b"
        assert turns[0].metadata["session"] == assistant.conversation.path.stem


def test_jarvis_ask_recalls_across_restart(store: Path, tmp_path: Path, jarvis_env: dict) -> None:
    """A fresh `jarvis ask` process finds the fact stored by another process (the previous test's, or here)."""
    config = make_config(tmp_path, store)
    if not store.exists():  # run on its own: store the fact first
        with build(load_settings(config)) as jarvis:
            assert jarvis.memory is not None
            jarvis.memory.add("My dog is called Biscuit")
    env = dict(jarvis_env, JARVIS_CONFIG=str(config))
    out = subprocess.run(
        [*JARVIS, "ask", "--json", "Do you remember what my dog is called?"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "Biscuit" in json.loads(out.stdout)["text"]


def test_memories_are_withheld_from_models_that_leave_the_machine(tmp_path: Path) -> None:
    """Only recall runs here (no reply is generated, so no cloud API is contacted)."""
    for share in (False, True):
        settings = load_settings(
            make_config(tmp_path / f"share-{share}", tmp_path / f"vs-{share}",
                        f"share_with_api = {str(share).lower()}", CLOUD)
        )
        with build(settings) as jarvis:
            assistant, memory = jarvis.assistant, jarvis.memory
            assert memory is not None
            memory.add("My dog is called Biscuit")
            item = Transcript("What is my dog's name?", turn_id=7)
            assistant.set_model("cloud")
            hits = assistant.recall(item, assistant.decide(item.text))
            assert hits.hits and hits.hits[0].text == "My dog is called Biscuit"
            assert hits.withheld is (not share)
            assert ("Biscuit" in memory_block(hits)) is share
            for local in ("qwen-0.5b", "lan-server"):  # loopback servers keep data on this machine
                assistant.set_model(local)
                assert assistant.recall(item, assistant.decide(item.text)).withheld is False


def test_broken_memory_never_stops_the_chat(tmp_path: Path) -> None:
    settings = load_settings(make_config(tmp_path, tmp_path / "vs"))
    broken = settings.memory.model_copy(update={"embedder": tmp_path / "missing-model"})
    settings = settings.model_copy(update={"memory": broken})
    with build(settings) as jarvis:
        assistant, memory = jarvis.assistant, jarvis.memory
        assert memory is not None
        seen = events(assistant)
        done = assistant.ask("Say hello.")
        assert done.text.strip()
        hits = [e for e in seen if isinstance(e, MemoryHits)]
        assert hits and hits[0].error and "embedding model not found" in hits[0].error
        item = Transcript("again", turn_id=99)
        later = assistant.recall(item, assistant.decide(item.text))  # reported once: now quiet, says it is off
        assert later.error and later.error.startswith("long-term memory is off")
        with pytest.raises(MemoryStoreError):
            memory.add("a fact typed with /remember still reports the problem")


def test_stored_turns_are_not_recalled_as_memories(tmp_path: Path) -> None:
    """Jarvis's own past replies never come back as memories of a later turn (unless asked for)."""
    for recall_turns in (False, True):
        settings = load_settings(make_config(tmp_path / f"r{recall_turns}", tmp_path / f"vs-{recall_turns}",
                                             f"store_turns = true\nrecall_turns = {str(recall_turns).lower()}"))
        with build(settings) as jarvis:
            memory = jarvis.memory
            assert memory is not None
            fact = memory.add("My dog is called Biscuit")
            memory.remember_turn("How many legs does an insect have?", "An insect has six legs.")
            hits = memory.recall_for_turn("How many legs does an insect have?").hits
            assert ("turn" in {h.metadata.get("kind") for h in hits}) is recall_turns
            assert fact in [h.id for h in memory.recall_for_turn("What is my dog called?").hits]


def test_store_turns_off_keeps_recall_only(tmp_path: Path) -> None:
    settings = load_settings(make_config(tmp_path, tmp_path / "vs", "store_turns = false"))
    with build(settings) as jarvis:
        assert jarvis.memory is not None and jarvis.assistant.memory is jarvis.memory
        assert not jarvis.assistant.store_turns
    off = settings.model_copy(update={"memory": settings.memory.model_copy(update={"enabled": False})})
    with build(off) as other:
        assert other.memory is None and other.assistant.memory is None
