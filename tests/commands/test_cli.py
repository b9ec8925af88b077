"""The ``jarvis`` command in a subprocess, as a user runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from devsupport.paths import JARVIS


def run(env, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*JARVIS, *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_ask_streams_answer_from_local_model(jarvis_env):
    p = run(jarvis_env, "ask", "What is the capital of France?")
    assert p.returncode == 0, p.stderr
    assert "Paris" in p.stdout
    assert "Traceback" not in p.stderr


def test_ask_json_record(jarvis_env):
    p = run(jarvis_env, "ask", "--json", "--max-tokens", "16", "Say hello.")
    assert p.returncode == 0, p.stderr
    rec = json.loads(p.stdout)
    assert rec["model"] == "qwen-0.5b" and rec["text"]
    assert 0 < rec["tokens"]["completion"] <= 16 and rec["tokens"]["prompt"] > 5
    assert rec["timings"]["time_to_first_token_s"] > 0 and rec["timings"]["total_s"] > 0
    assert rec["remote"] is False


def test_ask_model_flag_and_unknown_model(jarvis_env):
    p = run(jarvis_env, "--model", "smollm2-135m", "ask", "--json", "--max-tokens", "8", "Hi")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["model"] == "smollm2-135m"
    p = run(jarvis_env, "--model", "gpt-9", "ask", "Hi")
    assert p.returncode == 2
    assert p.stderr.startswith("error: unknown model 'gpt-9'") and "hint:" in p.stderr
    assert "Traceback" not in p.stderr


def test_empty_question_exits_2(jarvis_env):
    p = run(jarvis_env, "ask", "   ")
    assert p.returncode == 2 and "empty" in p.stderr and "Traceback" not in p.stderr


def test_config_errors_are_one_clean_message(jarvis_env, tmp_path: Path):
    env = dict(jarvis_env, JARVIS_CONFIG=str(tmp_path / "missing.toml"))
    p = run(env, "doctor")
    assert p.returncode == 2 and "config file not found" in p.stderr and "Traceback" not in p.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[llm]\nmax_tokens = 'lots'\n")
    p = run(jarvis_env, "--config", str(bad), "ask", "hi")
    assert p.returncode == 2 and "llm.max_tokens" in p.stderr and "'lots'" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 2  # error + hint


def test_missing_model_file(jarvis_env, tmp_path: Path):
    cfg = tmp_path / "m.toml"
    cfg.write_text(f'[general]\ndata_dir = "{tmp_path}"\n[[models]]\nname = "ghost"\nfile = "ghost.gguf"\n')
    p = run(dict(jarvis_env, JARVIS_CONFIG=str(cfg)), "ask", "hi")
    assert p.returncode == 2 and "model file not found" in p.stderr and "install.sh" in p.stderr


def test_ctrl_c_stops_ask_and_keeps_the_partial_reply(jarvis_env, config_file: Path):
    proc = subprocess.Popen(
        [*JARVIS, "ask", "--max-tokens", "400", "Write a long story about a lighthouse keeper."],
        env=jarvis_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = proc.stdout.read(20)  # wait until the reply is streaming
    assert first
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "interrupted" in err and "Traceback" not in err
    convs = list((config_file.parent / "data" / "conversations").glob("*.jsonl"))
    lines = [json.loads(x) for x in convs[0].read_text().splitlines()]
    assert lines[-1]["role"] == "assistant" and lines[-1]["interrupted"] is True
    assert lines[-1]["content"].startswith(first.strip()[:5])


def test_doctor_is_truthful_and_never_prints_key_values(jarvis_env):
    env = dict(jarvis_env, OPENAI_API_KEY="sk-test-SECRET-value-123456")
    p = run(env, "doctor", "--json")
    assert p.returncode == 0, p.stderr
    assert "SECRET" not in p.stdout
    rep = json.loads(p.stdout)
    assert rep["keys"] == {"OPENAI_API_KEY": True, "ANTHROPIC_API_KEY": False}
    assert rep["hardware"]["cpu_cores"] == len(os.sched_getaffinity(0))
    assert {m["name"]: m["state"] for m in rep["models"]}["qwen-0.5b"] == "ok"
    assert rep["log_file"].endswith("jarvis.log")
    whats = {r["what"] for r in rep["placement"]}
    assert {"qwen-0.5b", "stt", "embeddings", "tts"} <= whats
    assert rep["voices"] == {"en": "piper en_US-joe-medium", "es": "kokoro ef_dora"}  # which voice speaks what
    p = run(env, "doctor")
    assert "placement" in p.stdout and "SECRET" not in p.stdout
    assert "es   kokoro ef_dora" in p.stdout


def test_models_list_json(jarvis_env):
    p = run(jarvis_env, "models", "list", "--json")
    rows = json.loads(p.stdout)
    assert [r["name"] for r in rows] == ["qwen-0.5b", "smollm2-135m", "qwen-1.5b"]
    assert rows[0]["default"] and rows[0]["present"]


def test_resume_continues_last_conversation(jarvis_env, config_file: Path):
    p = run(jarvis_env, "ask", "--max-tokens", "8", "My name is Ada.")
    assert p.returncode == 0
    time.sleep(1.1)  # conversation files are named by the second
    p = run(jarvis_env, "--resume", "ask", "--max-tokens", "8", "And again.")
    assert p.returncode == 0
    convs = list((config_file.parent / "data" / "conversations").glob("*.jsonl"))
    assert len(convs) == 1
    assert "My name is Ada." in convs[0].read_text() and "And again." in convs[0].read_text()
