"""Soak: many mixed turns in one process, then RSS growth, thread and file-descriptor counts, drops.

One Assistant answers ``--turns`` turns with the fastest model and tiny replies: typed turns,
voice turns spoken from a WAV file through a real voice loop (VAD, whisper, the voice, a WAV file
as the speaker), and every ``--barge-every``-th turn is cut off mid-reply (``Assistant.interrupt``
for typed turns, ``VoiceLoop.barge_in`` for voice ones). After the warm-up turns it takes a baseline
of RSS, threads and open file descriptors; at the end it compares (goals: RSS growth <= 5 %, no
thread or descriptor growth, 0 dropped microphone blocks). Prints one JSON document.

    .venv/bin/python bench/soak.py [--turns 200] [--model smollm2-135m] [--voice-every 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from jarvis.audio.events import HeardText  # noqa: E402
from jarvis.config import load_settings  # noqa: E402
from jarvis.messages import ReplyDone, TokenDelta  # noqa: E402
from jarvis.pipeline.runner import Assistant  # noqa: E402
from jarvis.pipeline.voice_loop import VoiceLoop  # noqa: E402
from tests.support.voicekit import QUESTION, voice_config, voice_models  # noqa: E402

TYPED = ("Say hi.", "Name a colour.", "Tell me a fact about cats.", "What is 2 + 2?",
         "Give me a word that rhymes with moon.", "Write a long story about a dragon.")


def snapshot(proc: psutil.Process) -> dict[str, Any]:
    """RSS (MB), threads and open descriptors of this process now."""
    gc.collect()
    return {"rss_mb": round(proc.memory_info().rss / 2**20, 1), "threads": threading.active_count(),
            "os_threads": proc.num_threads(), "fds": len(os.listdir("/proc/self/fd"))}


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
    loop = VoiceLoop(assistant, input_path=QUESTION, output_path=out, realtime_input=False,
                     realtime_output=False, hands_free=True, stt=stt, voices=voices).start()
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
    ap.add_argument("--warmup", type=int, default=0, help="turns before the baseline (default 10 %%, >= 6)")
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--max-tokens", type=int, default=12)
    ap.add_argument("--voice-every", type=int, default=3, help="every N-th turn is a voice turn")
    ap.add_argument("--barge-every", type=int, default=5, help="every N-th turn is interrupted")
    args = ap.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="jarvis-soak-"))
    llm = ('system_prompt = "You are a helpful assistant. Answer briefly."\n'
           f"max_tokens = {args.max_tokens}\ntemperature = 0.0\nseed = 7\nhistory_tokens = 512")
    settings = load_settings(voice_config(folder, llm=llm))
    assistant = Assistant(settings).start()
    assistant.set_model(args.model)
    stt, voices = voice_models()
    proc = psutil.Process()
    warmup = args.warmup or max(6, args.turns // 10)
    base: dict[str, Any] | None = None
    counts = {"typed": 0, "voice": 0, "barge_ins": 0, "failed": 0, "interrupted": 0}
    drops = 0
    errors: list[str] = []
    samples = []
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
        if (i + 1) % max(1, args.turns // 10) == 0:
            samples.append({"turn": i + 1, **snapshot(proc)})
    elapsed = time.perf_counter() - t0
    end = snapshot(proc)
    assistant.shutdown()
    after_shutdown = snapshot(proc)
    base = base or end
    growth = (end["rss_mb"] - base["rss_mb"]) / base["rss_mb"] * 100 if base["rss_mb"] else 0.0
    print(json.dumps({
        "benchmark": "soak",
        "turns": args.turns, "warmup_turns": warmup, "model": args.model, "max_tokens": args.max_tokens,
        "seconds": round(elapsed, 1), "counts": counts, "errors": errors[:5],
        "baseline": base, "end": end, "after_shutdown": after_shutdown,
        "rss_growth_pct": round(growth, 2),
        "thread_growth": end["threads"] - base["threads"],
        "fd_growth": end["fds"] - base["fds"],
        "dropped_mic_blocks": drops,
        "goals_met": {"rss_growth_le_5pct": growth <= 5.0, "no_thread_leak": end["threads"] <= base["threads"],
                      "no_fd_leak": end["fds"] <= base["fds"], "no_drops": drops == 0},
        "samples": samples,
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
