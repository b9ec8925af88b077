"""Shared fixtures: a config file in a temp folder that uses the real embedded models."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
FIXTURES = ROOT / "tests" / "fixtures"

SMOLLM = MODELS / "smollm2-135m-instruct-q4_1.gguf"
QWEN_05 = MODELS / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
QWEN_15 = MODELS / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


def write_config(folder: Path, extra: str = "", default: str = "qwen-0.5b", **sections: str) -> Path:
    """Write a test config.toml into ``folder``: real models, data in ``folder``, features off.

    ``sections`` replaces a whole section body, e.g. ``memory='enabled = true'``.
    """
    body = {
        "general": f'data_dir = "{folder / "data"}"',
        "llm": 'system_prompt = "You are a helpful assistant. Answer briefly."\n'
        "max_tokens = 48\ntemperature = 0.0\nseed = 42\nhistory_tokens = 1024",
        "router": "enabled = false",
        "memory": "enabled = false",
        "tts": "enabled = false",
    }
    body.update(sections)
    text = "".join(f"[{name}]\n{content}\n\n" for name, content in body.items())
    for name, path, ctx in (
        ("qwen-0.5b", QWEN_05, 2048),
        ("smollm2-135m", SMOLLM, 2048),
        ("qwen-1.5b", QWEN_15, 2048),
    ):
        text += (
            f'[[models]]\nname = "{name}"\nbackend = "llama_cpp"\nfile = "{path}"\n'
            f'memory_mb = 600\ncontext = {ctx}\ndefault = {"true" if name == default else "false"}\n\n'
        )
    path = folder / "config.toml"
    path.write_text(text + extra)
    return path


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A valid config in a temp folder (features off, small replies)."""
    return write_config(tmp_path)


@pytest.fixture
def settings(config_file: Path):
    """Settings loaded from :func:`config_file`."""
    from jarvis.config import load_settings

    return load_settings(config_file)


@pytest.fixture
def jarvis_env(config_file: Path) -> dict[str, str]:
    """Environment for running the ``jarvis`` command in a subprocess against the test config."""
    env = dict(os.environ)
    env["JARVIS_CONFIG"] = str(config_file)
    env.pop("OPENAI_API_KEY", None)
    env.pop("ANTHROPIC_API_KEY", None)
    env["PYTHONPATH"] = str(ROOT)
    return env


JARVIS = [sys.executable, "-m", "jarvis"]


def pytest_sessionstart(session) -> None:
    """The suite runs against the real models and virtual audio devices: refuse to start without them.

    (Some modules skip when a part is missing so they can be run alone on a partial set-up; a full
    run must not turn a broken install into silent skips.)
    """
    import shutil

    from jarvis.assets import check_assets

    missing = [a["name"] for a in check_assets(MODELS) if a["state"] != "ok"]
    tools = [t for t in ("pulseaudio", "paplay", "parec", "pacat") if shutil.which(t) is None]
    if missing or tools or not FIXTURES.is_dir():
        raise pytest.UsageError(
            f"incomplete test set-up: models {missing or 'ok'}, audio tools missing {tools or 'none'}, "
            f"fixtures {'ok' if FIXTURES.is_dir() else 'missing at ' + str(FIXTURES)}; run ./install.sh --dev"
        )
