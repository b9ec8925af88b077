"""Spoken questions in the TUI, as a user asks them: end of speech -> first audio, per stage.

A private PulseAudio daemon gives a virtual microphone and speaker (``devsupport/pulse.py``);
the Textual app runs headless (``App.run_test``) on a Jarvis built through ``jarvis.assembly`` from
the shipped config.toml as ``jarvis`` runs it (routing, memory, tools, the response cache; only the
data folder and the memory store move to a temp folder). ``--variant quiet`` is the older setup,
printed as such: one model, memory and routing off, temperature 0. Every spoken-question fixture
(``tests/fixtures/speech/questions``) is played into the microphone, first with push-to-talk (the key
opens the microphone, the end-of-turn judge closes it) and then hands-free. Prints one JSON
document: per-turn times from the end of speech (the VAD's last voiced frame) to the end-of-turn
decision, the transcript, the first token and the first audio at the speaker, p50/p95 per mode and
language, and the reply's tokens/s.

    .venv/bin/python bench/tui_voice.py [--variant shipped|quiet] [--modes ptt cached hands_free]
    .venv/bin/python bench/tui_voice.py --variant quiet [--model qwen-0.5b] [--max-tokens 48]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import emit, first_audio_p50, quiet_settings, shipped_settings, stage_summary  # noqa: E402
from devsupport import pulse  # noqa: E402
from jarvis.assembly import build  # noqa: E402
from jarvis.audio.events import BargeInPause, HeardText, VoiceReady  # noqa: E402
from jarvis.messages import ReplyDone, Transcript  # noqa: E402
from jarvis.ui.app import JarvisApp  # noqa: E402

QUESTIONS = ROOT / "tests" / "fixtures" / "speech" / "questions"
STAGES = ("turn_end", "transcript_ready", "first_token", "first_sentence", "first_speech_ready", "first_audio_out")


def voice_turn(events: list) -> Transcript | None:
    """The first spoken turn among ``events``."""
    return next((e for e in events if isinstance(e, Transcript) and e.source == "voice"), None)


async def ask_all(jarvis, server, files: list[Path], modes: list[str], device: dict) -> list[dict]:
    """Speak every file in every mode through the TUI; one row per turn (``device`` gets the
    speaker's underruns and buffer)."""
    events: list = []
    jarvis.assistant.bus.subscribe(events.append)
    app = JarvisApp(jarvis, voice=True)
    rows: list[dict] = []

    async def until(cond, timeout: float = 120.0) -> bool:
        for _ in range(int(timeout / 0.05)):
            if cond():
                return True
            await pilot.pause(0.05)
        return False

    async with app.run_test(size=(120, 40)) as pilot:
        await until(lambda: any(isinstance(e, VoiceReady) for e in events))
        for mode in modes:
            if mode == "hands_free":
                await pilot.press("ctrl+f")
                await pilot.pause(0.5)
            if mode != "cached" and jarvis.assistant.answers is not None:
                jarvis.assistant.answers.clear()  # a mode measures the model; "cached" asks the same again
            for wav in files:
                jarvis.assistant.clear()
                start = len(events)
                player = app.voice.player if app.voice else None
                stalled = player.stalled_s if player else 0.0
                underruns = player.output.underruns if player else 0
                if mode in ("ptt", "cached"):
                    await pilot.press("ctrl+t")
                    await pilot.pause(0.3)
                await asyncio.to_thread(server.play, wav)
                await until(lambda s=start: voice_turn(events[s:]) is not None)
                said = voice_turn(events[start:])
                if said is not None:
                    await until(lambda s=start, t=said.turn_id: any(
                        isinstance(e, HeardText) and e.turn_id == t for e in events[s:]), 180)
                if said is None:
                    rows.append({"file": wav.name, "mode": mode, "error": "no voice turn"})
                    continue
                done = next((e for e in events[start:] if isinstance(e, ReplyDone) and e.turn_id == said.turn_id), None)
                rel = said.timings.relative()
                row = {"file": wav.name, "mode": mode, "language": said.language, "transcript": said.text,
                       "model": done.model if done else None}
                row.update({k: rel.get(k) for k in STAGES})
                row["tok_per_s"] = round(done.stats.tokens_per_s, 2) if done and done.stats else None
                row["stall_s"] = round(player.stalled_s - stalled, 3) if player else None
                row["underruns"] = player.output.underruns - underruns if player else None  # during this turn
                # provisional pauses of Jarvis's voice during the turn (the echo guard heard something)
                row["pauses"] = sum(isinstance(e, BargeInPause) and e.state == "paused" for e in events[start:])
                rows.append(row)
                await pilot.pause(0.5)
        output = app.voice.player.output if app.voice and app.voice.player else None
        if output is not None:
            during = sum(r.get("underruns") or 0 for r in rows)
            device.update(underruns=output.underruns, underruns_in_turns=during, ahead_s=round(output.ahead_s, 3))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", choices=["shipped", "quiet"], default="shipped",
                    help="shipped: config.toml as jarvis runs it; quiet: one model, memory and routing off")
    ap.add_argument("--model", default="qwen-0.5b", help="the model (--variant quiet)")
    ap.add_argument("--max-tokens", type=int, default=48, help="reply length (--variant quiet)")
    ap.add_argument("--modes", nargs="*", default=["ptt", "hands_free"], choices=["ptt", "hands_free", "cached"],
                    help="cached: push-to-talk again without clearing the response cache (asked before)")
    ap.add_argument("--files", nargs="*", help="WAV files (default: the spoken-question fixtures)")
    ap.add_argument("--output-buffer-ms", type=int, help="audio.output_buffer_ms (default: the config's)")
    ap.add_argument("--speakers", choices=["open", "headset"], help="audio.speakers (default: the config's)")
    args = ap.parse_args()
    if pulse.available() is not None:
        print(json.dumps({"benchmark": "tui_voice", "skipped": pulse.available()}))
        return 1

    files = [Path(f) for f in args.files] if args.files else sorted(QUESTIONS.glob("*.wav"))
    devices = {"input_device": "pulse", "output_device": "pulse"}
    if args.variant == "quiet":
        settings = quiet_settings("jarvis-bench-tui-voice-", tts={"enabled": True}, audio=devices)
        options: dict = {"model": args.model, "memory": False, "max_tokens": args.max_tokens, "metrics": False}
    else:
        settings = shipped_settings("jarvis-bench-tui-voice-", audio=devices)
        options = {"metrics": False}
    asked = (("output_buffer_ms", args.output_buffer_ms), ("speakers", args.speakers))
    audio = {k: v for k, v in asked if v is not None}
    settings = settings.model_copy(update={"audio": settings.audio.model_copy(update=audio)})
    server = pulse.pulse_server()  # stopped at exit
    with build(settings, **options) as jarvis:
        jarvis.assistant.pool.get(args.model if args.variant == "quiet" else settings.default_model.name)
        if jarvis.memory is not None:
            jarvis.memory.warm_up()
        device: dict = {"output_buffer_ms": settings.audio.output_buffer_ms}
        rows = asyncio.run(ask_all(jarvis, server, files, args.modes, device))

    summary = stage_summary(rows, "mode", args.modes, STAGES)
    for mode, langs in summary.items():
        for lang, figures in langs.items():
            mine = [r for r in rows if r["mode"] == mode and "error" not in r and lang in ("all", r["language"])]
            figures["tok_per_s_p50"] = statistics.median(r["tok_per_s"] or 0 for r in mine)
            figures["stall_s_total"] = round(sum(r.get("stall_s") or 0 for r in mine), 3)
    result = {
        "benchmark": "tui_voice",
        "what": "seconds from end of speech to each moment, spoken questions in the TUI (virtual devices)",
        "variant": args.variant,
        "model": args.model if args.variant == "quiet" else "routed (config.toml)",
        "max_tokens": args.max_tokens if args.variant == "quiet" else settings.llm.max_tokens,
        "first_audio_p50": first_audio_p50(summary, args.modes),
        "speaker": device,
        "summary": summary,
        "rows": rows,
    }
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
