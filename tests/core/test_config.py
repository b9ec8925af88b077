"""Config loading: defaults, path resolution, and every kind of bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from jarvis.config import REPO_CONFIG, config_path, load_settings
from jarvis.errors import ConfigError, ModelNotFound


def test_repository_config_is_valid_and_documented():
    s = load_settings(REPO_CONFIG)
    assert s.default_model.name == "qwen-1.5b"
    assert s.default_model.file == (REPO_CONFIG.parent / "models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    assert s.memory.path == REPO_CONFIG.parent / "vectorstore"
    # Every key line in the shipped file is preceded by a comment line.
    lines = REPO_CONFIG.read_text().splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#") and not line.startswith("["):
            prev = lines[i - 1].strip()
            assert prev.startswith("#") or "=" in prev or prev.startswith("[["), f"undocumented: {line}"


def test_relative_paths_resolve_against_config_folder(tmp_path: Path):
    cfg = tmp_path / "sub" / "jarvis.toml"
    cfg.parent.mkdir()
    cfg.write_text('[memory]\npath = "mem"\n[[models]]\nname = "m"\nfile = "m.gguf"\n')
    s = load_settings(cfg)
    assert s.memory.path == cfg.parent / "mem"
    assert s.models[0].file == cfg.parent / "m.gguf"


def test_env_var_and_explicit_path(tmp_path: Path, monkeypatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[llm]\nmax_tokens = 7\n")
    monkeypatch.setenv("JARVIS_CONFIG", str(cfg))
    assert config_path() == cfg
    assert load_settings().llm.max_tokens == 7
    other = tmp_path / "d.toml"
    other.write_text("[llm]\nmax_tokens = 9\n")
    assert load_settings(other).llm.max_tokens == 9


def test_missing_file(tmp_path: Path):
    with pytest.raises(ConfigError) as e:
        load_settings(tmp_path / "nope.toml")
    assert "not found" in e.value.message and "nope.toml" in e.value.message
    assert "JARVIS_CONFIG" in e.value.hint


def test_invalid_toml(tmp_path: Path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[llm\nmax_tokens = 3\n")
    with pytest.raises(ConfigError) as e:
        load_settings(cfg)
    assert "invalid TOML" in e.value.message and str(cfg) in e.value.message


@pytest.mark.parametrize(
    "body, key, found",
    [
        ('[llm]\nmax_tokens = "many"\n', "llm.max_tokens", "'many'"),
        ("[llm]\ntemperature = 9.5\n", "llm.temperature", "9.5"),
        ('[[models]]\nname = "x"\nfile = "x.gguf"\ndifficulty = [80, 10]\n', "models[0].difficulty", "[80, 10]"),
        ('[[models]]\nname = "x"\nfile = "x.gguf"\nspecialties = ["poetry"]\n', "models[0].specialties", "poetry"),
        ('[[models]]\nname = "x"\nbackend = "openai"\n', "models[0]", "openai"),
        ('[audio.vad]\nframe_ms = 25\n', "audio.vad.frame_ms", "25"),
    ],
)
def test_wrong_value_names_file_key_expected_and_found(tmp_path: Path, body: str, key: str, found: str):
    cfg = tmp_path / "c.toml"
    cfg.write_text(body)
    with pytest.raises(ConfigError) as e:
        load_settings(cfg)
    msg = e.value.message
    assert str(cfg) in msg and f"'{key}'" in msg and "expected" in msg and found in msg


def test_unknown_key(tmp_path: Path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[llm]\nmax_tokenz = 3\n")
    with pytest.raises(ConfigError) as e:
        load_settings(cfg)
    assert "unknown key 'llm.max_tokenz'" in e.value.message


def test_unknown_model_lists_valid_names(settings):
    with pytest.raises(ModelNotFound) as e:
        settings.model("gpt-9")
    assert "qwen-0.5b" in e.value.hint and "smollm2-135m" in e.value.hint


def test_duplicate_model_names(tmp_path: Path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[[models]]\nname = "a"\nfile = "a"\n[[models]]\nname = "a"\nfile = "b"\n')
    with pytest.raises(ConfigError) as e:
        load_settings(cfg)
    assert "repeated: a" in e.value.message
