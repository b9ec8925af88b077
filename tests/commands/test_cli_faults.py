"""Faults a user meets on their own machine (issue 13): each is one clean error or a note, and loses nothing.

Bad input never reaches a model, a file or a traceback; what the user typed is kept (secrets redacted);
what Jarvis writes is private; long work says what it is doing.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devsupport.config import write_config
from devsupport.paths import JARVIS
from devsupport.voicekit import QUESTION, voice_config
from jarvis.cli import main
from jarvis.text import decode_text


def run(env: dict[str, str], *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """The ``jarvis`` command in a subprocess (bytes in, bytes out)."""
    return subprocess.run([*JARVIS, *args], env=env, input=stdin, capture_output=True, timeout=300)


def clean_error(stderr: str) -> bool:
    """One ``error:`` line and one ``hint:`` line, nothing else."""
    lines = stderr.strip().splitlines()
    return len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: ")


def test_binary_stdin_is_refused_and_leaves_no_conversation(jarvis_env, config_file: Path):
    """`head -c 2000 /dev/urandom | jarvis ask` was a traceback plus an empty file that --resume then picked."""
    noise = bytes(range(128, 256)) * 16  # no NUL: refused for being undecodable, not for looking binary
    p = run(jarvis_env, "ask", stdin=noise)
    err = p.stderr.decode()
    assert p.returncode == 2 and clean_error(err), err
    assert "not UTF-8 text" in err
    assert not (config_file.parent / "data" / "conversations").exists()  # no empty conversation file


def test_huge_stdin_is_refused_before_anything_is_stored(config_file: Path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"word " * 300_000)))
    assert main(["--config", str(config_file), "ask"]) == 2
    err = capsys.readouterr().err
    assert clean_error(err) and "larger than 1024 KiB" in err
    assert not (config_file.parent / "data" / "conversations").exists()


def test_a_few_bad_bytes_are_replaced_with_a_note():
    """Latin-1 text with one accent is answered (the user is told); random bytes are not."""
    assert decode_text("What is a café?".encode("latin-1")) == "What is a caf\ufffd?"
    with pytest.raises(Exception, match="not UTF-8 text"):
        decode_text(bytes(range(128, 256)))
    with pytest.raises(Exception, match="NUL"):
        decode_text(b"text\x00more")


@pytest.mark.parametrize("value", ["-5", "0", "ten"])
def test_max_tokens_must_be_a_positive_integer(config_file: Path, capsys, value: str):
    """-5 went to llama.cpp and 0 silently became the config value."""
    assert main(["--config", str(config_file), "ask", "--max-tokens", value, "hi"]) == 2
    err = capsys.readouterr().err
    assert clean_error(err) and "--max-tokens" in err and repr(value) in err
    assert "jarvis ask --help" in err


def test_model_after_the_sub_command_and_unknown_names(jarvis_env):
    p = run(jarvis_env, "ask", "--model", "smollm2-135m", "--json", "--max-tokens", "2", "Hi")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["model"] == "smollm2-135m"
    p = run(jarvis_env, "ask", "--model", "gpt-9", stdin=b"a question that must not be read")
    err = p.stderr.decode()
    assert p.returncode == 2 and clean_error(err)
    assert "unknown model 'gpt-9'" in err and "qwen-0.5b, smollm2-135m, qwen-1.5b" in err
    p = run(jarvis_env, "route", "--model", "smollm2-135m", "--json", "hello")
    assert p.returncode == 0 and json.loads(p.stdout)["model"] == "smollm2-135m"
    p = run(jarvis_env, "--model", "smollm2-135m", "route", "--json", "hello")  # before it, as always
    assert p.returncode == 0 and json.loads(p.stdout)["model"] == "smollm2-135m"


def test_long_question_is_sent_cut_with_a_note_and_kept_whole_and_private(tmp_path: Path, jarvis_env):
    """A question longer than llm.history_tokens reached the model as nothing at all."""
    cfg = write_config(tmp_path, llm="max_tokens = 2\ntemperature = 0.0\nseed = 1\nhistory_tokens = 100")
    env = dict(jarvis_env, JARVIS_CONFIG=str(cfg))
    secret = "my password is hunter2-Blue"
    question = f"{secret}. " + " ".join(f"word{i}" for i in range(1500)) + " What was the first word?"
    p = run(env, "ask", "--json", "--model", "smollm2-135m", stdin=question.encode())
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["tokens"]["prompt"] > 60  # the question was sent (the prompt used to be ~20)
    assert "note: your message is too long for the model's context" in p.stderr.decode()
    data = tmp_path / "data"
    conv = next((data / "conversations").glob("*.jsonl"))
    stored = json.loads(conv.read_text().splitlines()[0])["content"]
    assert "word1499 What was the first word?" in stored and len(stored) > len(question) - 20  # kept whole
    assert "hunter2-Blue" not in conv.read_text() and "[redacted]" in stored  # as `memory add` would
    for path in (conv, data / "metrics.jsonl", data / "logs" / "jarvis.log"):
        assert path.stat().st_mode & 0o777 == 0o600, path
    for folder in (data, data / "conversations", data / "logs"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder


def test_memory_off_is_said_on_stderr(tmp_path: Path, jarvis_env):
    """A missing embedder turned memory off with a line in the log file only."""
    cfg = write_config(tmp_path, memory=f'enabled = true\npath = "{tmp_path / "vs"}"\nembedder = "{tmp_path / "gone"}"')
    p = run(dict(jarvis_env, JARVIS_CONFIG=str(cfg)), "ask", "--model", "smollm2-135m", "--max-tokens", "2", "Hi")
    err = p.stderr.decode()
    assert p.returncode == 0, err
    notes = [line for line in err.splitlines() if line.startswith("note: answering without long-term memory")]
    assert len(notes) == 1 and "embedding model not found" in notes[0], err


def never(*args: object, **kwargs: object) -> None:
    raise AssertionError("the command went on to load models before checking its output path")


def test_voice_ask_checks_the_output_first_and_says_its_progress(tmp_path: Path, jarvis_env, capsys, monkeypatch):
    """The output path was checked after replaying the whole file at real time and answering."""
    cfg = voice_config(tmp_path, llm="max_tokens = 4\ntemperature = 0.0\nseed = 7\nhistory_tokens = 512")
    (tmp_path / "file.txt").write_text("x")
    with monkeypatch.context() as m:
        m.setattr("jarvis.commands.voice_ask.build", never)
        for bad in (tmp_path, tmp_path / "file.txt" / "a.wav"):  # a folder; a path under a file
            assert main(["--config", str(cfg), "ask", "--input", str(QUESTION), "--output", str(bad)]) == 2
            err = capsys.readouterr().err
            assert clean_error(err) and "output file" in err, err
    out = tmp_path / "a.wav"
    p = run(dict(jarvis_env, JARVIS_CONFIG=str(cfg)), "ask", "--input", str(QUESTION), "--output", str(out), "--json")
    err = p.stderr.decode()
    assert p.returncode == 0, err
    assert f"... listening to {QUESTION.name} (3." in err and "replayed at real time" in err
    assert f"... speaking the reply into {out}" in err
    assert json.loads(p.stdout)["output"] == str(out) and out.is_file()


def test_say_checks_the_output_first_and_writes_piece_by_piece(tmp_path: Path, capsys, monkeypatch):
    cfg = voice_config(tmp_path)
    with monkeypatch.context() as m:
        m.setattr("jarvis.tts.VoiceSet", never)
        assert main(["--config", str(cfg), "say", "hello", "-o", str(tmp_path)]) == 2
        assert "is a folder" in capsys.readouterr().err
    text = "First sentence here. Second one, café. " * 6
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("latin-1"))))
    out = tmp_path / "speech.wav"
    assert main(["--config", str(cfg), "say", "-", "-o", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert len(doc["sentences"]) == 12 and doc["audio_s"] > 5
    assert "were not UTF-8 and were replaced" in captured.err
    assert "... speaking 12 pieces into" in captured.err
    assert sorted(p.name for p in tmp_path.glob("*.wav*")) == ["speech.wav"]  # no .part file left


def test_folders_and_junk_given_as_files(tmp_path: Path, config_file: Path, capsys):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(os.urandom(2048).replace(b"\n", b"\r"))
    cases = [
        (["--config", str(tmp_path), "doctor"], "is a folder"),
        (["--config", str(config_file), "stats", "--file", str(tmp_path)], "is a folder"),
        (["--config", str(config_file), "transcribe", str(tmp_path)], "is a folder"),
        (["--config", str(config_file), "transcribe", "x" * 300 + ".wav"], "File name too long"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert clean_error(err) and message in err, (argv, err)
    assert main(["--config", str(config_file), "stats", "--file", str(junk)]) == 0
    assert "unreadable line(s) skipped" in capsys.readouterr().out
