"""The clock tool: zones by IANA name or place, and day phrases in English and Spanish."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from jarvis.tools.base import ToolError
from jarvis.tools.clock import ClockTool, find_zone, resolve_day

MONDAY = dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("today", MONDAY),
        ("tomorrow", dt.date(2026, 12, 1)),
        ("mañana", dt.date(2026, 12, 1)),
        ("next friday", dt.date(2026, 12, 4)),
        ("el próximo viernes", dt.date(2026, 12, 4)),
        ("monday", dt.date(2026, 12, 7)),
        ("in 3 days", dt.date(2026, 12, 3)),
        ("dentro de 2 semanas", dt.date(2026, 12, 14)),
        ("2026-12-24", dt.date(2026, 12, 24)),
    ],
)
def test_day_phrases(phrase, expected):
    assert resolve_day(phrase, MONDAY) == expected


def test_zones_by_name_and_place():
    assert find_zone("Europe/Madrid").key == "Europe/Madrid"
    assert find_zone("Tokyo").key == "Asia/Tokyo"
    assert find_zone("Nueva York").key == "America/New_York"
    with pytest.raises(ToolError):
        find_zone("Atlantis")


def test_time_now_in_a_zone_uses_the_real_clock():
    result = ClockTool().run({"timezone": "UTC"})
    now = dt.datetime.now(ZoneInfo("UTC"))
    assert result.data["timezone"] == "UTC"
    said = dt.datetime.combine(now.date(), dt.time.fromisoformat(result.data["time"]), ZoneInfo("UTC"))
    assert abs((now - said).total_seconds()) < 120


def test_fixed_clock_and_bad_day():
    fixed = dt.datetime(2026, 11, 30, 14, 5, tzinfo=ZoneInfo("Europe/Madrid"))
    tool = ClockTool("Europe/Madrid", now=lambda tz: fixed.astimezone(tz))
    assert tool.run({}).text == "It is 14:05 on Monday, 30 November 2026 (Europe/Madrid)."
    assert tool.run({"day": "next friday"}).data["date"] == "2026-12-04"
    with pytest.raises(ToolError):
        tool.run({"day": "the day after the apocalypse"})


@pytest.mark.parametrize(
    "zone", ["America", "Europe/", "x" * 5000, "../../etc/passwd", "Tokyo\nrm -rf", "/etc/zoneinfo/UTC"],
    ids=["folder", "folder-slash", "5KB", "relative-path", "newline", "absolute-path"],
)
def test_a_bad_or_huge_zone_is_one_line_naming_it(zone):
    with pytest.raises(ToolError) as err:
        ClockTool().run({"timezone": zone})
    message = err.value.message
    assert message.startswith("unknown time zone or place '") and "\n" not in message
    assert len(message) < 100 and err.value.hint
    assert zone.split()[0][:20] in message
