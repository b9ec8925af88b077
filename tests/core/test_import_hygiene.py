"""Importing the core loads no Textual and no heavy library (they load inside their backends).

The core is every module of the package except the TUI (``jarvis.ui``) and ``python -m jarvis``;
a module that fails to import fails the test.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import jarvis

HEAVY = ["textual", "llama_cpp", "faster_whisper", "ctranslate2", "chromadb", "torch", "sentence_transformers",
         "onnxruntime", "sounddevice", "openai", "anthropic", "piper", "kokoro_onnx"]
CORE = sorted(
    m.name for m in pkgutil.walk_packages(jarvis.__path__, "jarvis.")
    if not m.name.startswith("jarvis.ui") and m.name != "jarvis.__main__"
)

SCRIPT = """
import importlib, json, sys
heavy = set(json.loads(sys.argv[2]))
loaded = {}
for m in json.loads(sys.argv[1]):
    importlib.import_module(m)
    new = sorted(k for k in sys.modules if k.split('.')[0] in heavy and k not in loaded)
    for k in new:
        loaded[k] = m
print(json.dumps(loaded))
"""


def test_the_core_list_is_the_whole_package():
    for name in ("jarvis.assembly", "jarvis.pipeline.voice_graph", "jarvis.memory.service", "jarvis.commands.core"):
        assert name in CORE
    assert not [m for m in CORE if m.startswith("jarvis.ui")]


def test_core_imports_nothing_heavy():
    p = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(CORE), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(p.stdout)
    assert loaded == {}, f"heavy modules imported (module -> first importer): {loaded}"


def test_cli_parser_builds_without_heavy_imports():
    code = "import jarvis.cli as c, sys, json; c.build_parser(); print(json.dumps(sorted(sys.modules)))"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    mods = set(json.loads(p.stdout))
    assert not {m for m in mods if m.split(".")[0] in HEAVY}
