"""A test config.toml that uses the real embedded models, with data in a temp folder."""

from __future__ import annotations

from pathlib import Path

from devsupport.paths import MODELS, QWEN_05, QWEN_15, SMOLLM

#: A Spanish tutor profile for a config's ``extra`` (more keys may follow it: they stay in its table).
TUTOR_ES_PROFILE = """
[[profiles]]
name = "tutor-es"
kind = "tutor"
language = "es"
level = "A2"
scenario = "You are a waiter in a small restaurant in Madrid; the learner orders dinner."
"""


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
        "audio.turn": f'model = "{MODELS / "smart-turn" / "smart-turn-v3.2-cpu.onnx"}"',
        "audio.speaker": f'model = "{MODELS / "speaker" / "embedder.int8.onnx"}"',
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
