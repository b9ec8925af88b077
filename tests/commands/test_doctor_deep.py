"""``jarvis doctor``: a truncated GGUF is "corrupt"; ``--deep`` runs every stage once and times it.

There is no GPU here: the config asks for ``cuda:0`` (the reply model) and ``cuda:1`` (speech
recognition), so the deep check meets the real failures (a CPU build of llama.cpp, no CUDA
driver for CTranslate2), falls back to the CPU, says so, and still measures each stage.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from devsupport.paths import JARVIS, MODELS, SMOLLM


def _doctor(env: dict[str, str], config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*JARVIS, "--config", str(config), "doctor", *args], env=env, capture_output=True,
                          text=True, timeout=600)


def _config(tmp: Path, models: str, extra: str = "") -> Path:
    path = tmp / "config.toml"
    path.write_text(f'[general]\ndata_dir = "{tmp / "data"}"\n{extra}\n{models}')
    return path


def test_truncated_gguf_is_corrupt_and_a_whole_one_ok(jarvis_env: dict[str, str], tmp_path: Path):
    whole = tmp_path / "mine-whole.gguf"
    shutil.copyfile(SMOLLM, whole)
    cut = tmp_path / "mine-cut.gguf"
    with SMOLLM.open("rb") as f:
        cut.write_bytes(f.read(SMOLLM.stat().st_size // 2))
    models = "".join(
        f'[[models]]\nname = "{name}"\nfile = "{path}"\n\n' for name, path in (("whole", whole), ("cut", cut))
    )
    p = _doctor(jarvis_env, _config(tmp_path, models), "--json")
    assert p.returncode == 0, p.stderr
    state = {m["name"]: (m["state"], m["detail"]) for m in json.loads(p.stdout)["models"]}
    assert state["whole"][0] == "ok"
    assert state["cut"][0] == "corrupt" and "truncated" in state["cut"][1] and "MiB missing" in state["cut"][1]


def test_deep_check_runs_each_stage_on_its_device_and_falls_back(jarvis_env: dict[str, str], tmp_path: Path):
    extra = (
        f'[memory]\nenabled = true\npath = "{tmp_path / "vs"}"\nembedder = "{MODELS / "all-MiniLM-L6-v2"}"\n'
        f'[stt]\nmodel = "{MODELS / "whisper-base"}"\ndevice = "cuda:1"\n'
        f'[tts]\npiper_model = "{MODELS / "piper" / "en_US-joe-medium.onnx"}"\n'
        f'kokoro_model = "{MODELS / "kokoro" / "kokoro-v1.0.int8.onnx"}"\n'
        f'kokoro_voices = "{MODELS / "kokoro" / "voices.npz"}"\nkokoro_styles = "{MODELS / "kokoro" / "styles"}"\n'
    )
    models = f'[[models]]\nname = "smol"\nfile = "{SMOLLM}"\ndevice = "cuda:0"\ncontext = 1024\ndefault = true\n'
    p = _doctor(jarvis_env, _config(tmp_path, models, extra), "--deep", "--json")
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    rows = {r["stage"]: r for r in json.loads(p.stdout)["deep"]}
    assert list(rows) == ["llm", "tts", "stt", "embeddings"]
    for r in rows.values():
        assert r["error"] is None, r
        assert r["device"] == "cpu" and r["speed"] > 0 and r["load_s"] > 0
    assert (rows["llm"]["planned"], rows["stt"]["planned"]) == ("cuda:0", "cuda:1")
    assert rows["llm"]["unit"] == "tok/s" and rows["embeddings"]["unit"] == "sentences/s"
    assert rows["llm"]["notes"] == ["smol runs on the CPU instead of cuda:0: llama-cpp-python is built without CUDA"]
    assert rows["stt"]["notes"][0].startswith("speech recognition runs on the CPU instead of cuda:1: ")
    # the voice said the sentence and speech recognition heard it back
    assert "voice pipeline" in rows["stt"]["detail"].lower()
    # the same fallback lines reach stderr once each, as `note: ...`
    notes = [line for line in p.stderr.splitlines() if line.startswith("note: ")]
    assert notes == [f"note: {rows['llm']['notes'][0]}", f"note: {rows['stt']['notes'][0]}"]
