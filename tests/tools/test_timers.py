"""Timers, alarms and reminders: they ring while Jarvis runs, survive a restart, and can be cancelled."""

import json
import stat
import threading
import time

import pytest

from jarvis.tools.base import ToolError
from jarvis.tools.timers import (
    CancelTimerTool,
    ListTimersTool,
    SetAlarmTool,
    SetTimerTool,
    TimerService,
    TimerStore,
    parse_clock_time,
)


def ringer(store):
    rung, done = [], threading.Event()

    def on_ring(timer, late):
        rung.append((timer, late))
        done.set()

    return TimerService(store, on_ring, tick_s=0.05), rung, done


def test_a_timer_rings_after_its_duration(tmp_path):
    store = TimerStore(tmp_path / "timers.json")
    service, rung, done = ringer(store)
    service.start()
    try:
        t0 = time.monotonic()
        SetTimerTool(store).run({"seconds": 0.4, "label": "tea"})
        assert done.wait(5)
        assert time.monotonic() - t0 >= 0.35
        timer, late = rung[0]
        assert (timer.kind, timer.label, late) == ("timer", "tea", False)
        assert store.list() == []  # rung once, then gone
    finally:
        service.stop()


def test_timers_survive_a_restart_and_late_ones_ring_marked(tmp_path):
    path = tmp_path / "timers.json"
    store = TimerStore(path)
    SetTimerTool(store).run({"minutes": 10, "label": "pasta"})
    SetTimerTool(store).run({"seconds": 0.2})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    time.sleep(1.5)  # Jarvis is "closed" while the short one comes due
    reopened = TimerStore(path)
    assert [t.label for t in reopened.list()] == ["", "pasta"]
    service, rung, done = ringer(reopened)
    service.start()
    try:
        assert done.wait(5)
        assert rung[0][1] is True  # late
        assert [t.label for t in reopened.list()] == ["pasta"]
    finally:
        service.stop()
    assert [t.label for t in TimerStore(path).list()] == ["pasta"]  # the rung one is gone for good


def test_list_and_cancel_by_id_label_kind(tmp_path):
    store = TimerStore(tmp_path / "t.json")
    SetTimerTool(store).run({"minutes": 5, "label": "eggs"})
    SetTimerTool(store).run({"minutes": 8})
    SetAlarmTool(store).run({"time": "07:30"})
    assert "timer 1 'eggs'" in ListTimersTool(store).run({}).text
    assert CancelTimerTool(store).run({"which": "eggs"}).data["cancelled"][0]["id"] == 1
    assert [t.kind for t in store.list()] == ["timer", "alarm"]
    CancelTimerTool(store).run({"which": "alarm"})
    CancelTimerTool(store).run({"which": "2"})
    assert store.list() == []
    with pytest.raises(ToolError):
        CancelTimerTool(store).run({"which": "nothing"})


def test_bad_durations_and_times(tmp_path):
    store = TimerStore(tmp_path / "t.json")
    for bad in ({}, {"seconds": 0}, {"seconds": -5}, {"hours": 10_000}):
        with pytest.raises(ToolError):
            SetTimerTool(store).run(bad)
    for bad in ("25:00", "later", "7:75"):
        with pytest.raises(ToolError):
            parse_clock_time(bad)
    assert store.list() == []


def test_a_corrupt_timers_file_is_kept_aside_not_lost(tmp_path):
    path = tmp_path / "timers.json"
    path.write_text("{not json")
    store = TimerStore(path)
    assert store.list() == []
    assert (tmp_path / "timers.bad").read_text() == "{not json"
    store.add("timer", time.time() + 60, "new")
    assert json.loads(path.read_text())[0]["label"] == "new"
