"""End of speech -> first audio out, per stage, for each latency improvement on and off.

Every fixture utterance with a transcript (``tests/fixtures/speech/{en,es,questions}``) is replayed
as the microphone through the real voice loop (VAD -> end-of-turn judge -> faster-whisper -> LLM ->
chunker -> Piper/Kokoro -> a WAV "speaker") once per variant, variants in turn, in the same run with
the same loaded models. Variants (``--variants``):

- ``before``: the VAD's 700 ms silence ends the turn, whisper decodes the 30 s window after it;
- ``turn_model``: Smart Turn + the transcript so far end the turn (audio.turn);
- ``short_stt``: whisper decodes with the window cut to the audio (stt.short_context);
- ``no_pause``: both, the model and the voice share the cores throughout;
- ``after``: both, and the model pauses while the first piece is synthesised (the shipped config);
- ``after_reply``: as ``after``, but the reply is spoken only once it is complete (no streaming TTS).

Prints one JSON document: per-turn stage times (seconds after the end of speech) and p50/p95 per
variant and language.

    .venv/bin/python bench/voice_latency.py --realtime [--model qwen-0.5b] [--variants before after]

Without ``--realtime`` the file is read as fast as possible and merged into one utterance (the
end-of-turn moment is then the end of the file, so only the stages after it mean anything).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, first_audio_p50, stage_summary  # noqa: E402
from jarvis.assembly import build, build_voice  # noqa: E402
from jarvis.audio.devices import WavFileInput  # noqa: E402
from jarvis.audio.events import HeardText  # noqa: E402
from jarvis.config import load_settings  # noqa: E402
from jarvis.messages import StageError, Transcript  # noqa: E402
from jarvis.pipeline.recorder import EventRecorder  # noqa: E402
from jarvis.pipeline.voice_graph import VoiceOptions  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "speech"
STAGES = (
    "turn_end", "transcript_ready", "first_token", "first_sentence", "first_speech_ready", "first_audio_out",
    "reply_done",
)
# variant -> (end-of-turn model, short-context STT, streaming TTS, model pauses for the first piece)
VARIANTS = {
    "before": (False, False, True, False),
    "turn_model": (True, False, True, False),
    "short_stt": (False, True, True, False),
    "no_pause": (True, True, True, False),
    "after": (True, True, True, True),
    "after_reply": (True, True, False, True),
}


def one_turn(assistant, stt, voices, wav: Path, variant: str, realtime: bool, out_dir: Path) -> dict:
    """Run one voice turn from ``wav`` with ``variant``'s switches; returns its stage times."""
    turn_model, short_stt, stream, pause = VARIANTS[variant]
    base = assistant.settings
    audio = base.audio.model_copy(update={"turn": base.audio.turn.model_copy(update={"enabled": turn_model})})
    tts = base.tts.model_copy(update={"first_piece_first": pause})
    assistant.settings = base.model_copy(update={"audio": audio, "tts": tts})
    stt.short_context = short_stt
    assistant.clear()
    source = WavFileInput(wav, realtime=realtime, pad_s=2.0 if realtime else 0.0)
    out = out_dir / f"{wav.stem}-{variant}.wav"
    seen = EventRecorder(assistant.bus)
    loop = build_voice(assistant, VoiceOptions(input=source, output_path=out, realtime_output=False, hands_free=True,
        merge_input=not realtime, stream_tts=stream, stt=stt, voices=voices)).start()
    try:

        def stt_failed() -> StageError | None:  # e.g. "heard no words": no turn will come
            return next((e for e in list(seen.events) if isinstance(e, StageError) and e.stage == "stt"), None)

        said = seen.wait_for(Transcript, lambda t: t.source == "voice", 300, give_up=lambda: stt_failed() is not None)
        if said is None:
            err = stt_failed()
            return {"file": wav.name, "error": err.message if err else "no transcript"}
        heard = seen.wait_for(HeardText, lambda e: e.turn_id == said.turn_id, 600)
    finally:
        loop.stop()
        seen.close()
        assistant.settings = base
    timings = said.timings.relative()
    row = {"file": f"{wav.parent.name}/{wav.name}", "variant": variant}
    row.update({k: timings[k] for k in STAGES})
    row["language"] = said.language
    row["transcript"] = said.text
    row["stt_s"] = round(said.recognition.seconds, 4) if said.recognition else None
    row["stt_path"] = getattr(stt, "last_path", "")
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
    ap.add_argument("--files", nargs="*", help="WAV files (default: every fixture utterance with a transcript)")
    ap.add_argument("--tts-threads", type=int, default=0, help="voice threads (default: the placement plan's)")
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
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
    jarvis = build(settings, memory=False, metrics=False).start(preload=False, mcp=False)  # as `jarvis` builds it
    assistant = jarvis.assistant
    assistant.set_model(args.model)
    assistant.pool.get(args.model)
    stt = load_stt(settings, assistant.plan)
    tts_place = assistant.plan.get("tts")
    tts_threads = args.tts_threads or (tts_place.n_threads if tts_place else 0)
    voices = VoiceSet(settings.tts, tts_threads)  # as the voice loop does
    voices.preload()
    load_s = time.monotonic() - t0
    rows = []
    try:
        for i, wav in enumerate(files):
            order = args.variants if i % 2 == 0 else list(reversed(args.variants))
            for variant in order:
                rows.append(one_turn(assistant, stt, voices, wav, variant, args.realtime, tmp))
    finally:
        jarvis.close()

    summary = stage_summary(rows, "variant", args.variants, (*STAGES, "stt_s", "first_chunk_tts_s"))
    result = {
        "benchmark": "voice_latency",
        "setup": "variant rig: jarvis.assembly.build on the shipped config with memory and "
                 "routing off (one named model)",
        "what": "seconds from end of speech (the VAD's last voiced frame) to each moment of the turn",
        "model": args.model,
        "max_tokens": args.max_tokens,
        "stt_model": str(settings.stt.model.name),
        "realtime_input": args.realtime,
        "tts_threads": tts_threads,
        "turns": len(rows),
        "models_load_s": round(load_s, 2),
        "first_audio_p50": first_audio_p50(summary, args.variants),
        "summary": summary,
        "median_words_heard": statistics.median([r.get("heard_words", 0) for r in rows]) if rows else 0,
        "rows": rows,
    }
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
