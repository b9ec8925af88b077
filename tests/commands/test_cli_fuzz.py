"""Random and hostile input to the ``jarvis`` command: it answers 0 or 2, never a traceback.

argv strings come from a seeded RNG (flags, numbers, odd Unicode, undecodable bytes, paths to
folders, binary files, missing files, names too long for the system); standard input is random
bytes; binary files stand in for WAVs, configs and metrics. Models, voices and the recogniser
point at missing files, so every command fails (or succeeds) in milliseconds: this is about the
command line, not about the models. Most runs are in-process; a few go through a real process.
"""

from __future__ import annotations

import io
import logging
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from devsupport.paths import JARVIS
from jarvis.cli import main

SEED = 1313
RUNS = 150
COMMANDS = [
    ["ask"], ["say"], ["transcribe"], ["route"], ["stats"], ["models", "list"], ["models"], ["doctor"],
    ["memory", "list"], ["memory", "add"], ["memory", "search"], ["memory", "import"], ["memory", "export"],
]
FLAGS = [
    "--json", "--model", "--max-tokens", "--language", "-o", "--output", "--input", "--file", "--session",
    "--last", "-k", "--limit", "--no-memory", "--resume", "--config", "-h", "-",
]
ODD = ["\udcff", "\ud800", "é", "你", "\u202e", " ", "\n", "-", "'", '"', "%s", "{}", "\\", "$(x)", "\t"]


@pytest.fixture()
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Hostile files, and a config whose models are all missing (also the JARVIS_CONFIG fallback)."""
    (tmp_path / "binary.wav").write_bytes(os.urandom(4096))
    (tmp_path / "riff.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(300))
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "folder.wav").mkdir()
    (tmp_path / "binary.toml").write_bytes(os.urandom(2048))
    (tmp_path / "junk.jsonl").write_bytes(os.urandom(4096))
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[general]\ndata_dir = "{tmp_path / "data"}"\n[memory]\nenabled = false\n'
        f'[tts]\npiper_model = "{tmp_path / "no-voice.onnx"}"\nkokoro_model = "{tmp_path / "no-voice.onnx"}"\n'
        f'[stt]\nmodel = "{tmp_path / "no-whisper"}"\n[[models]]\nname = "ghost"\nfile = "ghost.gguf"\n'
    )
    monkeypatch.setenv("JARVIS_CONFIG", str(cfg))
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    names = ("binary.wav", "riff.wav", "empty.wav", "folder.wav", "binary.toml", "junk.jsonl", "missing.wav")
    paths = [str(tmp_path / n) for n in names]
    yield {"config": str(cfg), "paths": paths, "tmp": str(tmp_path)}
    root = logging.getLogger()
    for logger in (root, logging.getLogger("jarvis.notice")):  # main() set up logging into tmp_path
        for h in [h for h in logger.handlers if getattr(h, "_jarvis", False)]:
            logger.removeHandler(h)
            h.close()


def word(rng: random.Random, paths: list[str]) -> str:
    """One random argv string."""
    pick = rng.random()
    if pick < 0.25:
        return rng.choice([*paths, "", "/", "/dev/null", "x" * 300 + ".wav", f"{paths[0]}/under-a-file.wav"])
    if pick < 0.35:
        return str(rng.choice([-5, 0, 1, 3, 10**30, -(10**12)]))
    if pick < 0.5:
        return rng.choice(FLAGS)
    alphabet = [chr(rng.randrange(0x20, 0x2FF)) for _ in range(12)] + ODD
    return "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 6, 60, 5000])))


def argv(rng: random.Random, sandbox: dict[str, str]) -> list[str]:
    """A random command line that always names a sub-command (no argv would open the TUI)."""
    config = rng.choice(sandbox["paths"]) if rng.random() < 0.2 else sandbox["config"]
    front = ["--config", config] + (["--model", word(rng, sandbox["paths"])] if rng.random() < 0.15 else [])
    return front + rng.choice(COMMANDS) + [word(rng, sandbox["paths"]) for _ in range(rng.randrange(0, 5))]


def test_random_argv_and_stdin_in_process(sandbox, capsys, monkeypatch):
    rng = random.Random(SEED)
    for i in range(RUNS):
        args = argv(rng, sandbox)
        data = rng.choice([b"", os.urandom(rng.choice([1, 64, 3000])), "¿qué? café".encode("latin-1"), b"\xff" * 99])
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        code = main(args)  # an exception escaping main() fails the test too
        err = capsys.readouterr().err
        assert code in (0, 2), (i, args, code, err[-500:])
        assert "Traceback" not in err, (i, args, err[-1500:])
        if code == 2:
            assert err.count("error: ") == 1 and "hint: " in err, (i, args, err[-500:])


def test_binary_files_as_wav_config_and_metrics(sandbox, capsys):
    binary, riff, empty, folder, toml, junk, missing = sandbox["paths"]
    cases = [
        ["transcribe", binary], ["transcribe", riff], ["transcribe", empty], ["transcribe", folder],
        ["ask", "--input", binary], ["ask", "--input", riff], ["ask", "--input", missing],
        ["--config", toml, "doctor"], ["--config", binary, "route", "hi"], ["--config", folder, "stats"],
        ["stats", "--file", folder], ["say", "hello", "-o", folder], ["say", "hello", "-o", f"{binary}/x.wav"],
    ]
    for args in cases:
        assert main(args) == 2, args
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: "), (args, err)
    assert main(["stats", "--file", junk]) == 0
    assert "unreadable line(s) skipped" in capsys.readouterr().out


@pytest.mark.parametrize("case", ["stdin", "argv", "config"])
def test_random_input_to_a_real_process(sandbox, case: str):
    """Through a real process: undecodable argv bytes, random stdin, a binary config."""
    rng = random.Random(f"{SEED}-{case}")
    env = {**os.environ, "JARVIS_CONFIG": sandbox["config"]}
    if case == "stdin":
        cmd, data = ["ask"], rng.randbytes(2000)
    elif case == "argv":
        cmd, data = [os.fsdecode(b"route"), os.fsdecode(rng.randbytes(40).replace(b"\x00", b"?"))], b""
    else:
        cmd, data = ["--config", sandbox["paths"][4], "ask", "hi"], b""
    p = subprocess.run([*JARVIS, *cmd], env=env, input=data, capture_output=True, timeout=120)
    err = p.stderr.decode(errors="replace")
    assert p.returncode in (0, 2), err
    assert "Traceback" not in err
