"""Timers kept like a small database: one writer at a time across processes, bad rows set aside one
by one, impossible durations refused before anything is stored, alarms said in the configured zone."""

import datetime as dt
import fcntl
import json
import logging
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from jarvis.messages import ToolCall
from jarvis.tools.base import ToolError
from jarvis.tools.executor import ToolExecutor
from jarvis.tools.registry import ToolRegistry
from jarvis.tools.timers import (
    ListTimersTool,
    SetAlarmTool,
    SetReminderTool,
    SetTimerTool,
    TimerService,
    TimerStore,
    timer_tools,
)

ROOT = Path(__file__).resolve().parents[2]

# One "jarvis tools call set_timer" each: the store is opened first (as a TUI or a CLI does), then all
# of them set their timer at the same moment.
SET_ONE = """
import os, sys, time
from pathlib import Path
from jarvis.tools.timers import SetTimerTool, TimerStore
store = TimerStore(Path(sys.argv[1]))
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
print(SetTimerTool(store).run({"seconds": 60}).data["timer"]["id"])
"""


def rows(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_eight_processes_setting_a_timer_at_once_leave_eight_timers_with_eight_ids(tmp_path):
    path, go = tmp_path / "timers.json", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", SET_ONE, str(path), str(go)], env=env, cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    time.sleep(1.0)  # let them all open the store
    go.touch()
    said = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        said.append(int(out.strip()))
    stored = [r["id"] for r in rows(path)]
    assert len(stored) == 8 and sorted(stored) == sorted(said)
    assert len(set(said)) == 8
    assert sorted(t.id for t in TimerStore(path).list()) == sorted(said)


def test_a_store_held_open_does_not_overwrite_a_timer_set_elsewhere(tmp_path):
    path = tmp_path / "timers.json"
    tui = TimerStore(path)  # the TUI opened its store at start
    SetTimerTool(TimerStore(path)).run({"minutes": 5, "label": "from the command line"})
    SetTimerTool(tui).run({"minutes": 10, "label": "from the tui"})
    labels = sorted(r["label"] for r in rows(path))
    assert labels == ["from the command line", "from the tui"]
    assert sorted(t.label for t in tui.list()) == labels
    assert len({r["id"] for r in rows(path)}) == 2
    tui.cancel("from the command line")  # the TUI can cancel what it did not set
    assert [r["label"] for r in rows(path)] == ["from the tui"]


GOOD = {"id": 7, "kind": "timer", "due": 0.0, "label": "good", "created": 0.0, "seconds": 60.0, "language": "en"}
BAD_ROWS = [
    {**GOOD, "id": "a", "label": "letter id"},
    {**GOOD, "id": 8, "due": "soon", "label": "text due"},
    {**GOOD, "id": 9, "kind": "nap", "label": "unknown kind"},
    {"id": 10, "kind": "timer"},  # fields missing
    "not a row",
    {**GOOD, "id": 11, "due": float("nan"), "label": "nan due"},
    {**GOOD, "id": 12, "seconds": float("inf"), "label": "inf seconds"},
]


def write_rows(path: Path, good_due: float) -> None:
    path.write_text(json.dumps([*BAD_ROWS, {**GOOD, "due": good_due}]), encoding="utf-8")


def test_bad_rows_are_set_aside_one_by_one_and_the_good_ones_stay(tmp_path, caplog):
    path = tmp_path / "timers.json"
    write_rows(path, time.time() + 600)
    with caplog.at_level(logging.WARNING, logger="jarvis.tools.timers"):
        store = TimerStore(path)
        assert [t.label for t in store.list()] == ["good"]
        assert "timer 7 'good'" in ListTimersTool(store).run({}).text
        store.list()  # set aside once, not noted again at every read
    notes = [r.getMessage() for r in caplog.records if "set aside" in r.getMessage()]
    assert len(notes) == len(BAD_ROWS), notes
    assert all("\n" not in n for n in notes)
    aside = [json.loads(line) for line in (tmp_path / "timers.rejected.jsonl").read_text().splitlines()]
    assert len(aside) == len(BAD_ROWS) and all("row" in a and "why" in a for a in aside)
    assert [r["label"] for r in rows(path)] == ["good"]  # the file itself is clean again
    SetTimerTool(store).run({"minutes": 1})
    assert len({t.id for t in store.list()}) == 2


def test_a_bad_row_does_not_stop_the_timer_thread_from_ringing_the_good_ones(tmp_path):
    path = tmp_path / "timers.json"
    write_rows(path, time.time() + 0.3)
    store = TimerStore(path)
    rung, done = [], threading.Event()
    service = TimerService(store, lambda t, late: (rung.append(t), done.set()), tick_s=0.05).start()
    try:
        assert done.wait(5), "the good timer never rang"
        assert [t.label for t in rung] == ["good"]
        tmp = tmp_path / "edited.json"  # a hand edit, saved at once
        tmp.write_text(json.dumps([{**GOOD, "id": 3, "due": "later"},
                                   {**GOOD, "id": 4, "due": time.time() + 0.2, "label": "second"}]))
        tmp.replace(path)
        done.clear()
        assert done.wait(5), "the thread stopped after a bad row written while it ran"
        assert [t.label for t in rung] == ["good", "second"]
        assert service._thread is not None and service._thread.is_alive()
    finally:
        service.stop()


def test_duplicate_ids_in_the_file_are_renumbered_not_lost(tmp_path):
    path = tmp_path / "timers.json"
    path.write_text(json.dumps([{**GOOD, "id": 1, "due": time.time() + 60, "label": "a"},
                                {**GOOD, "id": 1, "due": time.time() + 90, "label": "b"}]))
    timers = TimerStore(path).list()
    assert [t.label for t in timers] == ["a", "b"] and len({t.id for t in timers}) == 2


@pytest.mark.parametrize(
    "bad",
    [{"seconds": float("nan")}, {"seconds": "nan"}, {"minutes": "NaN"}, {"seconds": float("inf")},
     {"hours": "-inf"}, {"seconds": "1e400"}, {"seconds": -1}, {"hours": 1e300}, {"seconds": 60, "minutes": "nan"}],
)
def test_impossible_durations_are_refused_before_anything_is_stored(tmp_path, bad):
    path = tmp_path / "timers.json"
    store = TimerStore(path)
    ex = ToolExecutor(ToolRegistry(timer_tools(store)))
    for name, args in (("set_timer", bad), ("set_reminder", {**bad, "text": "stretch"})):
        use, result = ex.run(ToolCall(name, args))
        assert not use.ok and result is None, use.result
        assert "\n" not in use.result
    assert not path.exists() or rows(path) == []
    assert ListTimersTool(store).run({}).text == "There are no timers, alarms or reminders."
    with pytest.raises(ToolError):
        SetTimerTool(store).run({"seconds": float("nan")})
    with pytest.raises(ToolError):
        store.add("timer", math.nan)


@pytest.fixture
def new_york_clock(monkeypatch):
    """The computer's own zone is New York (far from the configured Tokyo)."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_an_alarm_is_described_in_the_configured_zone(tmp_path, new_york_clock):
    store = TimerStore(tmp_path / "timers.json")
    result = SetAlarmTool(store, "Asia/Tokyo").run({"time": "07:30", "label": "flight"})
    assert "07:30" in result.text, result.text
    assert result.data["timer"]["at"] == "07:30"  # for the instant path's wording
    due = dt.datetime.fromtimestamp(result.data["timer"]["due"], ZoneInfo("Asia/Tokyo"))
    assert (due.hour, due.minute) == (7, 30)
    assert "rings at 07:30" in ListTimersTool(store, "Asia/Tokyo").run({}).text
    reminder = SetReminderTool(store, "Asia/Tokyo").run({"text": "call home", "time": "21:15"})
    assert "21:15" in reminder.text, reminder.text


def test_a_store_locked_too_long_by_another_process_is_a_one_line_error(tmp_path):
    path = tmp_path / "timers.json"
    store = TimerStore(path, lock_timeout_s=0.3)
    fd = os.open(store.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        t0 = time.monotonic()
        with pytest.raises(ToolError) as err:
            SetTimerTool(store).run({"minutes": 1})
        assert time.monotonic() - t0 < 3
        assert "busy" in err.value.message and "\n" not in err.value.message
    finally:
        os.close(fd)
    SetTimerTool(store).run({"minutes": 1})
    assert len(rows(path)) == 1
