"""End of speech -> first audio out, streaming TTS vs speaking only after the whole reply.

Every fixture utterance (``tests/fixtures/speech/{en,es}``) is replayed as the microphone
through the real voice loop (VAD -> faster-whisper -> LLM -> chunker -> Piper/Kokoro -> a WAV
"speaker"), once per mode, modes alternating, in the same run with the same loaded models.
Prints one JSON document: per-turn stage times (seconds after the end of speech) and p50/p95 per mode.

    .venv/bin/python bench/voice_latency.py [--model smollm2-135m] [--max-tokens 64] [--realtime]

By default the file is read as fast as possible, so the end-of-speech moment is when the VAD saw
the last voiced frame; with a live microphone the VAD also waits ``audio.vad.end_silence_ms``
(reported) before the utterance ends. ``--realtime`` replays at real time and includes it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jarvis.audio.devices import WavFileInput  # noqa: E402
from jarvis.audio.events import HeardText  # noqa: E402
from jarvis.config import load_settings  # noqa: E402
from jarvis.messages import Transcript  # noqa: E402
from jarvis.pipeline.recorder import EventRecorder  # noqa: E402
from jarvis.pipeline.runner import Assistant  # noqa: E402
from jarvis.pipeline.voice_loop import VoiceLoop  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "speech"
STAGES = ("transcript_ready", "first_token", "first_audio_out", "reply_done")
MODES = {"streaming": True, "after_reply": False}


def pct(values: list[float], q: float) -> float | None:
    """The q-th percentile (linear interpolation) of ``values``."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return None
    k = (len(vals) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(vals) - 1)
    return round(vals[lo] + (vals[hi] - vals[lo]) * (k - lo), 4)


def one_turn(assistant, stt, voices, wav: Path, stream: bool, realtime: bool, out_dir: Path) -> dict:
    """Run one voice turn from ``wav``; returns its stage times."""
    assistant.clear()
    source = WavFileInput(wav, realtime=realtime, pad_s=1.0 if realtime else 0.0)
    out = out_dir / f"{wav.stem}-{'stream' if stream else 'after'}.wav"
    seen = EventRecorder(assistant.bus)
    loop = VoiceLoop(
        assistant, input=source, output_path=out, realtime_output=False, hands_free=True,
        merge_input=not realtime, stream_tts=stream, stt=stt, voices=voices,
    ).start()
    try:
        said = seen.wait_for(Transcript, lambda t: t.source == "voice", 300)
        if said is None:
            return {"file": wav.name, "error": "no transcript"}
        heard = seen.wait_for(HeardText, lambda e: e.turn_id == said.turn_id, 600)
    finally:
        loop.stop()
        seen.close()
    timings = said.timings.relative()
    row = {"file": f"{wav.parent.name}/{wav.name}", "mode": "streaming" if stream else "after_reply"}
    row.update({k: timings[k] for k in STAGES})
    row["language"] = said.language
    row["transcript"] = said.text
    row["stt_s"] = round(said.recognition.seconds, 4) if said.recognition else None
    t = said.timings
    synth = t.first_speech_ready - t.first_sentence if t.first_speech_ready and t.first_sentence else None
    row["first_chunk_tts_s"] = round(synth, 4) if synth is not None else None
    row["heard_words"] = len(heard.text.split()) if heard else 0
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", help="config file (default: the repository's)")
    ap.add_argument("--model", default="smollm2-135m", help="LLM to answer with")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--system", default="", help="system prompt override (e.g. ask for long replies)")
    ap.add_argument("--stt-model", default="", help="STT model folder (default: the config's)")
    ap.add_argument("--realtime", action="store_true", help="replay the files at real time")
    ap.add_argument("--files", nargs="*", help="WAV files (default: every fixture utterance, en and es)")
    args = ap.parse_args()

    base = load_settings(args.config)
    tmp = Path(tempfile.mkdtemp(prefix="jarvis-bench-voice-"))
    updates = {
        "general": base.general.model_copy(update={"data_dir": tmp / "data"}),
        "llm": base.llm.model_copy(
            update={"max_tokens": args.max_tokens, "temperature": 0.0, "seed": 7}
            | ({"system_prompt": args.system} if args.system else {})
        ),
        "memory": base.memory.model_copy(update={"enabled": False}),
        "router": base.router.model_copy(update={"enabled": False}),
        "tts": base.tts.model_copy(update={"enabled": True}),
    }
    if args.stt_model:
        updates["stt"] = base.stt.model_copy(update={"model": Path(args.stt_model).resolve()})
    settings = base.model_copy(update=updates)
    files = [Path(f) for f in args.files] if args.files else sorted(
        p for p in FIXTURES.glob("*/*.wav") if p.with_suffix(".txt").exists()
    )

    from jarvis.stt import load_stt
    from jarvis.tts.voices import VoiceSet

    t0 = time.monotonic()
    assistant = Assistant(settings).start(preload=False)
    assistant.set_model(args.model)
    assistant.pool.get(args.model)
    stt = load_stt(settings, assistant.plan)
    tts_place = assistant.plan.get("tts")
    voices = VoiceSet(settings.tts, tts_place.n_threads if tts_place else 0)  # as the voice loop does
    voices.preload()
    load_s = time.monotonic() - t0
    rows = []
    try:
        for i, wav in enumerate(files):
            order = list(MODES.items()) if i % 2 == 0 else list(reversed(MODES.items()))
            for _, stream in order:
                rows.append(one_turn(assistant, stt, voices, wav, stream, args.realtime, tmp))
    finally:
        assistant.shutdown()

    summary = {}
    for mode in MODES:
        mine = [r for r in rows if r.get("mode") == mode]
        summary[mode] = {
            stage: {"p50": pct([r[stage] for r in mine], 50), "p95": pct([r[stage] for r in mine], 95)}
            for stage in (*STAGES, "stt_s", "first_chunk_tts_s")
        }
    firsts = {m: summary[m]["first_audio_out"]["p50"] for m in MODES}
    result = {
        "benchmark": "voice_latency",
        "what": "seconds from end of speech; first_audio_out = end-of-speech -> first audio",
        "model": args.model,
        "max_tokens": args.max_tokens,
        "stt_model": str(settings.stt.model.name),
        "realtime_input": args.realtime,
        "vad_end_silence_ms_not_included": 0 if args.realtime else settings.audio.vad.end_silence_ms,
        "turns": len(rows),
        "models_load_s": round(load_s, 2),
        "summary": summary,
        "speedup_first_audio_p50": (
            round(firsts["after_reply"] / firsts["streaming"], 2)
            if firsts["streaming"] and firsts["after_reply"] else None
        ),
        "median_words_heard": statistics.median([r.get("heard_words", 0) for r in rows]) if rows else 0,
        "rows": rows,
    }
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
