"""``jarvis wake FILE.wav [--json]`` in a subprocess, as a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from devsupport.config import write_config
from devsupport.paths import FIXTURES, JARVIS, MODELS

WAKE = FIXTURES / "wake"
POSITIVE = WAKE / "positive" / "hey-jarvis-01-joe-1.wav"  # "Hey Jarvis, what time is it?"; jarvis ends 1.05 s
LIBRIVOX = FIXTURES / "speech" / "en" / "librivox-0870.wav"


@pytest.fixture
def wake_env(jarvis_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    cfg = write_config(tmp_path, **{"audio.wake": f'model = "{MODELS / "wake" / "hey_jarvis_v0.1.onnx"}"'})
    return dict(jarvis_env, JARVIS_CONFIG=str(cfg))


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*JARVIS, "wake", *args], env=env, capture_output=True, text=True, timeout=120)


def test_prints_each_detection_with_time_and_score(wake_env) -> None:
    p = run(wake_env, str(POSITIVE))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    m = re.match(r"\s*([\d.]+) s\s+score ([\d.]+)", lines[0])
    assert m, p.stdout
    assert 0.8 < float(m.group(1)) < 1.6 and float(m.group(2)) >= 0.5
    assert lines[-1].startswith("1 detection in 2.") and "threshold 0.5" in lines[-1]


def test_json_document(wake_env) -> None:
    p = run(wake_env, str(POSITIVE), "--json", "--threshold", "0.6", "--scores")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["threshold"] == 0.6 and doc["model"] == "hey_jarvis_v0.1.onnx"
    assert len(doc["detections"]) == 1
    hit = doc["detections"][0]
    assert hit["score"] >= 0.6 and 0.8 < hit["time_s"] < 1.6 and hit["sample"] == round(hit["time_s"] * 16000)
    assert len(doc["scores"]) == doc["frames"] and max(doc["scores"]) == doc["max_score"]
    assert "CC BY-NC-SA" in doc["licence"]


def test_speech_without_the_wake_word(wake_env) -> None:
    p = run(wake_env, str(LIBRIVOX), "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["detections"] == [] and doc["max_score"] < 0.5
    assert run(wake_env, str(LIBRIVOX)).stdout.startswith("0 detections in 7.1 s")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.wav", None, "audio file not found"),
        ("notes.wav", b"this is not audio", "cannot read notes.wav as a WAV file"),
    ],
)
def test_bad_file_is_a_clean_error(wake_env, tmp_path: Path, name: str, content: bytes | None, expected: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    p = run(wake_env, str(path))
    assert p.returncode == 2
    assert p.stderr.startswith(f"error: {expected}") and "hint:" in p.stderr
    assert "Traceback" not in p.stderr


def test_missing_model_is_a_clean_error(jarvis_env, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, **{"audio.wake": f'model = "{tmp_path / "gone.onnx"}"'})
    p = run(dict(jarvis_env, JARVIS_CONFIG=str(cfg)), str(POSITIVE))
    assert p.returncode == 2
    assert p.stderr.startswith("error: wake-word model not found") and "install.sh" in p.stderr
    assert "Traceback" not in p.stderr
    p = run(jarvis_env, str(POSITIVE), "--threshold", "1.5")
    assert p.returncode == 2 and "threshold between 0 and 1" in p.stderr
