"""The model's cache keeps the conversation: prefilled at start, and a stable prefix across turns.

Real llama.cpp with the embedded SmolLM2. No timing: the test looks at which tokens llama.cpp holds
(its own prefix matching then skips them; `bench/prompt_cache.py` measures what that saves).
"""

from __future__ import annotations

import time

from devsupport.config import write_config
from jarvis.config import load_settings
from jarvis.history import Turn
from jarvis.messages import MemoryHit, MemoryHits
from jarvis.pipeline.runner import Assistant

HISTORY = [
    Turn("user", "Tell me about the old town of Seville and its cathedral."),
    Turn("assistant", "Seville's old town is built around the cathedral and the Giralda tower."),
    Turn("user", "And the river?"),
    Turn("assistant", "The Guadalquivir runs along the old town."),
]


class ChangingMemory:
    """Recalls a different fact every turn (what differs must not spoil the cached prefix)."""

    def __init__(self) -> None:
        self.n = 0

    def recall_for_turn(self, text: str, turn_id: int = 0) -> MemoryHits:
        self.n += 1
        return MemoryHits((MemoryHit(f"m{self.n}", f"Fact number {self.n} about the user.", 0.9),), turn_id=turn_id)

    def remember_turn(self, *args: object, **kwargs: object) -> None:
        return None


def cached(model) -> list[int]:
    return list(model.llm._input_ids[: model.llm.n_tokens])


def common(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def assistant_with_history(folder, llm: str = "") -> Assistant:
    """SmolLM2, a short reply, the conversation above, and a memory that changes every turn."""
    llm = "max_tokens = 4\ntemperature = 0.0\n" + llm
    assistant = Assistant(load_settings(write_config(folder, default="smollm2-135m", llm=llm)))
    for turn in HISTORY:
        assistant.conversation.add(turn)
    assistant.memory = ChangingMemory()
    return assistant


def test_history_is_prefilled_at_start_and_stays_a_prefix(tmp_path):
    assistant = assistant_with_history(tmp_path)
    try:
        assistant.start(preload=True)
        deadline = time.monotonic() + 120
        while not (assistant.pool.resident() and cached(assistant.pool.get("smollm2-135m"))):
            assert time.monotonic() < deadline, "the model was not prefilled"
            time.sleep(0.05)
        model = assistant.pool.get("smollm2-135m")
        time.sleep(0.2)
        history_tokens = sum(model.count_tokens(t.content) for t in HISTORY)
        prefilled = cached(model)
        assert len(prefilled) > history_tokens  # the system prompt and the whole history are in

        assistant.ask("What else is there to see?")
        first = cached(model)
        assert common(prefilled, first) >= len(prefilled) - 8  # all but the generation prompt reused
        assistant.ask("Is it far from Madrid?")
        second = cached(model)
        # The second turn starts with everything up to the first question: the new memories sit
        # just before the newest question, not in the system prompt.
        assert common(first, second) >= len(prefilled) - 8
    finally:
        assistant.shutdown()


def test_memories_in_the_system_prompt_spoil_the_prefix(tmp_path):
    """The check above can fail: with the old placement the prefix breaks inside the system prompt."""
    assistant = assistant_with_history(tmp_path, 'memory_in = "system_prompt"')
    try:
        assistant.start(preload=False)
        assistant.ask("What else is there to see?")  # (not about the user: those need a memory about it)
        model = assistant.pool.get("smollm2-135m")
        first = cached(model)
        assistant.ask("Is it far from Madrid?")
        history_tokens = sum(model.count_tokens(t.content) for t in HISTORY)
        assert common(first, cached(model)) < len(first) - history_tokens  # broke before the history began
    finally:
        assistant.shutdown()
