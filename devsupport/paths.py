"""Where things are: the repository, the embedded models, fixtures, data, the ``jarvis`` command and
the MCP order server."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
FIXTURES = ROOT / "tests" / "fixtures"
DATA = ROOT / "tests" / "data"

SMOLLM = MODELS / "smollm2-135m-instruct-q4_1.gguf"
QWEN_05 = MODELS / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
QWEN_15 = MODELS / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"

JARVIS = [sys.executable, "-m", "jarvis"]
MCP_SERVER = ROOT / "devsupport" / "mcp_server.py"  # run over stdio: python MCP_SERVER
