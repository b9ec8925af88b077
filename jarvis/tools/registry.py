"""The tool registry: every tool Jarvis may call, by name."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from jarvis.tools.base import Tool, ToolError


class ToolRegistry:
    """Tools by name; MCP servers add and remove theirs as they start and stop."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool) -> None:
        """Register ``tool`` (a later one with the same name replaces it)."""
        self._tools[tool.name] = tool

    def remove_source(self, source: str) -> None:
        """Drop every tool from ``source`` (an MCP server that stopped)."""
        for name in [n for n, t in self._tools.items() if t.source == source]:
            del self._tools[name]

    def get(self, name: str) -> Tool:
        """The tool called ``name``; :class:`ToolError` lists the valid names."""
        tool = self._tools.get(name)
        if tool is None:
            raise ToolError(f"unknown tool '{name}'", f"tools: {', '.join(sorted(self._tools)) or '(none)'}")
        return tool

    def resolve(self, name: str, among: list[str] | None = None) -> str:
        """The registered name a model meant: exact, else the one offered name that contains it or
        that it contains ("reminder" -> "set_reminder"), else the closest spelling; else ``name``."""
        if name in self._tools:
            return name
        import difflib

        offered = among if among is not None else list(self._tools)
        key = name.lower().replace("-", "_").replace(" ", "_")
        near = [n for n in offered if key in n.lower() or n.lower().split(".")[-1] in key]
        if len(near) == 1:
            return near[0]
        close = difflib.get_close_matches(key, offered, n=1, cutoff=0.75)
        return close[0] if close else name

    def names(self) -> list[str]:
        """Every tool name, sorted."""
        return sorted(self._tools)

    def __iter__(self) -> Iterator[Tool]:
        return iter(sorted(self._tools.values(), key=lambda t: t.name))

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def schemas(self, personal: bool = True, request: str | None = None) -> list[dict]:
        """Function schemas for a model.

        ``personal=False`` leaves out tools with personal results; with ``request`` only the tools
        that request may need (:meth:`Tool.is_relevant`).
        """
        from jarvis.tools.clock import plain

        text = plain(request) if request is not None else None
        return [
            t.schema() for t in self
            if (personal or not t.personal) and (text is None or t.is_relevant(text))
        ]
