"""The clock tool: the time and date now, in a named time zone, and "what day is next Friday"."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from jarvis.text import fold_accents
from jarvis.tools.base import Tool, ToolError, ToolResult

WEEKDAYS = {
    "en": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
    "es": ["lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo"],
}
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
           "octubre", "noviembre", "diciembre"],
}
MAX_ZONE_CHARS = 64  # the longest IANA name is 32 characters; a place name is shorter still
# Places people name that are not the last part of an IANA zone name.
PLACE_ALIASES = {
    "new york": "America/New_York", "nueva york": "America/New_York", "londres": "Europe/London",
    "uk": "Europe/London", "england": "Europe/London", "spain": "Europe/Madrid", "espana": "Europe/Madrid",
    "barcelona": "Europe/Madrid", "valencia": "Europe/Madrid", "sevilla": "Europe/Madrid",
    "seville": "Europe/Madrid", "paris": "Europe/Paris", "berlin": "Europe/Berlin", "rome": "Europe/Rome",
    "roma": "Europe/Rome", "tokio": "Asia/Tokyo", "japan": "Asia/Tokyo", "japon": "Asia/Tokyo",
    "california": "America/Los_Angeles", "san francisco": "America/Los_Angeles",
    "mexico": "America/Mexico_City", "ciudad de mexico": "America/Mexico_City",
    "buenos aires": "America/Argentina/Buenos_Aires", "argentina": "America/Argentina/Buenos_Aires",
    "colombia": "America/Bogota", "peru": "America/Lima", "chile": "America/Santiago",
    "utc": "UTC", "gmt": "UTC", "china": "Asia/Shanghai", "beijing": "Asia/Shanghai",
    "pekin": "Asia/Shanghai", "india": "Asia/Kolkata", "delhi": "Asia/Kolkata", "sydney": "Australia/Sydney",
}


def plain(text: str) -> str:
    """Lower case without accents ("Miércoles" -> "miercoles")."""
    return fold_accents(text)


@lru_cache(maxsize=1)
def _zones_by_place() -> dict[str, str]:
    out: dict[str, str] = {}
    for zone in available_timezones():
        place = zone.rsplit("/", 1)[-1].replace("_", " ").lower()
        out.setdefault(place, zone)
    return out


def find_zone(name: str) -> ZoneInfo:
    """A time zone from an IANA name ("Europe/Madrid") or a place ("Tokyo", "Nueva York").

    Anything else (a folder of zones such as "America", a name too long for the file system, control
    characters) is a one-line :class:`ToolError` naming what was asked, cut to 40 characters.
    """
    key = name.strip()
    if key and len(key) <= MAX_ZONE_CHARS and key.isprintable():
        try:
            return ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a folder, not a zone
            pass
        place = plain(key).strip(" ?.")
        zone = PLACE_ALIASES.get(place) or _zones_by_place().get(place)
        if zone is not None:
            return ZoneInfo(zone)
    shown = "".join(c if c.isprintable() else " " for c in " ".join(key.split()))
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    raise ToolError(f"unknown time zone or place '{shown}'", "use an IANA name such as Europe/Madrid, or a city")


def local_zone(name: str = "") -> dt.tzinfo:
    """The configured zone, else the system's."""
    if name:
        return find_zone(name)
    tz = dt.datetime.now().astimezone().tzinfo
    assert tz is not None
    return tz


def resolve_day(phrase: str, today: dt.date) -> dt.date:
    """The date a phrase names: today, tomorrow, yesterday, "next friday", "in 3 days", "el lunes"."""
    p = plain(phrase).strip(" ?.")
    if p in ("", "today", "hoy", "now", "ahora"):
        return today
    if p in ("tomorrow", "manana", "pasado"):
        return today + dt.timedelta(days=1)
    if p in ("day after tomorrow", "pasado manana"):
        return today + dt.timedelta(days=2)
    if p in ("yesterday", "ayer"):
        return today - dt.timedelta(days=1)
    m = re.search(r"(?:in|en|dentro de)\s+(\d+)\s+(day|days|dia|dias|week|weeks|semana|semanas)", p)
    if m:
        n = int(m.group(1)) * (7 if m.group(2).startswith(("week", "semana")) else 1)
        return today + dt.timedelta(days=n)
    for names in WEEKDAYS.values():
        for idx, day in enumerate(names):
            if re.search(rf"\b{day}\b", p):
                ahead = (idx - today.weekday()) % 7
                if ahead == 0 or re.search(r"\b(next|proximo|que viene)\b", p):
                    ahead = ahead or 7
                return today + dt.timedelta(days=ahead)
    try:
        return dt.date.fromisoformat(p)
    except ValueError:
        raise ToolError(
            f"cannot tell which day '{phrase}' is", "say today, tomorrow, next Friday or 2026-12-24"
        ) from None


def say_date(day: dt.date, lang: str = "en") -> str:
    """ "Friday, 4 December 2026" / "viernes, 4 de diciembre de 2026"."""
    if lang == "es":
        return f"{WEEKDAYS['es'][day.weekday()].replace('miercoles', 'miércoles').replace('sabado', 'sábado')}, " \
               f"{day.day} de {MONTHS['es'][day.month - 1]} de {day.year}"
    return f"{WEEKDAYS['en'][day.weekday()].capitalize()}, {day.day} {MONTHS['en'][day.month - 1]} {day.year}"


class ClockTool(Tool):
    """Current time and date; a named zone or place; which date a day phrase means."""

    name = "clock"
    keywords = (
        r"\b(time|clock|date|day|today|tomorrow|yesterday|week|weekday|monday|tuesday|wednesday|thursday|"
        r"friday|saturday|sunday|hora|horas|fecha|dia|hoy|manana|ayer|semana|reloj|zone|zona|lunes|"
        r"martes|miercoles|jueves|viernes|sabado|domingo)\b"
    )
    description = (
        "Get the current local time and date, or the time in a city/time zone, or the date of a day "
        "such as 'tomorrow' or 'next friday'."
    )
    parameters = {
        "type": "object",
        "properties": {
            "timezone": {"type": "string", "description": "IANA zone or city, e.g. Europe/Madrid or Tokyo"},
            "day": {"type": "string", "description": "a day phrase: today, tomorrow, next friday, in 3 days"},
        },
    }

    def __init__(self, default_zone: str = "", now: Any = None) -> None:
        self.default_zone = default_zone
        self._now = now or (lambda tz: dt.datetime.now(tz))

    def run(self, args: dict[str, Any]) -> ToolResult:
        """The time (and date) now in the zone; with ``day``, that day's date."""
        zone_name = str(args.get("timezone") or "")
        tz = find_zone(zone_name) if zone_name else local_zone(self.default_zone)
        now = self._now(tz)
        day = resolve_day(str(args.get("day") or ""), now.date())
        label = getattr(tz, "key", None) or now.strftime("%Z")
        data = {
            "time": now.strftime("%H:%M"),
            "date": day.isoformat(),
            "weekday": WEEKDAYS["en"][day.weekday()],
            "timezone": label,
            "is_today": day == now.date(),
        }
        if day == now.date():
            text = f"It is {now:%H:%M} on {say_date(day)} ({label})."
        else:
            text = f"{args.get('day')} is {say_date(day)}."
        return ToolResult(text, data)
