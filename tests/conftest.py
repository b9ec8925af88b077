"""Shared fixtures: a config file in a temp folder that uses the real embedded models.

The whole session runs with ``HOME`` (and the XDG folders) in a temp folder of its own, set before
anything imports Jarvis: a test that forgets to point ``data_dir`` somewhere (or a subprocess it
starts) writes there, never into the user's real ``~/.local/share/jarvis`` or ``~/.config``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

REAL_HOME = Path.home()
TEST_HOME = Path(tempfile.mkdtemp(prefix="jarvis-test-home-"))
os.environ["HOME"] = str(TEST_HOME)
for _var, _sub in (("XDG_DATA_HOME", ".local/share"), ("XDG_CONFIG_HOME", ".config"),
                   ("XDG_STATE_HOME", ".local/state")):
    os.environ[_var] = str(TEST_HOME / _sub)

import pytest  # noqa: E402

from devsupport import pulse  # noqa: E402
from devsupport.config import write_config  # noqa: E402
from devsupport.paths import FIXTURES, MODELS, ROOT  # noqa: E402


def pytest_unconfigure(config) -> None:
    """The session's home folder goes with it."""
    shutil.rmtree(TEST_HOME, ignore_errors=True)


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
