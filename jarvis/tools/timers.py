"""Timers, alarms and reminders: kept in the data folder (they survive a restart) and rung by a
background thread while Jarvis runs.

A timer that came due while Jarvis was not running rings at the next start, marked as late.

The store is kept like a small database shared by every Jarvis process (a TUI, ``jarvis ask``,
``jarvis tools call``): each change is a read-modify-write done under an exclusive ``flock`` on a side
lock file (``timers.json.lock``), re-reading the file inside the lock, so no process overwrites a
timer another one set, and ids stay unique. A lock file rather than SQLite because the file stays
the plain JSON list it always was (timers set by an older Jarvis still ring, a person can read it),
and the kernel drops a flock when its process dies, so a crash never leaves the store locked.
A row that cannot be a timer is set aside on its own (to ``timers.rejected.jsonl``, with a logged
note) and the others stay; a file that is not JSON at all is kept as ``timers.bad``.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from jarvis.tools.base import Tool, ToolError, ToolResult
from jarvis.tools.clock import find_zone

log = logging.getLogger(__name__)

Kind = Literal["timer", "alarm", "reminder"]
KINDS = ("timer", "alarm", "reminder")
MAX_SECONDS = 366 * 86400
MAX_LABEL = 500  # characters of a label or a reminder's text
MAX_FILE_BYTES = 4 << 20  # a timers file larger than this is not ours: kept aside whole
LATEST = 4_102_444_800.0  # 2100-01-01: a due time after this is a broken row
LOCK_TIMEOUT_S = 5.0


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

    def describe(self, now: float | None = None, tz: dt.tzinfo | None = None) -> str:
        """ "timer 2 'pasta' rings at 18:40 (in 4 minutes 10 seconds)", the time in ``tz`` (else the
        computer's zone)."""
        left = max(0.0, self.due - (time.time() if now is None else now))
        name = f"{self.kind} {self.id}" + (f" '{self.label}'" if self.label else "")
        return f"{name} rings at {clock_time(self.due, tz)} (in {say_duration(left)})"


def clock_time(when: float, tz: dt.tzinfo | None = None) -> str:
    """ "07:30": a Unix time on the clock of ``tz`` (None: the computer's zone)."""
    return dt.datetime.fromtimestamp(when, tz).strftime("%H:%M")


def zone(name: str) -> dt.tzinfo | None:
    """The configured zone (``tools.timezone``), None for the computer's own."""
    return find_zone(name) if name else None


def shown_zone(name: str) -> dt.tzinfo | None:
    """The zone to show times in: the configured one, else (unknown zone) the computer's own."""
    try:
        return zone(name)
    except ToolError as exc:
        log.warning("tools.timezone: %s; times are shown in the computer's zone", exc.message)
        return None


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


def _finite(value: Any, low: float, high: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and (
        low <= value <= high)


def timer_from_row(row: Any) -> Timer:
    """A stored row as a :class:`Timer`; :class:`ValueError` saying what is wrong with it."""
    if not isinstance(row, dict):
        raise ValueError(f"not an object but {type(row).__name__}")
    missing = [k for k in ("id", "kind", "due") if k not in row]
    if missing:
        raise ValueError(f"no {missing[0]}")
    rid = row["id"]
    if not isinstance(rid, int) or isinstance(rid, bool) or not 0 < rid < 10**9:
        raise ValueError(f"id {str(rid)[:20]!r} is not a number from 1")
    if row["kind"] not in KINDS:
        raise ValueError(f"unknown kind {str(row['kind'])[:20]!r}")
    if not _finite(row["due"], 0.0, LATEST):
        raise ValueError(f"due {str(row['due'])[:20]!r} is not a time")
    if not _finite(row.get("created", 0.0), 0.0, LATEST):
        raise ValueError("created is not a time")
    if not _finite(row.get("seconds", 0.0), 0.0, MAX_SECONDS):
        raise ValueError(f"seconds {str(row.get('seconds'))[:20]!r} is not a duration")
    label, language = row.get("label", ""), row.get("language", "en")
    if not isinstance(label, str) or not isinstance(language, str):
        raise ValueError("label or language is not text")
    return Timer(rid, row["kind"], float(row["due"]), label[:MAX_LABEL], float(row.get("created", 0.0)),
                 float(row.get("seconds", 0.0)), language[:8])


class TimerStore:
    """Timers in a JSON file (0600) shared by every Jarvis process; see the module's docstring.

    Every operation re-reads the file under the lock, so what it returns is what the file holds.
    Raises :class:`ToolError` when the lock stays busy for ``lock_timeout_s`` or the file cannot be
    written.
    """

    def __init__(self, path: Path, lock_timeout_s: float = LOCK_TIMEOUT_S) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self.aside_path = path.with_suffix(".rejected.jsonl")
        self.lock_timeout_s = lock_timeout_s
        self._lock = threading.Lock()
        if path.exists():  # set bad rows aside now (noted once), not at the first timer set
            try:
                self.list()
            except ToolError as exc:
                log.warning("timers: %s", exc.one_line())

    # ------------------------------------------------------------------ the file, under the lock
    @contextmanager
    def _locked(self) -> Iterator[None]:
        deadline = time.monotonic() + self.lock_timeout_s
        if not self._lock.acquire(timeout=self.lock_timeout_s):
            raise self._busy()
        try:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as exc:
                raise ToolError(f"cannot open {self.lock_path}: {exc.strerror}",
                                "check the data folder (general.data_dir) can be written") from None
            try:
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() >= deadline:
                            raise self._busy() from None
                        time.sleep(0.01)
                yield
            finally:
                os.close(fd)  # drops the flock
        finally:
            self._lock.release()

    def _busy(self) -> ToolError:
        return ToolError(f"the timers file is busy: another Jarvis held it for {self.lock_timeout_s:g} s",
                         f"try again; if it stays busy, look for a stuck jarvis process ({self.lock_path.name})")

    def _read(self) -> dict[int, Timer]:
        """The timers in the file (call under the lock); bad rows are set aside and the file rewritten."""
        try:
            if self.path.stat().st_size > MAX_FILE_BYTES:
                self._keep_whole_aside(f"larger than {MAX_FILE_BYTES >> 20} MB")
                return {}
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except UnicodeDecodeError:
            self._keep_whole_aside("not UTF-8 text")
            return {}
        except OSError as exc:
            raise ToolError(f"cannot read {self.path}: {exc.strerror}", "check the data folder's permissions") from None
        try:
            rows = json.loads(text)
            if not isinstance(rows, list):
                raise ValueError(f"a JSON {type(rows).__name__}, not a list")
        except (ValueError, RecursionError) as exc:
            self._keep_whole_aside(str(exc)[:100])
            return {}
        timers: dict[int, Timer] = {}
        rejected: list[tuple[Any, str]] = []
        doubled: list[Timer] = []
        for row in rows:
            try:
                timer = timer_from_row(row)
            except ValueError as why:
                rejected.append((row, str(why)))
                continue
            if timer.id in timers:
                doubled.append(timer)
            else:
                timers[timer.id] = timer
        for timer in doubled:  # two rows with one id (a hand edit): both ring, the second gets a new id
            new_id = max(timers) + 1
            log.warning("timers: %s %d is also stored as %d (its id was taken)", timer.kind, timer.id, new_id)
            timers[new_id] = replace(timer, id=new_id)
        if rejected:
            self._set_aside(rejected)
        if rejected or doubled:
            self._write(timers)
        return timers

    def _set_aside(self, rejected: list[tuple[Any, str]]) -> None:
        lines = []
        for row, why in rejected:
            shown = json.dumps(row, default=str)
            log.warning("timers: a row was set aside (%s) into %s: %s", why, self.aside_path.name,
                        shown if len(shown) <= 120 else shown[:119] + "…")
            lines.append(json.dumps({"row": row, "why": why, "at": time.time()}, default=str) + "\n")
        try:
            fd = os.open(self.aside_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as f:
                f.writelines(lines)
        except OSError as exc:  # the note in the log is all there is
            log.warning("timers: cannot write %s: %s", self.aside_path, exc.strerror)

    def _keep_whole_aside(self, why: str) -> None:
        backup = self.path.with_suffix(".bad")
        log.warning("timers file unreadable (%s); kept as %s", why, backup)
        try:
            self.path.replace(backup)
        except OSError:
            pass

    def _write(self, timers: dict[int, Timer]) -> None:
        tmp = self.path.with_suffix(".tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump([asdict(t) for t in sorted(timers.values(), key=lambda t: (t.due, t.id))], f)
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(self.path)
        except OSError as exc:
            raise ToolError(f"cannot save the timers to {self.path}: {exc.strerror}",
                            "check the data folder (general.data_dir) can be written") from None

    # ------------------------------------------------------------------ operations
    def add(self, kind: Kind, due: float, label: str = "", seconds: float = 0.0, language: str = "en") -> Timer:
        """Store a new timer (with an id no other pending timer has) and return it."""
        if kind not in KINDS:
            raise ToolError(f"unknown kind of timer '{str(kind)[:20]}'", "use timer, alarm or reminder")
        if not _finite(due, 0.0, LATEST):
            raise ToolError("that is not a time a timer can ring at", "say a duration or a time of day")
        if not _finite(seconds, 0.0, MAX_SECONDS):
            raise ToolError("that is not a duration a timer can have", "timers last at most a year")
        label = label.strip()
        if len(label) > MAX_LABEL:
            raise ToolError(f"the label is too long ({len(label)} characters)", f"keep it under {MAX_LABEL}")
        with self._locked():
            timers = self._read()
            timer = Timer(max(timers, default=0) + 1, kind, float(due), label, time.time(), float(seconds), language)
            timers[timer.id] = timer
            self._write(timers)
            return timer

    def list(self) -> list[Timer]:
        """Pending timers, soonest first."""
        with self._locked():
            return sorted(self._read().values(), key=lambda t: (t.due, t.id))

    def cancel(self, which: str) -> list[Timer]:
        """Cancel by id, label, kind ("timer", "alarm", "reminder") or "all"; returns what went."""
        key = which.strip().lower().removeprefix("#")
        with self._locked():
            timers = self._read()
            pending = sorted(timers.values(), key=lambda t: (t.due, t.id))
            if key in ("all", "todos", "todo", "everything"):
                gone = pending
            elif key.isdigit():
                gone = [t for t in pending if t.id == int(key)]
            elif key in KINDS:
                gone = [t for t in pending if t.kind == key]
            else:
                gone = [t for t in pending if t.label.lower() == key] or [
                    t for t in pending if key and key in t.label.lower()
                ]
            if not gone and len(pending) == 1 and key in ("", "it", "the timer", "el temporizador"):
                gone = pending
            for t in gone:
                del timers[t.id]
            if gone:
                self._write(timers)
            return gone

    def pop_due(self, now: float | None = None) -> list[Timer]:
        """Remove and return the timers that are due (across processes, each is returned once)."""
        now = time.time() if now is None else now
        with self._locked():
            timers = self._read()
            due = [t for t in timers.values() if t.due <= now]
            for t in due:
                del timers[t.id]
            if due:
                self._write(timers)
            return sorted(due, key=lambda t: (t.due, t.id))


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
        said = ""  # the last store failure logged (each is logged once, not at every tick)
        while not self._stop.wait(self.tick_s):
            try:
                due = self.store.pop_due()
            except Exception as exc:  # a busy or unwritable store: the clock keeps ticking
                line = exc.one_line() if isinstance(exc, ToolError) else f"{type(exc).__name__}: {exc}"
                if line != said:
                    log.warning("timers: cannot check what is due: %s", line, exc_info=not isinstance(exc, ToolError))
                    said = line
                continue
            said = ""
            for timer in due:
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
    """The next Unix time at "HH:MM" (24 h, or with am/pm) in the configured zone (else the computer's)."""
    import re

    m = re.fullmatch(r"\s*(\d{1,2})(?::|\.|h)?(\d{2})?\s*(am|pm|a\.m\.|p\.m\.)?\s*", text.lower())
    if m is None:
        raise ToolError(f"cannot read the time '{text[:40]}'", "use HH:MM, e.g. 07:30 or 7:30 pm")
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    ampm = (m.group(3) or "").replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    if ampm == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise ToolError(f"'{text}' is not a time of day", "use HH:MM between 00:00 and 23:59")
    now = now or dt.datetime.now(zone(tz_name))  # naive = the computer's zone, DST included
    when = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if when <= now:
        when += dt.timedelta(days=1)
    return when.timestamp()


def _amount(args: dict[str, Any], key: str) -> float:
    value = args.get(key)
    if value is None or value == "":
        return 0.0
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        raise ToolError(f"the {key} must be a number, not {str(value)[:20]!r}", "say e.g. ten minutes") from None
    if not math.isfinite(number):
        raise ToolError(f"the {key} must be a finite number, not {str(value)[:20]!r}", "say e.g. ten minutes")
    if number < 0:
        raise ToolError("the duration must be more than 0 seconds", "say e.g. ten minutes")
    return number


def _seconds(args: dict[str, Any]) -> float:
    total = _amount(args, "seconds") + 60 * _amount(args, "minutes") + 3600 * _amount(args, "hours")
    if total <= 0:
        raise ToolError("the duration must be more than 0 seconds", "say e.g. ten minutes")
    if not total <= MAX_SECONDS:
        raise ToolError("that is too long for a timer", "timers last at most a year")
    return total


def _lang(args: dict[str, Any]) -> str:
    """The language the turn was in (the assistant adds ``language`` to timer calls)."""
    return "es" if str(args.get("language") or "") == "es" else "en"


# A request that names a timer, an alarm or a reminder may need the timer tools ...
_TIMER_WORDS = re.compile(r"\b(timers?|alarms?|remind|reminders?|wake me|countdown|temporizador(es)?|alarmas?|"
                          r"recuerdame|recordatorios?|despiertame|avisame)\b")
# ... and so may one with a duration ("pon cinco minutos", "ten minutes for the eggs, please"), unless it
# asks an amount ("how many seconds are in an hour", "¿cuántos segundos tiene una hora?"): five timer
# schemas are ~560 prompt tokens, ~15 s of reading for qwen-1.5b on 2 CPU cores before its first word.
_DURATION_WORDS = re.compile(r"\b(minutes?|seconds?|hours?|minutos?|segundos?|horas?)\b")
_ASKS_AN_AMOUNT = re.compile(r"\b(how (many|much|long)|cuant[oa]s?|cuanto tiempo)\b")


class _TimerTool(Tool):
    side_effects = True
    keywords = _TIMER_WORDS.pattern  # marks a built-in; is_relevant is the whole rule

    def is_relevant(self, text: str) -> bool:
        """A timer word, or a duration in a request that does not ask how many or how long."""
        if _TIMER_WORDS.search(text):
            return True
        return _DURATION_WORDS.search(text) is not None and _ASKS_AN_AMOUNT.search(text) is None

    def __init__(self, store: TimerStore, timezone: str = "") -> None:
        self.store = store
        self.timezone = timezone

    def row(self, timer: Timer) -> dict[str, Any]:
        """The timer for a result's data, with ``at``: when it rings on the configured clock ("07:30")."""
        return {**asdict(timer), "at": clock_time(timer.due, shown_zone(self.timezone))}


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
        return ToolResult(f"Timer {timer.id} set for {say_duration(secs)}.", {"timer": self.row(timer)})


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
        when = clock_time(due, shown_zone(self.timezone))  # on the configured clock, like it was asked
        return ToolResult(f"Alarm {timer.id} set for {when}.", {"timer": self.row(timer)})


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
        return ToolResult(f"I will remind you: {text} ({timer.describe(tz=shown_zone(self.timezone))}).",
                          {"timer": self.row(timer)})


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
        tz = shown_zone(self.timezone)
        return ToolResult("; ".join(t.describe(tz=tz) for t in timers) + ".",
                          {"timers": [self.row(t) for t in timers]})


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
