"""Importing the core loads no Textual and no heavy library (they load inside their backends)."""

from __future__ import annotations

import json
import subprocess
import sys

CORE = [
    "jarvis.config",
    "jarvis.errors",
    "jarvis.messages",
    "jarvis.hardware",
    "jarvis.history",
    "jarvis.assets",
    "jarvis.resources",
    "jarvis.logs",
    "jarvis.pipeline.runner",
    "jarvis.pipeline.stage",
    "jarvis.llm.pool",
    "jarvis.llm.registry",
    "jarvis.llm.llama_cpp_backend",
]
OPTIONAL_CORE = [
    "jarvis.llm.router",
    "jarvis.metrics",
    "jarvis.memory.service",
    "jarvis.pipeline.voice",
    "jarvis.stt",
    "jarvis.tts.voices",
    "jarvis.tts.chunker",
]
HEAVY = ["textual", "llama_cpp", "faster_whisper", "ctranslate2", "chromadb", "torch", "sentence_transformers",
         "onnxruntime", "sounddevice", "openai", "anthropic", "piper", "kokoro_onnx"]

SCRIPT = """
import importlib, json, sys
mods = json.loads(sys.argv[1])
for m in mods:
    try:
        importlib.import_module(m)
    except ModuleNotFoundError as e:
        if e.name != m:
            raise
print(json.dumps(sorted(k for k in sys.modules if k.split('.')[0] in json.loads(sys.argv[2]))))
"""


def test_core_imports_nothing_heavy():
    p = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(CORE + OPTIONAL_CORE), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(p.stdout)
    assert loaded == [], f"core imported heavy modules: {loaded}"


def test_cli_parser_builds_without_heavy_imports():
    code = "import jarvis.cli as c, sys, json; c.build_parser(); print(json.dumps(sorted(sys.modules)))"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    mods = set(json.loads(p.stdout))
    assert not {m for m in mods if m.split(".")[0] in HEAVY}
