"""The package's import graph, checked against named contracts, and no module imports itself in a circle.

The layers, bottom to top (the way import-linter states them, written out here):

- **ground floor** (root modules that know no engine: settings, errors, messages, text and language,
  metrics and history files, hardware, model assets, the ONNX session helper ...);
- **senses** (``audio``, ``stt``, ``tts``) and **brain** (``llm``, ``memory``, ``tools``, ``tutor``):
  the engines, each side knowing nothing of the other;
- **pipeline**: the stages and the assistant that join senses and brain;
- **top**: what builds, switches and shows Jarvis (``assembly``, ``profiles``, ``cli``, ``commands``,
  ``ui``) and the install-time GPU check (``gpu_check``, an entry point that runs each engine).

Every import counts, also those inside functions and under ``TYPE_CHECKING``, and a registry's
``"jarvis.x.y:Class"`` string: a lazy import is still a dependency a reader has to follow. A
contract may list an exception (importer, imported) with a one-line reason; there are none, and an
exception that no longer happens fails the test, so the list cannot go stale.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "jarvis"
REGISTRY_STRING = re.compile(r"^(jarvis(?:\.\w+)+):\w+$")

GROUND = tuple(
    f"jarvis.{name}"
    for name in (
        "assets", "config", "cuda", "difficulty_bands", "errors", "gguf", "gpu_plan", "hardware", "heap",
        "history", "hub", "language", "logs", "messages", "metrics", "notices", "onnx_session", "private",
        "profile_spec", "redact", "resources", "text",
    )
)
SENSES = ("jarvis.audio", "jarvis.stt", "jarvis.tts")
BRAIN = ("jarvis.llm", "jarvis.memory", "jarvis.tools", "jarvis.tutor")
PIPELINE = ("jarvis.pipeline",)
TOP = (
    "jarvis.assembly", "jarvis.profiles", "jarvis.cli", "jarvis.__main__", "jarvis.commands", "jarvis.ui",
    "jarvis.gpu_check",
)
LAYERS = {"ground floor": GROUND, "senses": SENSES, "brain": BRAIN, "pipeline": PIPELINE, "top": TOP}


@dataclass(frozen=True)
class Import:
    """One import statement's edge: ``importer`` imports ``imported`` at ``path:line``."""

    importer: str
    imported: str
    path: str
    line: int


@dataclass(frozen=True)
class Contract:
    """Modules under ``sources`` never import modules under ``forbidden``.

    An import inside one package (``jarvis.tts.voices`` -> ``jarvis.tts.base``) never breaks a
    contract, so listing the same packages as sources and forbidden states their independence.
    ``exceptions`` maps ``"importer -> imported"`` to the reason it is allowed.
    """

    name: str
    sources: tuple[str, ...]
    forbidden: tuple[str, ...]
    exceptions: Mapping[str, str] = field(default_factory=dict)

    def broken_by(self, edges: Iterable[Import]) -> list[Import]:
        """The imports in ``edges`` that break this contract (exceptions left out)."""
        return [
            e for e in edges
            if (source := owner(e.importer, self.sources))
            and owner(e.imported, self.forbidden) not in (None, source)
            and f"{e.importer} -> {e.imported}" not in self.exceptions
        ]

    def stale_exceptions(self, edges: Iterable[Import]) -> list[str]:
        """The listed exceptions no import in ``edges`` needs any more."""
        seen = {f"{e.importer} -> {e.imported}" for e in edges}
        return sorted(set(self.exceptions) - seen)

    def report(self, edges: Iterable[Import]) -> str:
        """Empty when the contract holds, else a message naming it and each offending import."""
        edges = list(edges)
        broken = self.broken_by(edges)
        stale = self.stale_exceptions(edges)
        if not broken and not stale:
            return ""
        lines = [f"contract broken: {self.name} ({len(broken)} import(s))"]
        lines += [f"  {e.path}:{e.line}: {e.importer} imports {e.imported}" for e in broken]
        lines += [f"  exception no longer needed, remove it: {s}" for s in stale]
        return "\n".join(lines)


def independent(name: str, packages: tuple[str, ...]) -> Contract:
    """A contract that no package of ``packages`` imports another one."""
    return Contract(name, packages, packages)


CONTRACTS = (
    Contract("(a) the ground floor never imports an engine, the pipeline or the top",
             GROUND, (*SENSES, *BRAIN, *PIPELINE, *TOP)),
    Contract("(b) the senses never import the brain", SENSES, BRAIN),
    Contract("(b) the brain never imports the senses", BRAIN, SENSES),
    independent("(b) the senses are independent of each other", SENSES),
    Contract("(b) the model layer never imports tools or the tutor (tools are called by the pipeline)",
             ("jarvis.llm",), ("jarvis.tools", "jarvis.tutor")),
    Contract("(b) memory is the brain's floor: it never imports llm, tools or tutor",
             ("jarvis.memory",), ("jarvis.llm", "jarvis.tools", "jarvis.tutor")),
    Contract("(c) senses and brain never import the pipeline or the top", (*SENSES, *BRAIN), (*PIPELINE, *TOP)),
    Contract("(d) the pipeline never imports the top", PIPELINE, TOP),
    Contract("the composition root never imports the commands, the CLI or the UI",
             ("jarvis.assembly", "jarvis.profiles"), ("jarvis.cli", "jarvis.__main__", "jarvis.commands", "jarvis.ui")),
    Contract("the UI never imports the commands or the CLI", ("jarvis.ui",), ("jarvis.cli", "jarvis.commands")),
)


def under(module: str, prefix: str) -> bool:
    """``module`` is ``prefix`` or inside it."""
    return module == prefix or module.startswith(prefix + ".")


def owner(module: str, prefixes: Iterable[str]) -> str | None:
    """The entry of ``prefixes`` that ``module`` falls under, if any."""
    return next((p for p in prefixes if under(module, p)), None)


def module_name(path: Path, package: Path = PACKAGE) -> str:
    """``jarvis/tts/voices.py`` -> ``jarvis.tts.voices`` (a package's ``__init__`` is the package)."""
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of ``package`` by dotted name."""
    return {module_name(p, package): p for p in package.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> list[Import]:
    """The jarvis modules ``path`` imports, wherever the import stands (``from a.b import c`` names
    a.b.c when that is a module)."""
    found: list[Import] = []
    where = str(path.relative_to(PACKAGE.parent)) if path.is_relative_to(PACKAGE.parent) else str(path)

    def add(target: str, line: int) -> None:
        if target in known and target != name:
            found.append(Import(name, target, where, line))

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                add(sub if sub in known else node.module, node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if m := REGISTRY_STRING.match(node.value):
                add(m.group(1), node.lineno)
    return found


def all_imports(package: Path = PACKAGE) -> list[Import]:
    """Every import edge between the modules of ``package``."""
    mods = modules(package)
    known = set(mods)
    return [edge for name, path in sorted(mods.items()) for edge in imports_of(name, path, known)]


def graph(edges: Iterable[Import]) -> dict[str, set[str]]:
    """Importer -> the modules it imports."""
    out: dict[str, set[str]] = {}
    for e in edges:
        out.setdefault(e.importer, set()).add(e.imported)
    return out


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


@pytest.fixture(scope="module")
def edges() -> list[Import]:
    """The real package's import edges, read once."""
    return all_imports()


def test_every_module_sits_in_exactly_one_layer():
    """A new module must be placed in a layer, or no contract would see it."""
    placed = {m: [layer for layer, prefixes in LAYERS.items() if owner(m, prefixes)] for m in modules()}
    unplaced = sorted(m for m, layers in placed.items() if len(layers) != 1 and m != "jarvis")
    assert unplaced == [], f"place these in one of {list(LAYERS)} in {__file__}: {unplaced}"


def test_no_import_circles(edges: list[Import]):
    assert circles(graph(edges)) == []


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.name)
def test_contract_holds(contract: Contract, edges: list[Import]):
    report = contract.report(edges)
    assert not report, report


def test_a_bad_graph_breaks_the_contracts_with_file_and_line():
    """The checker can fail: a synthetic graph with an upward, a sideways and an allowed import."""
    bad = [
        Import("jarvis.history", "jarvis.memory.redact", "jarvis/history.py", 23),
        Import("jarvis.audio.turn_end", "jarvis.tts.base", "jarvis/audio/turn_end.py", 20),
        Import("jarvis.tts.voices", "jarvis.tts.base", "jarvis/tts/voices.py", 18),  # inside one package
        Import("jarvis.pipeline.runner", "jarvis.llm.router", "jarvis/pipeline/runner.py", 5),  # downward
    ]
    ground = CONTRACTS[0]
    assert ground.report(bad) == (
        "contract broken: (a) the ground floor never imports an engine, the pipeline or the top (1 import(s))\n"
        "  jarvis/history.py:23: jarvis.history imports jarvis.memory.redact"
    )
    senses = independent("senses apart", SENSES)
    assert senses.report(bad) == (
        "contract broken: senses apart (1 import(s))\n"
        "  jarvis/audio/turn_end.py:20: jarvis.audio.turn_end imports jarvis.tts.base"
    )
    allowed = Contract("senses apart", SENSES, SENSES, {"jarvis.audio.turn_end -> jarvis.tts.base": "reason"})
    assert allowed.report(bad) == ""
    stale = Contract("senses apart", SENSES, SENSES, {"jarvis.stt.base -> jarvis.tts.base": "reason"})
    assert "exception no longer needed, remove it: jarvis.stt.base -> jarvis.tts.base" in stale.report(bad)
    assert [c.name for c in CONTRACTS if c.report(bad)] == [
        "(a) the ground floor never imports an engine, the pipeline or the top",
        "(b) the senses are independent of each other",
    ]
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_lazy_imports_and_registry_strings_count(tmp_path: Path):
    """Imports inside functions, under TYPE_CHECKING and as "module:Class" strings are all read."""
    package = tmp_path / "jarvis"
    (package / "tts").mkdir(parents=True)
    for name in ("__init__.py", "history.py", "tts/__init__.py", "tts/base.py", "tts/kokoro.py"):
        (package / name).write_text("")
    (package / "history.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from jarvis.tts.base import Voice\n"
        "def speak():\n"
        "    import jarvis.tts\n"
        'ENGINES = {"kokoro": "jarvis.tts.kokoro:Kokoro"}\n',
        encoding="utf-8",
    )
    mods = modules(package)
    found = {(e.imported, e.line) for e in imports_of("jarvis.history", package / "history.py", set(mods))}
    assert found == {("jarvis.tts.base", 3), ("jarvis.tts", 5), ("jarvis.tts.kokoro", 6)}


def test_real_edges_are_read(edges: list[Import]):
    """The walker sees the real package (a silent walker would pass every contract)."""
    real = graph(edges)
    assert "jarvis.assembly" in real["jarvis.commands.core"]
    assert "jarvis.pipeline.runner" in real["jarvis.assembly"]
    assert "jarvis.llm.llama_cpp_backend" in real["jarvis.llm.registry"]  # a registry string
    assert len(edges) > 300
