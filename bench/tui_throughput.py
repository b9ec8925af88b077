"""Tokens/s of typed turns in the TUI vs the same turns headless, side by side in one run.

The same Jarvis (built by ``jarvis.assembly.build`` from the repository config: one model, memory,
routing and speech off, temperature 0) answers the same question ``--runs`` times headless (the
assistant alone, as ``jarvis ask`` does), then ``--runs`` times typed into the Textual app (run
headless by ``App.run_test``, with the real resource sampler and every panel live), then headless
again. Prints one JSON document: tokens/s per turn, medians and the TUI / headless ratio.

    .venv/bin/python bench/tui_throughput.py [--model qwen-0.5b] [--runs 3] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, quiet_settings  # noqa: E402
from jarvis.assembly import build  # noqa: E402
from jarvis.messages import ReplyDone  # noqa: E402
from jarvis.ui.app import JarvisApp  # noqa: E402

PROMPT = "Explain in a few sentences how a refrigerator keeps food cold."


def row(done: ReplyDone, cpu_s: float, where: str) -> dict:
    """The figures of one finished reply; ``cpu_s``: CPU seconds the process used meanwhile."""
    stats = done.stats
    return {
        "where": where,
        "process_cpu_s": round(cpu_s, 3),
        "gen_s": round(stats.total_s, 3) if stats else None,
        "tokens": stats.completion_tokens if stats else 0,
        "ttft_s": round(stats.time_to_first_token_s or 0.0, 3) if stats else None,
        "tok_per_s": round(stats.tokens_per_s, 2) if stats else None,
    }


def cpu() -> float:
    """CPU seconds this process has used (every thread)."""
    import os

    t = os.times()
    return t.user + t.system


def headless_turn(jarvis) -> tuple[ReplyDone, float]:
    """One typed turn without the UI; waits for its ReplyDone. Returns it and the CPU seconds used."""
    got: list[ReplyDone] = []
    done = threading.Event()

    def watch(ev) -> None:
        if isinstance(ev, ReplyDone):
            got.append(ev)
            done.set()

    jarvis.assistant.clear()
    jarvis.assistant.bus.subscribe(watch)
    c0 = cpu()
    try:
        jarvis.assistant.submit_text(PROMPT, source="keyboard")
        done.wait(600)
    finally:
        jarvis.assistant.bus.unsubscribe(watch)
    return got[0], cpu() - c0


async def tui_turns(jarvis, runs: int) -> list[tuple[ReplyDone, float]]:
    """``runs`` turns typed into the app (Enter submits), each after the previous reply ended."""
    app = JarvisApp(jarvis, voice=False)
    got: list[ReplyDone] = []
    used: list[float] = []
    jarvis.assistant.bus.subscribe(lambda ev: got.append(ev) if isinstance(ev, ReplyDone) else None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(1.0)
        for i in range(runs):
            jarvis.assistant.clear()
            app.query_one("#prompt").value = PROMPT
            c0 = cpu()
            await pilot.press("enter")
            while len(got) <= i:
                await pilot.pause(0.05)
            used.append(cpu() - c0)
            await pilot.pause(0.5)  # let the last render finish before the next turn
    return list(zip(got, used, strict=True))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="qwen-0.5b")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-tokens", type=int, default=128)
    args = ap.parse_args()

    settings = quiet_settings("jarvis-bench-tui-", tts={"enabled": False})
    rows: list[dict] = []
    with build(settings, model=args.model, memory=False, max_tokens=args.max_tokens, metrics=False) as jarvis:
        jarvis.start(warm_up_memory=False)
        jarvis.assistant.pool.get(args.model)
        headless_turn(jarvis)  # warm-up, not counted
        rows += [row(*headless_turn(jarvis), "headless") for _ in range(args.runs)]
        rows += [row(d, c, "tui") for d, c in asyncio.run(tui_turns(jarvis, args.runs))]
        rows += [row(*headless_turn(jarvis), "headless") for _ in range(args.runs)]

    def med(where: str) -> float:
        return statistics.median(r["tok_per_s"] for r in rows if r["where"] == where)

    result = {
        "benchmark": "tui_throughput",
        "what": "completion tokens/s after the first token, typed turns, speech off",
        "model": args.model,
        "max_tokens": args.max_tokens,
        "headless_tok_per_s_p50": med("headless"),
        "tui_tok_per_s_p50": med("tui"),
        "tui_over_headless": round(med("tui") / med("headless"), 3),
        "rows": rows,
    }
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
