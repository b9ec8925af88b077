"""Timers, alarms and reminders: kept in the data folder (they survive a restart) and rung by a
background thread while Jarvis runs.

A timer that came due while Jarvis was not running rings at the next start, marked as late.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from jarvis.tools.base import Tool, ToolError, ToolResult
from jarvis.tools.clock import local_zone

log = logging.getLogger(__name__)

Kind = Literal["timer", "alarm", "reminder"]
MAX_SECONDS = 366 * 86400


@dataclass(frozen=True)
class Timer:
    """One timer, alarm or reminder; ``due`` is a Unix time."""

    id: int
    kind: Kind
    due: float
    label: str = ""
    created: float = 0.0
    seconds: float = 0.0  # the duration asked for (timers)
    language: str = "en"  # the language it was set in (it rings in that language)

    def describe(self, now: float | None = None) -> str:
        """ "timer 2 'pasta' rings in 4 min 10 s" """
        left = max(0.0, self.due - (time.time() if now is None else now))
        name = f"{self.kind} {self.id}" + (f" '{self.label}'" if self.label else "")
        when = dt.datetime.fromtimestamp(self.due).strftime("%H:%M")
        return f"{name} rings at {when} (in {say_duration(left)})"


def say_duration(seconds: float, lang: str = "en") -> str:
    """ "10 minutes", "1 hour 5 minutes", "45 seconds" (or in Spanish)."""
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    words = {"en": ("hour", "hours", "minute", "minutes", "second", "seconds"),
             "es": ("hora", "horas", "minuto", "minutos", "segundo", "segundos")}[lang if lang == "es" else "en"]
    parts = []
    if h:
        parts.append(f"{h} {words[0] if h == 1 else words[1]}")
    if m:
        parts.append(f"{m} {words[2] if m == 1 else words[3]}")
    if sec or not parts:
        parts.append(f"{sec} {words[4] if sec == 1 else words[5]}")
    return (" y " if lang == "es" else " and ").join(parts) if len(parts) == 2 else " ".join(parts)


class TimerStore:
    """Timers in a JSON file (0600); every change is written at once (atomic rename)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._timers: dict[int, Timer] = {}
        self._next_id = 1
        self._load()

    def _load(self) -> None:
        if not self.path.is_file():
            return
        try:
            rows = json.loads(self.path.read_text(encoding="utf-8"))
            for row in rows:
                t = Timer(**row)
                self._timers[t.id] = t
        except (OSError, ValueError, TypeError) as exc:
            backup = self.path.with_suffix(".bad")
            log.warning("timers file unreadable (%s); kept as %s", exc, backup)
            try:
                self.path.replace(backup)
            except OSError:
                pass
        self._next_id = max(self._timers, default=0) + 1

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump([asdict(t) for t in sorted(self._timers.values(), key=lambda t: t.due)], f)
        tmp.replace(self.path)

    def add(self, kind: Kind, due: float, label: str = "", seconds: float = 0.0, language: str = "en") -> Timer:
        """Store a new timer and return it."""
        with self._lock:
            timer = Timer(self._next_id, kind, due, label.strip(), time.time(), seconds, language)
            self._next_id += 1
            self._timers[timer.id] = timer
            self._save()
            return timer

    def list(self) -> list[Timer]:
        """Pending timers, soonest first."""
        with self._lock:
            return sorted(self._timers.values(), key=lambda t: t.due)

    def cancel(self, which: str) -> list[Timer]:
        """Cancel by id, label, kind ("timer", "alarm", "reminder") or "all"; returns what went."""
        key = which.strip().lower().removeprefix("#")
        with self._lock:
            pending = list(self._timers.values())
            if key in ("all", "todos", "todo", "everything"):
                gone = pending
            elif key.isdigit():
                gone = [t for t in pending if t.id == int(key)]
            elif key in ("timer", "alarm", "reminder"):
                gone = [t for t in pending if t.kind == key]
            else:
                gone = [t for t in pending if t.label.lower() == key] or [
                    t for t in pending if key and key in t.label.lower()
                ]
            if not gone and len(pending) == 1 and key in ("", "it", "the timer", "el temporizador"):
                gone = pending
            for t in gone:
                del self._timers[t.id]
            if gone:
                self._save()
            return gone

    def pop_due(self, now: float | None = None) -> list[Timer]:
        """Remove and return the timers that are due."""
        now = time.time() if now is None else now
        with self._lock:
            due = [t for t in self._timers.values() if t.due <= now]
            for t in due:
                del self._timers[t.id]
            if due:
                self._save()
            return sorted(due, key=lambda t: t.due)


class TimerService:
    """Rings timers: a daemon thread calls ``on_ring(timer, late)`` when one comes due."""

    def __init__(self, store: TimerStore, on_ring: Callable[[Timer, bool], None], tick_s: float = 0.2) -> None:
        self.store = store
        self.on_ring = on_ring
        self.tick_s = tick_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = time.time()

    def start(self) -> TimerService:
        """Start ringing (late timers from before the start ring at once)."""
        if self._thread is None:
            self._started = time.time()
            self._thread = threading.Thread(target=self._run, name="jarvis-timers", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.tick_s):
            for timer in self.store.pop_due():
                try:
                    self.on_ring(timer, timer.due < self._started - 1)
                except Exception:  # pragma: no cover - an observer bug must not stop the clock
                    log.exception("timer observer failed")

    def stop(self) -> None:
        """Stop the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)


def parse_clock_time(text: str, tz_name: str = "", now: dt.datetime | None = None) -> float:
    """The next Unix time at "HH:MM" (24 h, or with am/pm) in the local zone."""
    import re

    m = re.fullmatch(r"\s*(\d{1,2})(?::|\.|h)?(\d{2})?\s*(am|pm|a\.m\.|p\.m\.)?\s*", text.lower())
    if m is None:
        raise ToolError(f"cannot read the time '{text}'", "use HH:MM, e.g. 07:30 or 7:30 pm")
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    ampm = (m.group(3) or "").replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    if ampm == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise ToolError(f"'{text}' is not a time of day", "use HH:MM between 00:00 and 23:59")
    tz = local_zone(tz_name)
    now = now or dt.datetime.now(tz)
    when = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if when <= now:
        when += dt.timedelta(days=1)
    return when.timestamp()


def _seconds(args: dict[str, Any]) -> float:
    total = float(args.get("seconds") or 0) + 60 * float(args.get("minutes") or 0) + 3600 * float(
        args.get("hours") or 0
    )
    if total <= 0:
        raise ToolError("the duration must be more than 0 seconds", "say e.g. ten minutes")
    if total > MAX_SECONDS:
        raise ToolError("that is too long for a timer", "timers last at most a year")
    return total


def _lang(args: dict[str, Any]) -> str:
    """The language the turn was in (the assistant adds ``language`` to timer calls)."""
    return "es" if str(args.get("language") or "") == "es" else "en"


class _TimerTool(Tool):
    side_effects = True
    keywords = (r"\b(timers?|alarms?|remind|reminders?|wake me|countdown|temporizador(es)?|alarmas?|recuerdame|"
                r"recordatorios?|despiertame|minutes?|seconds?|hours?|minutos?|segundos?|horas?)\b")

    def __init__(self, store: TimerStore, timezone: str = "") -> None:
        self.store = store
        self.timezone = timezone


DURATION = {
    "seconds": {"type": "number", "description": "duration in seconds"},
    "minutes": {"type": "number", "description": "duration in minutes"},
    "hours": {"type": "number", "description": "duration in hours"},
}


class SetTimerTool(_TimerTool):
    """Start a countdown timer."""

    name = "set_timer"
    description = "Start a countdown timer for a duration (seconds, minutes and/or hours), with an optional label."
    parameters = {"type": "object", "properties": {**DURATION, "label": {"type": "string"}}}

    def run(self, args: dict[str, Any]) -> ToolResult:
        """Start the timer."""
        secs = _seconds(args)
        timer = self.store.add("timer", time.time() + secs, str(args.get("label") or ""), secs, _lang(args))
        return ToolResult(f"Timer {timer.id} set for {say_duration(secs)}.", {"timer": asdict(timer)})


class SetAlarmTool(_TimerTool):
    """Set an alarm at a time of day."""

    name = "set_alarm"
    description = "Set an alarm at a time of day (HH:MM, 24-hour), with an optional label."
    parameters = {
        "type": "object",
        "properties": {"time": {"type": "string", "description": "HH:MM"}, "label": {"type": "string"}},
        "required": ["time"],
    }

    def run(self, args: dict[str, Any]) -> ToolResult:
        """Set the alarm."""
        due = parse_clock_time(str(args["time"]), self.timezone)
        timer = self.store.add("alarm", due, str(args.get("label") or ""), language=_lang(args))
        when = dt.datetime.fromtimestamp(due).strftime("%H:%M")
        return ToolResult(f"Alarm {timer.id} set for {when}.", {"timer": asdict(timer)})


class SetReminderTool(_TimerTool):
    """Remind the user of something after a duration or at a time."""

    name = "set_reminder"
    description = "Remind the user of something, after a duration (seconds/minutes/hours) or at a time (HH:MM)."
    parameters = {
        "type": "object",
        "properties": {"text": {"type": "string", "description": "what to remind"}, **DURATION,
                       "time": {"type": "string", "description": "HH:MM"}},
        "required": ["text"],
    }

    def run(self, args: dict[str, Any]) -> ToolResult:
        """Set the reminder."""
        text = str(args["text"]).strip()
        if not text:
            raise ToolError("a reminder needs something to remind", "say what to remind you of")
        due = parse_clock_time(str(args["time"]), self.timezone) if args.get("time") else time.time() + _seconds(args)
        timer = self.store.add("reminder", due, text, language=_lang(args))
        return ToolResult(f"I will remind you: {text} ({timer.describe()}).", {"timer": asdict(timer)})


class ListTimersTool(_TimerTool):
    """List pending timers, alarms and reminders."""

    name = "list_timers"
    description = "List the pending timers, alarms and reminders."
    side_effects = False

    def run(self, args: dict[str, Any]) -> ToolResult:
        """List them."""
        timers = self.store.list()
        if not timers:
            return ToolResult("There are no timers, alarms or reminders.", {"timers": []})
        return ToolResult("; ".join(t.describe() for t in timers) + ".", {"timers": [asdict(t) for t in timers]})


class CancelTimerTool(_TimerTool):
    """Cancel timers by id, label, kind or all."""

    name = "cancel_timer"
    description = "Cancel a timer, alarm or reminder: by its number, its label, 'timer'/'alarm'/'reminder', or 'all'."
    parameters = {"type": "object", "properties": {"which": {"type": "string"}}, "required": ["which"]}

    def run(self, args: dict[str, Any]) -> ToolResult:
        """Cancel the matching ones."""
        gone = self.store.cancel(str(args["which"]))
        if not gone:
            raise ToolError(f"no timer matches '{args['which']}'", "list them with 'what timers are set?'")
        names = ", ".join(f"{t.kind} {t.id}" for t in gone)
        return ToolResult(f"Cancelled {names}.", {"cancelled": [asdict(t) for t in gone]})


def timer_tools(store: TimerStore, timezone: str = "") -> list[Tool]:
    """Every timer tool on one store."""
    return [cls(store, timezone) for cls in (SetTimerTool, SetAlarmTool, SetReminderTool, ListTimersTool,
                                             CancelTimerTool)]
