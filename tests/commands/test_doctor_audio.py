"""``jarvis doctor`` says how Jarvis will keep from hearing itself: speakers, echo cancellation, and why."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from devsupport.paths import JARVIS, SMOLLM


def _doctor(env: dict[str, str], tmp: Path, audio: str, *args: str) -> subprocess.CompletedProcess:
    config = tmp / "config.toml"
    config.write_text(
        f'[general]\ndata_dir = "{tmp / "data"}"\n\n[audio]\n{audio}\n\n'
        f'[[models]]\nname = "small"\nfile = "{SMOLLM}"\n'
    )
    return subprocess.run([*JARVIS, "--config", str(config), "doctor", *args], env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize(
    ("audio", "speakers", "guard", "barge_in"),
    [
        ("", "open", "aec", True),  # the default: open speakers, echo cancellation (livekit is installed)
        ('echo_cancel = "off"', "open", "mute", False),
        ('speakers = "headset"', "headset", "none", True),
    ],
)
def test_doctor_json_reports_the_echo_guard(jarvis_env, tmp_path, audio, speakers, guard, barge_in):
    p = _doctor(jarvis_env, tmp_path, audio, "--json")
    assert p.returncode == 0, p.stderr
    rep = json.loads(p.stdout)["audio"]
    assert (rep["speakers"], rep["guard"], rep["barge_in_by_voice"]) == (speakers, guard, barge_in)
    assert rep["aec_available"] is True and rep["aec_problem"] is None
    assert rep["mode"] == "ptt" and rep["notes"] == []


def test_doctor_text_and_the_old_headset_key(jarvis_env, tmp_path):
    p = _doctor(jarvis_env, tmp_path, "headset = true")
    assert p.returncode == 0, p.stderr
    assert "listening (audio)" in p.stdout
    assert "speakers   headset" in p.stdout
    assert "audio.headset is deprecated" in p.stdout  # mapped, and said
    p = _doctor(jarvis_env, tmp_path, 'sample_rate = 22050\necho_cancel = "on"')
    assert p.returncode == 0, p.stderr
    line = next(x for x in p.stdout.splitlines() if x.strip().startswith("echo "))
    assert "mute:" in line and "22050" in line  # why echo cancellation cannot run, on one line
    assert "Traceback" not in p.stdout + p.stderr
