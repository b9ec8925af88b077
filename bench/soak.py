"""Soak: many mixed turns in one process, then RSS growth, thread and file-descriptor counts, drops.

One Assistant answers ``--turns`` turns with the fastest model and tiny replies: typed turns,
voice turns spoken from a WAV file through a real voice loop (VAD, whisper, the voice, a WAV file
as the speaker), and every ``--barge-every``-th turn is cut off mid-reply (``Assistant.interrupt``
for typed turns, ``Voice.barge_in`` for voice ones). Goals: RSS growth <= 5 % after warm-up,
no thread or descriptor growth, 0 dropped microphone blocks. Prints one JSON document.

RSS is read after every turn. It swings by ~20 MB with the kind of the last turn (a voice turn
leaves more behind than a typed one), so one reading against another says little: the baseline is
the median over ``--window`` turns right after the warm-up, the end the median over the last
``--window`` turns (15 = one whole cycle of typed, voice and barged turns), and ``slope`` is the
least-squares trend after warm-up in MB per 100 turns (a leak shows there; a swing does not).
RSS is split into anonymous memory (heaps, KV cache: where a leak would be) and file pages
(mapped model files, which fill up as more of a model is touched). ``--no-trim`` turns off the
heap trim Jarvis does after each turn (:mod:`jarvis.heap`), to compare.

    .venv/bin/python bench/soak.py [--turns 200] [--model smollm2-135m] [--voice-every 3] [--no-trim]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from devsupport.voicekit import QUESTION, voice_config, voice_models  # noqa: E402
from jarvis import heap  # noqa: E402
from jarvis.assembly import build, build_voice  # noqa: E402
from jarvis.audio.events import HeardText  # noqa: E402
from jarvis.config import load_settings  # noqa: E402
from jarvis.messages import ReplyDone, TokenDelta  # noqa: E402
from jarvis.pipeline.runner import Assistant  # noqa: E402
from jarvis.pipeline.voice_graph import VoiceOptions  # noqa: E402

TYPED = ("Say hi.", "Name a colour.", "Tell me a fact about cats.", "What is 2 + 2?",
         "Give me a word that rhymes with moon.", "Write a long story about a dragon.")


def snapshot(proc: psutil.Process) -> dict[str, Any]:
    """RSS (MB, and its anonymous and file-backed parts), threads and open descriptors of this process now."""
    gc.collect()
    return {"rss_mb": round(proc.memory_info().rss / 2**20, 1), **rss_parts(), "threads": threading.active_count(),
            "os_threads": proc.num_threads(), "fds": len(os.listdir("/proc/self/fd"))}


def rss_parts() -> dict[str, float]:
    """Anonymous (heaps, caches) and file-backed (mapped model files) resident MB, from /proc/self/status."""
    parts = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("RssAnon", "RssFile"):
                parts["anon_mb" if key == "RssAnon" else "file_mb"] = round(int(value.split()[0]) / 1024, 1)
    return parts


def slope_per_100(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of (turn, MB) points, in MB per 100 turns."""
    if len(points) < 2:
        return 0.0
    mx = statistics.fmean(t for t, _ in points)
    my = statistics.fmean(v for _, v in points)
    var = sum((t - mx) ** 2 for t, _ in points)
    return 100 * sum((t - mx) * (v - my) for t, v in points) / var if var else 0.0


def growth(samples: list[dict[str, Any]], warmup: int, window: int, key: str = "rss_mb") -> dict[str, float]:
    """Median of ``key`` over ``window`` turns after the warm-up vs over the last ``window`` turns, and the trend."""
    after = [s for s in samples if s["turn"] > warmup]
    if not after:
        return {"baseline_mb": 0.0, "end_mb": 0.0, "growth_pct": 0.0, "slope_mb_per_100_turns": 0.0}
    w = max(1, min(window, len(after) // 2 or 1))
    base = statistics.median(s[key] for s in after[:w])
    end = statistics.median(s[key] for s in after[-w:])
    return {"baseline_mb": round(base, 1), "end_mb": round(end, 1),
            "growth_pct": round((end - base) / base * 100 if base else 0.0, 2),
            "slope_mb_per_100_turns": round(slope_per_100([(s["turn"], s[key]) for s in after]), 2)}


def typed_turn(assistant: Assistant, i: int, barge: bool) -> dict[str, Any]:
    """One typed turn; with ``barge`` interrupted after the third token."""
    seen = [0]

    def on_delta(_: str) -> None:
        seen[0] += 1
        if barge and seen[0] == 3:
            assistant.interrupt()

    try:
        done = assistant.ask(TYPED[i % len(TYPED)], on_delta=on_delta)
        return {"ok": True, "interrupted": done.interrupted}
    except Exception as exc:  # noqa: BLE001 - counted, the soak goes on
        return {"ok": False, "error": str(exc)[:120]}


def voice_turn(assistant: Assistant, out: Path, barge: bool, stt: Any, voices: Any) -> dict[str, Any]:
    """One voice turn from the WAV file; with ``barge`` cut off at the first token."""
    token, done, heard = threading.Event(), threading.Event(), threading.Event()

    def observe(ev: Any) -> None:
        if isinstance(ev, TokenDelta):
            token.set()
        elif isinstance(ev, ReplyDone):
            done.set()
        elif isinstance(ev, HeardText):
            heard.set()

    assistant.bus.subscribe(observe)
    loop = build_voice(assistant, VoiceOptions(input_path=QUESTION, output_path=out, realtime_input=False,
                     realtime_output=False, hands_free=True, stt=stt, voices=voices)).start()
    drops = 0
    try:
        if barge and token.wait(60):
            loop.barge_in()
        ok = done.wait(120)
        heard.wait(30)
        src = getattr(loop.segmenter, "source", None)
        drops = int(getattr(src, "drops", 0) or 0)
    finally:
        loop.close()
        assistant.bus.unsubscribe(observe)
    return {"ok": ok, "drops": drops}


def main() -> int:
    """Run the soak and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=0, help="turns before the baseline (default 20 %%, >= 30)")
    ap.add_argument("--window", type=int, default=15, help="turns in the baseline and end medians")
    ap.add_argument("--no-trim", action="store_true", help="no heap trim after turns (jarvis.heap), to compare")
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--max-tokens", type=int, default=12)
    ap.add_argument("--voice-every", type=int, default=3, help="every N-th turn is a voice turn")
    ap.add_argument("--barge-every", type=int, default=5, help="every N-th turn is interrupted")
    args = ap.parse_args()
    heap.ENABLED = not args.no_trim

    folder = Path(tempfile.mkdtemp(prefix="jarvis-soak-"))
    llm = ('system_prompt = "You are a helpful assistant. Answer briefly."\n'
           f"max_tokens = {args.max_tokens}\ntemperature = 0.0\nseed = 7\nhistory_tokens = 512\n"
           "cache_answers = false")  # the questions repeat: every turn must reach the model
    settings = load_settings(voice_config(folder, llm=llm))
    # as `jarvis` builds it; ask() runs turns here: no prefill thread on the model
    jarvis = build(settings, memory=False, metrics=False).start(preload=False, mcp=False)
    assistant = jarvis.assistant
    assistant.set_model(args.model)
    stt, voices = voice_models()
    proc = psutil.Process()
    warmup = args.warmup or min(max(30, args.turns // 5), args.turns // 2)
    base: dict[str, Any] | None = None
    counts = {"typed": 0, "voice": 0, "barge_ins": 0, "failed": 0, "interrupted": 0}
    drops = 0
    errors: list[str] = []
    samples: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for i in range(args.turns):
        if i == warmup:
            base = snapshot(proc)
        barge = args.barge_every > 0 and i % args.barge_every == args.barge_every - 1
        if args.voice_every > 0 and i % args.voice_every == args.voice_every - 1:
            r = voice_turn(assistant, folder / "out.wav", barge, stt, voices)
            counts["voice"] += 1
            drops += r["drops"]
        else:
            r = typed_turn(assistant, i, barge)
            counts["typed"] += 1
            counts["interrupted"] += bool(r.get("interrupted"))
        counts["barge_ins"] += barge
        if not r["ok"]:
            counts["failed"] += 1
            errors.append(r.get("error", "no reply"))
        samples.append({"turn": i + 1, **snapshot(proc)})
    elapsed = time.perf_counter() - t0
    end = snapshot(proc)
    jarvis.close()
    after_shutdown = snapshot(proc)
    base = base or end
    rss = growth(samples, warmup, args.window)
    anon = growth(samples, warmup, args.window, "anon_mb")
    every = max(1, args.turns // 20)
    print(json.dumps({
        "benchmark": "soak",
        "setup": "variant rig: jarvis.assembly.build on devsupport.voicekit.voice_config (memory "
                 "and router off, tools on, response cache off so each repeated question reaches the model)",
        "turns": args.turns, "warmup_turns": warmup, "window_turns": args.window, "model": args.model,
        "max_tokens": args.max_tokens, "heap_trim": heap.ENABLED,
        "seconds": round(elapsed, 1), "counts": counts, "errors": errors[:5],
        "first_turn": samples[0] if samples else None, "baseline": base, "end": end, "after_shutdown": after_shutdown,
        "rss": rss, "anon": anon,
        "rss_growth_pct": rss["growth_pct"],
        "peak_rss_mb": max((s["rss_mb"] for s in samples), default=0.0),
        "thread_growth": end["threads"] - base["threads"],
        "fd_growth": end["fds"] - base["fds"],
        "dropped_mic_blocks": drops,
        "goals_met": {"rss_growth_le_5pct": rss["growth_pct"] <= 5.0,
                      "no_thread_leak": end["threads"] <= base["threads"],
                      "no_fd_leak": end["fds"] <= base["fds"], "no_drops": drops == 0},
        "samples": [s for s in samples if s["turn"] % every == 0],
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
