"""Barge-in latency: from the push-to-talk press to silence, through a real (virtual) speaker.

Runs the real voice loop (qwen-0.5b telling a long story, Piper speaking it) into a PulseAudio
null sink through sounddevice, and calls ``Voice.barge_in()`` a few seconds into the reply,
several times. Every PortAudio callback's block is timed. Per cut it reports:

- ``call_ms``: how long ``barge_in()`` took (playback cleared, LLM told to stop);
- ``silent_block_ms``: press -> the first all-silent block handed to the device;
- ``device_latency_ms``: the output latency PortAudio reports for the stream;
- ``heard_stop_ms``: the sum, i.e. press -> silence at the speaker (the 100 ms target);
- ``was_sounding``: whether a voiced block was playing at the press (not a pause between sentences);
- ``llm_stop_ms``: press -> ReplyDone (generation stopped).

    .venv/bin/python bench/bargein.py [--cuts 5]

Prints one JSON document. Needs pulseaudio and pulseaudio-utils (installed by install.sh).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devsupport import pulse  # noqa: E402
from devsupport.config import write_config  # noqa: E402  # noqa: E402
from jarvis.assembly import build, build_voice  # noqa: E402
from jarvis.config import load_settings  # noqa: E402
from jarvis.pipeline.voice_graph import VoiceOptions  # noqa: E402

RATE = 16000
STORY = "Tell me a long story about a dragon who learns to bake bread, with many details."


PULLS: list[tuple[float, float]] = []  # (monotonic time, peak) of every block given to the device


def _timed_pull(pull):
    def wrapper(self, frames: int):
        out = pull(self, frames)
        PULLS.append((time.monotonic(), float(np.abs(out).max()) if len(out) else 0.0))
        return out

    return wrapper


def one_cut(settings, after_s: float) -> dict:
    jarvis = build(settings, memory=False, metrics=False).start(mcp=False)  # as `jarvis` builds it
    assistant = jarvis.assistant
    events: list[tuple[float, object]] = []  # (monotonic time seen, event)
    assistant.bus.subscribe(lambda e: events.append((time.monotonic(), e)))

    def first(name: str, cond=lambda e: True) -> float | None:
        return next((t for t, e in events if type(e).__name__ == name and cond(e)), None)

    loop = build_voice(assistant, VoiceOptions(use_input=False)).start()
    loop.models.voices()  # wait for the voice to load
    try:
        assistant.submit_text(STORY)
        deadline = time.monotonic() + 120
        while first("SpeakingChanged", lambda e: e.speaking) is None:
            assert time.monotonic() < deadline, "no speech"
            time.sleep(0.005)
        time.sleep(after_s)
        t_cut = time.monotonic()
        loop.barge_in()
        call_ms = (time.monotonic() - t_cut) * 1000
        while first("ReplyDone") is None:
            assert time.monotonic() < deadline, "generation did not stop"
            time.sleep(0.002)
        time.sleep(1.5)
        latency = getattr(getattr(loop.player.output, "_stream", None), "latency", None)
    finally:
        loop.close()
        jarvis.close()
    before = [peak for t, peak in PULLS if t_cut - 0.1 <= t < t_cut]
    silent_at = next(t for t, peak in PULLS if t >= t_cut and peak == 0.0)
    device_ms = latency * 1000 if isinstance(latency, float) else 0.0
    return {
        "after_s": after_s,
        "was_sounding": bool(before and max(before) > 0.01),
        "call_ms": round(call_ms, 2),
        "silent_block_ms": round((silent_at - t_cut) * 1000, 1),
        "device_latency_ms": round(device_ms, 1),
        "heard_stop_ms": round((silent_at - t_cut) * 1000 + device_ms, 1),
        "llm_stop_ms": round((first("ReplyDone") - t_cut) * 1000, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cuts", type=int, default=5)
    ap.add_argument("--model", default="qwen-0.5b")
    args = ap.parse_args()
    why = pulse.available()
    if why is not None:
        sys.exit(f"bargein bench needs PulseAudio: {why}")
    pulse.pulse_server()  # the virtual speaker (stopped at exit)
    folder = Path(tempfile.mkdtemp(prefix="jarvis-bench-bargein-"))
    m = ROOT / "models"
    cfg = write_config(
        folder,
        default=args.model,
        llm='system_prompt = "You are a storyteller. Always answer at length."\n'
        "max_tokens = 300\ntemperature = 0.0\nseed = 7\nhistory_tokens = 1024",
        tts=f'enabled = true\npiper_model = "{m}/piper/en_US-joe-medium.onnx"\n'
        f'kokoro_model = "{m}/kokoro/kokoro-v1.0.int8.onnx"\nkokoro_voices = "{m}/kokoro/voices.npz"',
        audio='input_device = "pulse"\noutput_device = "pulse"',
    )
    settings = load_settings(cfg)
    from jarvis.audio import playback

    playback.PlaybackBuffer.pull = _timed_pull(playback.PlaybackBuffer.pull)
    rows = [one_cut(settings, 1.0 + 0.5 * i) for i in range(args.cuts)]

    def summary(key: str) -> dict:
        vals = [r[key] for r in rows if r[key] is not None]
        return {"p50": round(statistics.median(vals), 1), "max": round(max(vals), 1)} if vals else {}

    print(json.dumps({
        "setup": "variant rig: jarvis.assembly.build on a test config (memory and router off, "
                 "tools on); the voice speaker-only",
        "benchmark": "bargein",
        "model": args.model,
        "target_ms": 100,
        "summary": {
            k: summary(k) for k in ("call_ms", "silent_block_ms", "device_latency_ms", "heard_stop_ms", "llm_stop_ms")
        },
        "cuts": rows,
    }, indent=2))


if __name__ == "__main__":
    main()
