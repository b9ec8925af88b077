"""Shared fixtures: a config file in a temp folder that uses the real embedded models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import pulse
from tests.support.config import write_config
from tests.support.paths import FIXTURES, MODELS, ROOT


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


@pytest.fixture(scope="module")
def server():
    """The test PulseAudio daemon (virtual microphone and speaker); skips where pulseaudio is missing."""
    if pulse.available() is not None:
        pytest.skip(pulse.available())
    return pulse.pulse_server()
