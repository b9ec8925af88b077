"""The suite never writes under the user's real home: Jarvis's default folders point into the session's."""

from __future__ import annotations

from pathlib import Path

from jarvis.config import USER_CONFIG, GeneralSettings
from tests.conftest import REAL_HOME, TEST_HOME


def test_default_folders_are_the_sessions_not_the_users() -> None:
    assert Path.home() == TEST_HOME != REAL_HOME
    data = GeneralSettings().data_dir.expanduser()
    assert data.is_relative_to(TEST_HOME) and not data.is_relative_to(REAL_HOME / ".local")
    assert USER_CONFIG.is_relative_to(TEST_HOME)
