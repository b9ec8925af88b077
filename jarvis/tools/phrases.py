"""What Jarvis says for an instant command, in English or Spanish, from the tool's result."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jarvis.messages import ToolUse
from jarvis.tools.base import ToolResult
from jarvis.tools.clock import say_date
from jarvis.tools.intents import Intent
from jarvis.tools.timers import say_duration

HELP = {
    "en": "I can answer questions, tell the time and date, set timers, alarms and reminders, do exact math "
          "and unit conversions, remember things about you, and report how this computer is doing.",
    "es": "Puedo responder preguntas, decirte la hora y la fecha, poner temporizadores, alarmas y recordatorios, "
          "hacer cálculos exactos y conversiones, recordar cosas sobre ti y contarte cómo va el ordenador.",
}
STOPPED = {"en": "Okay.", "es": "Vale."}


def _hhmm_es(hhmm: str) -> str:
    hour = int(hhmm.split(":")[0])
    return f"{'Es la' if hour in (1, 13) else 'Son las'} {hhmm}"


def say(intent: Intent, use: ToolUse | None, result: ToolResult | None) -> str:
    """The spoken reply to an instant command (an apology with the reason when the tool failed)."""
    es = intent.language == "es"
    if intent.kind == "help":
        return HELP["es" if es else "en"]
    if intent.kind == "stop":
        return STOPPED["es" if es else "en"]
    if use is None or result is None or not use.ok:
        why = (use.result if use is not None else "").removeprefix("error: ")
        return f"Lo siento, no he podido: {why}." if es else f"Sorry, I couldn't do that: {why}."
    d: dict[str, Any] = result.data
    if intent.kind == "time":
        place = intent.details.get("place")
        if es:
            return f"En {place.title()} {_hhmm_es(d['time']).lower()}." if place else f"{_hhmm_es(d['time'])}."
        return f"In {place.title()} it's {d['time']}." if place else f"It's {d['time']}."
    if intent.kind == "date":
        day = dt.date.fromisoformat(d["date"])
        if d.get("is_today"):
            return f"Hoy es {say_date(day, 'es')}." if es else f"Today is {say_date(day)}."
        return f"Es el {say_date(day, 'es')}." if es else f"That's {say_date(day)}."
    if intent.kind in ("timer", "alarm", "reminder"):
        return _said_timer(intent.kind, d["timer"], es)
    if intent.kind == "list_timers":
        timers = d["timers"]
        if not timers:
            return "No hay temporizadores ni alarmas." if es else "You have no timers, alarms or reminders."
        return _list(timers, es)
    if intent.kind == "cancel_timer":
        n = len(d["cancelled"])
        if es:
            return "Cancelado." if n == 1 else f"Cancelados {n}."
        return "Cancelled." if n == 1 else f"Cancelled {n}."
    if intent.kind == "math":
        value = str(d["value"])
        unit = d.get("unit")
        if unit:  # a conversion: said to 4 significant figures, with its unit
            short = f"{float(value):.4g}"
            about = ("unos " if es else "about ") if short != value else ""
            unit = f"°{unit}" if unit in ("C", "F", "K") else _unit_name(unit, short == "1", es)
            if es:
                return f"{'Es' if short == '1' else 'Son'} {about}{short.replace('.', ',')} {unit}."
            return f"That's {about}{short} {unit}."
        if es:
            return f"{'Es' if value in ('1', '-1') else 'Son'} {value.replace('.', ',')}."
        return f"That's {value}."
    if intent.kind == "remember":
        return "Entendido, lo recordaré." if es else "Got it, I'll remember that."
    return result.text


ACCENTED = {"centimetros": "centímetros", "kilometros": "kilómetros", "milimetros": "milímetros", "dias": "días",
            "galon": "galón", "dia": "día", "centimetro": "centímetro", "kilometro": "kilómetro",
            "milimetro": "milímetro"}
SINGULAR = {"feet": "foot", "inches": "inch", "galones": "galón", "libras": "libra", "millas": "milla"}


def _unit_name(unit: str, one: bool, es: bool) -> str:
    """A unit as the asker wrote it, singular for exactly one ("1 hour", "1 hora"), with its accents."""
    if one and len(unit) > 3:
        unit = SINGULAR.get(unit) or (unit[:-1] if unit.endswith("s") else unit)
    return ACCENTED.get(unit, unit) if es else unit


def _said_timer(kind: str, t: dict[str, Any], es: bool) -> str:
    at = t.get("at") or dt.datetime.fromtimestamp(t["due"]).strftime("%H:%M")  # in tools.timezone
    if kind == "timer":
        length = say_duration(t["seconds"], "es" if es else "en")
        return f"Temporizador de {length} en marcha." if es else f"Timer set for {length}."
    if kind == "alarm":
        return f"Alarma puesta a las {at}." if es else f"Alarm set for {at}."
    left = say_duration(max(0.0, t["due"] - t["created"]), "es" if es else "en")
    return f"Vale, te lo recordaré en {left}." if es else f"Okay, I'll remind you in {left}."


def _list(timers: list[dict[str, Any]], es: bool) -> str:
    parts = []
    for t in timers[:5]:
        at = t.get("at") or dt.datetime.fromtimestamp(t["due"]).strftime("%H:%M")
        label = f" ({t['label']})" if t["label"] else ""
        name = {"timer": "temporizador", "alarm": "alarma", "reminder": "recordatorio"}[t["kind"]] if es else t["kind"]
        parts.append(f"{name} {t['id']}{label} {'a las' if es else 'at'} {at}")
    head = f"Tienes {len(timers)}: " if es else f"You have {len(timers)}: "
    return head + "; ".join(parts) + "."


def ring_text(kind: str, label: str, seconds: float, language: str, late: bool) -> str:
    """What Jarvis says when a timer, alarm or reminder rings."""
    es = language == "es"
    if kind == "timer":
        length = say_duration(seconds)
        parts = length.split()
        if len(parts) == 2:  # "10 minutes" -> "10-minute timer"
            length = f"{parts[0]}-{parts[1].removesuffix('s')}"
        what = f"El temporizador de {say_duration(seconds, 'es')}" if es else f"Your {length} timer"
        text = f"{what}{f' ({label})' if label else ''} {'ha terminado' if es else 'is done'}."
    elif kind == "alarm":
        text = (f"¡Alarma{': ' + label if label else ''}!" if es else f"Alarm{': ' + label if label else ''}!")
    else:
        text = f"Recordatorio: {label}." if es else f"Reminder: {label}."
    if late:
        text += " (Sonó mientras Jarvis estaba cerrado.)" if es else " (It came due while Jarvis was closed.)"
    return text
