"""``jarvis models pull`` against a local server that speaks the hub's file API (``HF_ENDPOINT``).

The real hub is never contacted: ``tests/support/hub_stub.py`` answers the requests
huggingface_hub makes (tree listing, HEAD with the LFS sha256, ranged GETs from a "CDN").
The file served is the real SmolLM2 GGUF, so the pulled model is loaded and asked a question.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from devsupport.paths import JARVIS, SMOLLM
from jarvis.config import load_settings
from tests.support.gguf_writer import write_gguf
from tests.support.hub_stub import HubStub

REPO = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"
NAME = SMOLLM.name
SMOL_SHA = None


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pull(env: dict[str, str], *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([*JARVIS, "models", "pull", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def hub():
    with HubStub({REPO: {NAME: SMOLLM}}) as stub:
        yield stub


@pytest.fixture
def env(jarvis_env: dict[str, str], tmp_path: Path, hub: HubStub) -> dict[str, str]:
    return dict(jarvis_env, HF_ENDPOINT=hub.url, HF_HOME=str(tmp_path / "hf"), HF_HUB_DISABLE_TELEMETRY="1")


def test_pull_add_and_answer_with_the_pulled_model(env, tmp_path: Path, config_file: Path, hub: HubStub):
    models = tmp_path / "models"
    p = pull(env, REPO, "--dir", str(models), "--add", "--name", "pulled-smol", "--context", "2048")
    assert p.returncode == 0, p.stderr
    assert _sha(models / NAME) == _sha(SMOLLM)
    assert not list((models / ".partial").iterdir())
    assert "llama 0.13B Q4_1, 30 layers" in p.stdout
    assert f"added [[models]] 'pulled-smol' to {config_file}" in p.stdout
    spec = load_settings(config_file).model("pulled-smol")  # the block config.py loads
    assert spec.file == models / NAME and spec.context == 2048 and spec.device == "auto"
    assert 300 < spec.memory_mb < 400 and spec.difficulty == (1, 45)
    # it answers
    a = subprocess.run([*JARVIS, "--model", "pulled-smol", "ask", "--json", "--max-tokens", "8", "Say hi."],
                       env=env, capture_output=True, text=True, timeout=240)
    assert a.returncode == 0, a.stderr
    assert json.loads(a.stdout)["model"] == "pulled-smol"
    # pulling again downloads nothing (the file is there and matches), and --add refuses a second block
    hub.requests.clear()
    again = pull(env, REPO, "--dir", str(models), "--add", "--name", "pulled-smol")
    assert again.returncode == 2 and "already configured" in again.stderr and "--name" in again.stderr
    assert not hub.ranges() and "Traceback" not in again.stderr


def test_without_add_the_block_is_printed_and_nothing_is_written(env, tmp_path: Path, config_file: Path):
    before = config_file.read_text()
    p = pull(env, f"{REPO}/{NAME}", "--dir", str(tmp_path / "m"), "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["name"] == "smollm2-135m-instruct-q4_1" and doc["quantization"] == "Q4_1"
    assert doc["placement"]["device"] == "cpu" and doc["changes"] == []
    assert "[[models]]" in doc["block"] and f'file = "m/{NAME}"' in doc["block"]
    assert config_file.read_text() == before


def test_an_interrupted_pull_resumes_where_it_stopped(env, tmp_path: Path, hub: HubStub):
    models = tmp_path / "models"
    cut = 40 * 1024 * 1024
    hub.cut_after = cut  # the connection drops after 40 MiB, and the hub then answers 503
    first = pull(env, REPO, "--dir", str(models))
    assert first.returncode == 2 and "Traceback" not in first.stderr
    assert "error: the hub answered HTTP 503" in first.stderr and "resumes" in first.stderr
    parts = list((models / ".partial").iterdir())
    assert len(parts) == 1 and parts[0].stat().st_size == cut and not (models / NAME).exists()
    hub.heal()
    second = pull(env, REPO, "--dir", str(models))
    assert second.returncode == 0, second.stderr
    assert f"resuming {NAME} at" in second.stderr
    assert hub.ranges()[-1] == f"bytes={cut}-"  # only the rest was fetched
    assert _sha(models / NAME) == _sha(SMOLLM) and not parts[0].exists()


def test_a_sha256_mismatch_is_refused_and_deleted(env, tmp_path: Path, hub: HubStub):
    hub.wrong_sha = True
    models = tmp_path / "models"
    p = pull(env, REPO, "--dir", str(models), "--add")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "does not match its published sha256" in p.stderr and "deleted" in p.stderr
    assert not (models / NAME).exists() and not list((models / ".partial").iterdir())


def test_offline_is_one_clean_line(jarvis_env, tmp_path: Path):
    with socket.socket() as s:  # a port nothing listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(jarvis_env, HF_ENDPOINT=f"http://127.0.0.1:{port}", HF_HOME=str(tmp_path / "hf"))
    t0 = time.monotonic()
    p = pull(env, REPO, "--dir", str(tmp_path / "m"))
    assert time.monotonic() - t0 < 30
    assert p.returncode == 2 and p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 2, p.stderr
    assert lines[0].startswith(f"error: cannot reach the Hugging Face hub at http://127.0.0.1:{port}")
    assert "offline?" in lines[0] and lines[1].startswith("hint: ")
    assert not (tmp_path / "m" / NAME).exists()


def test_unknown_repo_and_file_are_clean_errors(env, tmp_path: Path):
    p = pull(env, "nobody/NoSuchModel-GGUF", "--dir", str(tmp_path))
    assert p.returncode == 2 and "no model repository 'nobody/NoSuchModel-GGUF'" in p.stderr
    p = pull(env, f"{REPO}/missing-q8_0.gguf", "--dir", str(tmp_path))
    assert p.returncode == 2 and "missing-q8_0.gguf is not a GGUF file in" in p.stderr and NAME in p.stderr
    p = pull(env, "just-a-name", "--dir", str(tmp_path))
    assert p.returncode == 2 and "not a hub model" in p.stderr
    for r in (p,):
        assert "Traceback" not in r.stderr


def test_split_models_are_pulled_whole(jarvis_env, tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    meta = {"general.architecture": "llama", "llama.block_count": 2, "llama.context_length": 4096,
            "llama.embedding_length": 256, "llama.attention.head_count": 4, "split.count": 2}
    one = write_gguf(src / "big-q4_k_m-00001-of-00002.gguf", meta, [("a", (256, 256), "Q8_0")])
    two = write_gguf(src / "big-q4_k_m-00002-of-00002.gguf", {"split.count": 2}, [("b", (256, 128), "Q8_0")])
    other = write_gguf(src / "big-q8_0.gguf", meta, [("a", (256, 256), "Q8_0")])
    files = {f"Q4_K_M/{one.name}": one, f"Q4_K_M/{two.name}": two, other.name: other}
    with HubStub({"someone/Big-GGUF": files}) as stub:
        env = dict(jarvis_env, HF_ENDPOINT=stub.url, HF_HOME=str(tmp_path / "hf"))
        p = pull(env, "someone/Big-GGUF", "--dir", str(tmp_path / "models"), "--json")  # the Q4_K_M one
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert [Path(f).name for f in doc["files"]] == [one.name, two.name]
    assert f'file = "models/{one.name}"' in doc["block"]
    assert os.path.getsize(tmp_path / "models" / two.name) == two.stat().st_size
