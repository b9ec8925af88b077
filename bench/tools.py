"""Tools benchmark: ~40 labelled requests (en/es) that need a tool, answered three ways in one run.

* ``instant+tools``: Jarvis as shipped (the instant path for everyday commands, the model with tools
  for the rest);
* ``tools``: the instant path off, every request goes to the model with the tools it may need;
* ``no_tools``: tools off (what Jarvis did before).

Per mode and model: the share where the right tool was called with the right arguments, the share
of correct final answers (checked against the real clock, exact numbers, the timers actually set),
and the latency from the transcript to the reply's first text and to its end (p50/p95), split by
path (instant vs model). With ``--voice`` the first spoken piece is synthesised too, giving the
time from the transcript to the first audio (what the instant path promises to keep under 300 ms).
The MCP requests use the test order server (devsupport/mcp_server.py) over stdio.

    .venv/bin/python bench/tools.py [--models qwen-0.5b qwen-1.5b] [--modes ...] [--limit N] [--voice]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import emit, pct, quiet_settings  # noqa: E402
from jarvis.assembly import build  # noqa: E402
from jarvis.config import McpServerSpec  # noqa: E402
from jarvis.tools.clock import MONTHS, WEEKDAYS, plain  # noqa: E402

REQUESTS = ROOT / "bench" / "data" / "tool_requests.json"
MCP_SERVER = ROOT / "devsupport" / "mcp_server.py"
MODES = ("instant+tools", "tools", "no_tools")


def clock_strings(zone: str | None) -> set[str]:
    """Ways of writing the time now (a minute either side) in ``zone`` or the local zone."""
    tz = ZoneInfo(zone) if zone else None
    now = dt.datetime.now(tz) if tz else dt.datetime.now()
    out = set()
    for delta in (-1, 0, 1):
        t = now + dt.timedelta(minutes=delta)
        out |= {t.strftime("%H:%M"), f"{t.hour}:{t.minute:02d}", f"{t.hour % 12 or 12}:{t.minute:02d}"}
    return out


def numbers_in(text: str) -> list[str]:
    t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    t = re.sub(r"(?<=\d),(?=\d)", ".", t)
    return re.findall(r"-?\d+(?:\.\d+)?", t)


def number_ok(text: str, value: str) -> bool:
    for n in numbers_in(text):
        if "." in value and n.startswith(value):
            return True
        if "." not in value and (n == value or n.startswith(value + ".0")):
            return True
    return False


def day_ok(text: str, day: dt.date) -> bool:
    low = plain(text)
    months = {MONTHS["en"][day.month - 1].lower(), MONTHS["es"][day.month - 1]}
    return str(day.day) in numbers_in(text) and (any(m in low for m in months) or day.isoformat() in text)


def answer_ok(item: dict, text: str, store: Any) -> bool:
    """Whether the reply (or what the tools did) is right."""
    check = item["check"]
    today = dt.date.today()
    if check == "time":
        return any(s in text for s in clock_strings(item.get("zone")))
    if check == "date":
        return day_ok(text, today)
    if check == "weekday":
        low = plain(text)
        return WEEKDAYS["en"][today.weekday()] in low or WEEKDAYS["es"][today.weekday()] in low
    if check == "next_friday":
        ahead = (4 - today.weekday()) % 7 or 7
        return day_ok(text, today + dt.timedelta(days=ahead))
    if check == "number":
        return number_ok(text, item["value"])
    if check in ("timer", "alarm"):
        return store_ok(item, store)
    if check == "words":
        return any(w.lower() in text.lower() for w in item["words"])
    return True  # tool_only: judged by the call


def store_ok(item: dict, store: Any) -> bool:
    for t in store.list():
        if t.kind != item["kind"]:
            continue
        if item["check"] == "alarm" and dt.datetime.fromtimestamp(t.due).strftime("%H:%M") == item["at"]:
            return True
        if item["check"] == "timer" and abs((t.due - t.created) - item["seconds"]) <= 5:
            return True
    return False


def call_ok(item: dict, uses: list, store: Any) -> bool:
    """The right tool was called, with the right arguments (or with the right effect)."""
    mine = [u for u in uses if u.name == item["tool"]]
    if not mine:
        return False
    if item["check"] in ("timer", "alarm"):
        return store_ok(item, store)
    if item["check"] == "number":
        return any(u.ok and number_ok(u.result, item["value"]) for u in mine)
    wanted = item.get("args")
    if wanted:
        return any(all(str(u.arguments.get(k, "")).lower() == str(v).lower() for k, v in wanted.items())
                   for u in mine)
    return any(u.ok for u in mine)


def settings_for(mode: str, model: str) -> Any:
    tools = {"enabled": mode != "no_tools", "instant": mode == "instant+tools", "confirm": False}
    settings = quiet_settings("jarvis-bench-tools-", tools=tools, llm={"max_tokens": 64})
    mcp = McpServerSpec(name="orders", command=sys.executable, args=[str(MCP_SERVER)])
    models = tuple(m.model_copy(update={"default": m.name == model}) for m in settings.models)
    return settings.model_copy(update={"mcp_servers": (mcp,), "models": models})


def first_piece(text: str) -> str:
    from jarvis.tts.chunker import SentenceChunker

    chunker = SentenceChunker(18, 2, 4)
    pieces = chunker.feed(text) + chunker.flush()
    return pieces[0] if pieces else text


def run_mode(mode: str, model: str, items: list[dict], voices: Any) -> list[dict]:
    settings = settings_for(mode, model)
    rows = []
    with build(settings, memory=False, metrics=False) as jarvis:
        jarvis.start(preload=False)
        if jarvis.tools is not None:
            jarvis.tools.wait_mcp()  # the MCP server is up before the first question (a turn never waits)
        jarvis.assistant.pool.get(model)  # load outside the timings
        for item in items:
            if jarvis.tools is not None:
                jarvis.tools.store.cancel("all")
            jarvis.assistant.clear()
            t0 = time.monotonic()
            done = jarvis.assistant.ask(item["text"])
            total = time.monotonic() - t0
            timings = done.timings
            first = (timings.first_token - timings.started) if timings and timings.first_token else None
            row = {
                "text": item["text"], "lang": item["lang"], "mode": mode, "model": model,
                "path": "instant" if done.model == "instant" else "model",
                "reply": done.text[:160], "tools": [u.name for u in done.tools],
                "right_call": call_ok(item, list(done.tools), jarvis.tools.store) if jarvis.tools else False,
                "right_answer": answer_ok(item, done.text, jarvis.tools.store if jarvis.tools else None)
                if (item["check"] not in ("timer", "alarm") or jarvis.tools) else False,
                "first_text_s": round(first, 4) if first is not None else None,
                "total_s": round(total, 4),
            }
            if voices is not None and done.text.strip():
                v0 = time.monotonic()
                voices.speak(first_piece(done.text), item["lang"])
                row["first_audio_s"] = round((first or total) + time.monotonic() - v0, 4)
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), file=sys.stderr, flush=True)
    return rows


def summarise(rows: list[dict]) -> dict:
    out: dict[str, Any] = {}
    for key in sorted({(r["model"], r["mode"]) for r in rows}):
        mine = [r for r in rows if (r["model"], r["mode"]) == key]
        entry: dict[str, Any] = {
            "n": len(mine),
            "right_call": round(sum(r["right_call"] for r in mine) / len(mine), 3),
            "right_answer": round(sum(r["right_answer"] for r in mine) / len(mine), 3),
        }
        for lang in ("en", "es"):
            part = [r for r in mine if r["lang"] == lang]
            entry[f"right_answer_{lang}"] = round(sum(r["right_answer"] for r in part) / len(part), 3) if part else None
        for path in ("instant", "model"):
            part = [r for r in mine if r["path"] == path]
            if not part:
                continue
            entry[path] = {"n": len(part), "right_answer": round(sum(r["right_answer"] for r in part) / len(part), 3)}
            for metric in ("first_text_s", "total_s", "first_audio_s"):
                vals = [r.get(metric) for r in part if r.get(metric) is not None]
                if vals:
                    entry[path][metric] = {"p50": pct(vals, 50), "p95": pct(vals, 95)}
        out[f"{key[0]} / {key[1]}"] = entry
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["qwen-0.5b"])
    ap.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    ap.add_argument("--limit", type=int, default=0, help="only the first N requests")
    ap.add_argument("--voice", action="store_true", help="also synthesise the first piece (first audio)")
    args = ap.parse_args()
    items = json.loads(REQUESTS.read_text())
    if args.limit:
        items = items[: args.limit]
    voices = None
    if args.voice:
        from jarvis.tts.voices import VoiceSet

        voices = VoiceSet(quiet_settings("jarvis-bench-voice-").tts)
        voices.warm_up()
    rows = [r for model in args.models for mode in args.modes for r in run_mode(mode, model, items, voices)]
    emit({"requests": len(items), "summary": summarise(rows), "rows": rows})


if __name__ == "__main__":
    main()
