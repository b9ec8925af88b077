"""The package's import graph: layers only point down, and no module imports itself in a circle.

Every import counts, also those inside functions and under ``TYPE_CHECKING``: a lazy import is
still a dependency a reader has to follow.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "jarvis"

# Lower layers must never import the ones that build or show Jarvis.
TOP = ("jarvis.cli", "jarvis.commands", "jarvis.ui", "jarvis.assembly")
FORBIDDEN = {
    "jarvis.pipeline": TOP,
    "jarvis.llm": (*TOP, "jarvis.tools"),
    "jarvis.tools": (*TOP, "jarvis.pipeline"),
    "jarvis.memory": TOP,
    "jarvis.audio": TOP,
    "jarvis.stt": TOP,
    "jarvis.tts": TOP,
    "jarvis.assembly": ("jarvis.cli", "jarvis.commands", "jarvis.ui"),
    "jarvis.ui": ("jarvis.cli", "jarvis.commands"),
}
for _base in ("config", "errors", "messages", "hardware", "history", "assets", "logs", "resources", "metrics"):
    FORBIDDEN[f"jarvis.{_base}"] = TOP


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The jarvis modules ``path`` imports (``from a.b import c`` names a.b.c when that is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("jarvis"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("jarvis"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in known else node.module)
    return {m for m in found if m in known}


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(path, known) - {name} for name, path in mods.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_no_import_circles():
    assert circles(graph()) == []


def test_lower_layers_never_import_upper_ones():
    upward = []
    for module, targets in graph().items():
        for layer, banned in FORBIDDEN.items():
            if under(module, layer):
                upward += [f"{module} -> {t}" for t in sorted(targets) if any(under(t, b) for b in banned)]
    assert upward == []


def test_the_checker_sees_a_circle_and_an_upward_import():
    """The two checks above must be able to fail."""
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    edges = graph()
    assert "jarvis.assembly" in edges["jarvis.commands.core"]  # real edges are read
    assert "jarvis.pipeline.runner" in edges["jarvis.assembly"]
