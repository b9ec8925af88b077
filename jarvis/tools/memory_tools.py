"""Memory tools: remember, recall and forget facts by voice ("remember that my sister lives in Valencia")."""

from __future__ import annotations

from typing import Any, Protocol

from jarvis.messages import MemoryHit
from jarvis.tools.base import Tool, ToolError, ToolResult


class Memories(Protocol):
    """The part of :class:`jarvis.memory.MemoryService` these tools use."""

    def add(self, text: str, source: str = "explicit", **kw: Any) -> str | None: ...
    def search(self, query: str, k: int | None = None, min_similarity: float | None = None) -> list[MemoryHit]: ...
    def forget_candidates(self, query_or_id: str, k: int = 5) -> list[MemoryHit]: ...
    def delete(self, ids: list[str]) -> int: ...


class _MemoryTool(Tool):
    personal = True

    def __init__(self, memory: Memories, min_similarity: float | None = None) -> None:
        self.memory = memory
        self._floor = min_similarity

    @property
    def min_similarity(self) -> float:
        """The given floor, else the memory service's (measured for its embedder), else 0.35."""
        if self._floor is not None:
            return self._floor
        floor = getattr(self.memory, "min_similarity", 0.35)
        return float(floor) if isinstance(floor, int | float) else 0.35


class RememberTool(_MemoryTool):
    """Store a fact about the user in long-term memory."""

    name = "remember"
    keywords = r"\b(remember that|don'?t forget|do not forget|note that|recuerda que|no olvides|apunta que)\b"
    description = "Store a fact the user asks you to remember in long-term memory."
    side_effects = True
    parameters = {"type": "object", "properties": {"fact": {"type": "string"}}, "required": ["fact"]}

    def run(self, args: dict[str, Any]) -> ToolResult:
        """Remember ``fact``."""
        fact = str(args["fact"]).strip()
        if not fact:
            raise ToolError("there is nothing to remember", "say the fact to remember")
        new_id = self.memory.add(fact, "explicit")
        if new_id is None:
            return ToolResult(f"I already remember that: {fact}", {"id": None, "fact": fact})
        return ToolResult(f"Remembered: {fact}", {"id": new_id, "fact": fact})


class RecallTool(_MemoryTool):
    """Search long-term memory."""

    name = "recall"
    # recall runs on every turn anyway (the memories go into the prompt): offered only when asked outright
    keywords = r"\b(search (my |your )?memor(y|ies)|what do you (know|remember) about|busca en (mi |tu )?memoria)\b"
    description = "Search long-term memory for facts about the user."
    parameters = {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}

    def run(self, args: dict[str, Any]) -> ToolResult:
        """The best matches for ``query``."""
        hits = self.memory.search(str(args["query"]), k=3, min_similarity=self.min_similarity)
        if not hits:
            return ToolResult("Nothing in memory about that.", {"hits": []})
        return ToolResult("; ".join(h.text for h in hits), {"hits": [{"id": h.id, "text": h.text} for h in hits]})


class ForgetTool(_MemoryTool):
    """Delete memories that match a description (asks first)."""

    name = "forget"
    keywords = r"\b(forget|olvida|olvidate|borra de (tu|la) memoria)\b"
    description = "Delete the memory that best matches a description, when the user asks to forget something."
    side_effects = True
    needs_confirmation = True
    parameters = {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}

    def run(self, args: dict[str, Any]) -> ToolResult:
        """Delete the best match (only one, so a vague request cannot wipe several)."""
        hits = self.memory.forget_candidates(str(args["query"]), k=1)
        if not hits:
            raise ToolError("no memory matches that", "say more of the fact to forget")
        self.memory.delete([hits[0].id])
        return ToolResult(f"Forgot: {hits[0].text}", {"forgotten": hits[0].text})

    def summary(self, args: dict[str, Any]) -> str:
        """The confirmation question names what would go."""
        hits = self.memory.forget_candidates(str(args.get("query", "")), k=1)
        return f"Forget '{hits[0].text}'?" if hits else f"Forget what matches '{args.get('query', '')}'?"
