"""The repository stands alone: its files name nothing outside it, and a copy of it collects the suite.

A user's clone has no folder beside it and none of the build machine's paths; fixtures the tests
and benches need live in ``tests/fixtures``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devsupport.paths import ROOT

# built from parts, so this file does not name those places itself
PLACES = ("../" + "shared", "/work/" + "main", "/work/" + "shared")
OUTSIDE = re.compile("|".join(re.escape(place) + r"\b" for place in PLACES))


def tracked_files() -> list[Path]:
    """The files git tracks (what a clone has)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail("these checks need git and the repository's .git folder (a clone)")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_no_tracked_file_points_outside_the_repository() -> None:
    offenders = []
    for path in tracked_files():
        if path.suffix in {".wav", ".npy", ".svg", ".bin", ".onnx"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        if OUTSIDE.search(text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def _collected(folder: Path, files: list[str] | None = None) -> int:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *(files or [])],
        cwd=folder, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    found = re.search(r"(\d+) tests? collected", run.stdout)
    assert found, run.stdout[-500:]
    return int(found.group(1))


def test_a_copy_of_the_repository_alone_collects_the_whole_suite(tmp_path: Path) -> None:
    """Only the tracked files, in a folder of their own, plus the models install.sh fetched (linked:
    they are installed, not part of the repository); no .venv, nothing beside it."""
    copy = tmp_path / "jarvis-clone"
    for path in tracked_files():
        if path.is_file():
            target = copy / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    (copy / "models").mkdir(exist_ok=True)
    for installed in (ROOT / "models").iterdir():
        if not (copy / "models" / installed.name).exists():
            (copy / "models" / installed.name).symlink_to(installed)
    tracked_tests = [
        str(p.relative_to(ROOT)) for p in tracked_files() if p.name.startswith("test_") and p.suffix == ".py"
    ]
    assert _collected(copy) == _collected(ROOT, tracked_tests)  # untracked work in progress aside
