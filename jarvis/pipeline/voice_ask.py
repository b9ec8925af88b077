"""``jarvis ask --input q.wav [--output a.wav] [--json]``: one whole voice turn, headless.

The file is replayed as the microphone at real time through the voice loop; everything said until
the file ends is one question. The reply streams to stdout, is spoken into ``--output`` (or the
speaker), and the turn's timeline is printed (``--json``: one document).
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

from jarvis.errors import AudioDeviceError, EmptyInput, JarvisError
from jarvis.messages import ReplyDone, StageError, TokenDelta, TurnTimings
from jarvis.pipeline.voice import VoiceLoop


def run_voice_ask(args: Any, settings: Any) -> int:
    """``jarvis ask --input q.wav [--output a.wav] [--json]``: one whole voice turn, headless.

    The file is replayed as the microphone (real time), the VAD finds the speech, the transcript
    is answered, the reply is spoken into ``--output`` (or the speaker) and the timeline printed.
    """
    from jarvis.audio.devices import WavFileInput
    from jarvis.commands.core import build_assistant, warm_up_memory

    source = WavFileInput(args.input, settings.audio.sample_rate, settings.audio.block_ms, realtime=True)
    assistant = build_assistant(args, settings, memory=not getattr(args, "no_memory", False))
    warming = warm_up_memory(assistant)  # beside the speech and chat models, not after the transcript
    use_json = bool(getattr(args, "json", False))
    done: dict[str, Any] = {}
    errors: list[StageError] = []

    def observe(ev: Any) -> None:
        if isinstance(ev, TokenDelta) and not use_json:
            sys.stdout.write(ev.text)
            sys.stdout.flush()
        elif isinstance(ev, ReplyDone):
            done["reply"] = ev
        elif isinstance(ev, StageError):
            errors.append(ev)

    output_path = getattr(args, "output", None)
    loop = VoiceLoop(
        assistant, input=source, output_path=output_path, realtime_output=False,
        hands_free=True, merge_input=True,
    )
    assistant.bus.subscribe(observe)
    assistant.start(preload=False)
    # our own preload, joined before shutdown: freeing a model while it loads is not safe
    preload = threading.Thread(target=_preload, args=(assistant,), name="jarvis-preload", daemon=True)
    preload.start()
    try:
        try:
            loop.start()
        except AudioDeviceError as exc:  # no speaker: answer without speaking
            sys.stderr.write(f"note: {exc.one_line()}; the reply is not spoken\n")
            loop = VoiceLoop(assistant, input=source, hands_free=True, merge_input=True, use_output=False)
            loop.start()
        if loop.player is None and output_path is None and not use_json:
            sys.stderr.write("note: no speaker; the reply is printed only\n")
        turn_id = _wait_turn(loop, source.duration_s + 120.0, errors)
        if not use_json:
            lang = loop.turn_language.get(turn_id) or "?"
            sys.stdout.write(f"you ({lang}): {loop.turn_text[turn_id]}\njarvis: ")
            sys.stdout.flush()
        _wait_reply(done, errors, 600.0)
        heard = loop.wait_heard(turn_id, 600.0) if loop.player is not None else None
    finally:
        loop.close()
        preload.join(300)
        if warming is not None:
            warming.join(120)
        assistant.bus.unsubscribe(observe)
        memory = getattr(assistant, "memory", None)
        if memory is not None:
            memory.close()
        assistant.shutdown()
    reply: ReplyDone = done["reply"]
    timings = loop.timings.get(turn_id) or reply.timings or TurnTimings()
    timeline = timings.relative()
    stt = loop.last_stt
    out_audio = getattr(loop.player.output, "audio", None) if loop.player is not None else None
    audio_s = (len(out_audio()) / loop.player.output.sample_rate) if callable(out_audio) else None
    if use_json:
        from jarvis.cli import print_json

        print_json(
            {
                "transcript": loop.turn_text.get(turn_id, ""),
                "language": loop.turn_language.get(turn_id),
                "reply": reply.text,
                "heard": heard.text if heard is not None else None,
                "model": reply.model,
                "interrupted": reply.interrupted,
                "timings": timeline,
                "stt": stt.to_dict() if stt is not None else None,
                "output": str(output_path) if output_path else None,
                "output_audio_s": round(audio_s, 3) if audio_s is not None else None,
                "errors": [e.message for e in errors],
            }
        )
    else:
        sys.stdout.write("\n")
        parts = [f"{k} {v:+.3f}s" for k, v in timeline.items() if v is not None]
        sys.stdout.write("timeline (from end of speech): " + " | ".join(parts) + "\n")
        if output_path and audio_s is not None:
            sys.stdout.write(f"spoken reply: {output_path} ({audio_s:.1f} s)\n")
    return 0


def _preload(assistant: Any) -> None:
    name = assistant.forced_model or assistant.settings.default_model.name
    try:
        assistant.pool.get(name)
    except JarvisError as exc:
        assistant.bus.publish(StageError("model", exc.message, exc.hint))


def _wait_turn(loop: VoiceLoop, timeout: float, errors: list[StageError]) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if loop.turn_submitted.wait(0.05):
            return loop.last_turn_id  # type: ignore[return-value]
        seg = loop.segmenter
        if loop.no_speech.is_set() or (seg is not None and seg.ended.is_set() and seg.utterances == 0):
            name = Path(getattr(seg.source, "name", "input")).name if seg is not None else "input"
            raise EmptyInput(
                f"no speech found in {name} (silence or noise only)",
                "record the question again, closer to the microphone",
            )
        stt_errors = [e for e in errors if e.stage in ("stt", "voice")]
        if stt_errors:
            raise JarvisError(stt_errors[0].message, stt_errors[0].hint)
    raise JarvisError("the voice turn timed out before a transcript", "try a shorter recording")


def _wait_reply(done: dict, errors: list[StageError], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while "reply" not in done:
        llm_errors = [e for e in errors if e.stage in ("llm", "model")]
        if llm_errors:
            raise JarvisError(llm_errors[0].message, llm_errors[0].hint)
        if time.monotonic() > deadline:
            raise JarvisError("no reply in time", "try a smaller model (--model) or fewer tokens")
        time.sleep(0.02)
