"""``jarvis ask --input q.wav [--output a.wav] [--json]``: one whole voice turn, headless.

The file is replayed as the microphone at real time through the voice pipeline; everything said until
the file ends is one question. The reply streams to stdout, is spoken into ``--output`` (or the
speaker), and the turn's timeline is printed (``--json``: one document). The input and the output
path are checked before anything loads; progress (replay position, thinking, speaking) goes to
stderr, as does a note when long-term memory is off.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jarvis.assembly import build
from jarvis.audio.events import HeardText
from jarvis.commands.common import print_json
from jarvis.commands.inputs import writable_output
from jarvis.commands.notes import MemoryOffNote
from jarvis.commands.steps import Steps
from jarvis.config import Settings
from jarvis.errors import AudioDeviceError, EmptyInput, InputError, JarvisError
from jarvis.messages import ReplyDone, StageError, TokenDelta, Transcript
from jarvis.pipeline.recorder import EventRecorder
from jarvis.pipeline.voice_graph import Voice

MAX_QUESTION_S = 600.0  # a spoken question longer than this is refused before it is replayed


def run_voice_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Replay ``args.input`` as the microphone, answer it, speak the reply, print the timeline."""
    from jarvis.audio.devices import WavFileInput
    from jarvis.audio.wavio import wav_info

    output_path = writable_output(args.output, "output file") if args.output else None
    info = wav_info(args.input)
    minutes = info.frames / info.samplerate / 60
    if minutes * 60 > MAX_QUESTION_S:
        raise InputError(
            f"{Path(args.input).name} is {minutes:.0f} minutes long: too long for one question",
            f"record a question under {MAX_QUESTION_S // 60:.0f} minutes, or use `jarvis transcribe` for long audio",
        )
    source = WavFileInput(args.input, settings.audio.sample_rate, settings.audio.block_ms, realtime=True)
    use_json = bool(args.json)
    jarvis = build(
        settings, resume=args.resume, model=args.model, memory=not args.no_memory, max_tokens=args.max_tokens
    )
    progress = Steps()
    with jarvis, progress, EventRecorder(jarvis.assistant.bus) as seen:
        jarvis.assistant.bus.subscribe(MemoryOffNote())
        if not use_json:
            jarvis.assistant.bus.subscribe(_print_deltas)
        jarvis.start()  # the chat model and the memory embedder load beside the speech models
        options: dict[str, Any] = dict(input=source, hands_free=True, merge_input=True)
        try:
            loop = jarvis.start_voice(output_path=output_path, realtime_output=False, **options)
        except AudioDeviceError as exc:  # no speaker: answer without speaking
            sys.stderr.write(f"note: {exc.one_line()}; the reply is not spoken\n")
            loop = jarvis.start_voice(use_output=False, **options)
        if loop.player is None and output_path is None and not use_json:
            sys.stderr.write("note: no speaker; the reply is printed only\n")
        total = source.duration_s
        progress.step(f"listening to {source.name} ({total:.1f} s, replayed at real time)")

        def replayed() -> bool:
            progress.count(f"{min(source.position_s, total):.1f}/{total:.1f} s")
            return False

        said = _wait_transcript(seen, loop, total + 120.0, replayed)
        progress.close()  # the reply streams to stdout from here: no live line beside it
        if not progress.live:
            progress.step("heard the question; answering")
        if not use_json:
            sys.stdout.write(f"you ({said.language or '?'}): {said.text}\njarvis: ")
            sys.stdout.flush()
        reply = _wait_reply(seen, said.turn_id, 600.0)
        heard = None
        if loop.player is not None:
            if output_path is not None and not progress.live:
                progress.step(f"speaking the reply into {output_path}")
            heard = seen.wait_for(HeardText, lambda e: e.turn_id == said.turn_id, timeout=600.0)
        jarvis.assistant.bus.unsubscribe(_print_deltas)
    errors = seen.of(StageError)
    timeline = said.timings.relative()
    output = loop.player.output if loop.player is not None else None
    out_audio = getattr(output, "audio", None)
    audio_s = len(out_audio()) / output.sample_rate if callable(out_audio) else None  # type: ignore[union-attr]
    if use_json:
        stt = said.recognition
        print_json(
            {
                "transcript": said.text,
                "language": said.language,
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


def _print_deltas(ev: Any) -> None:
    if isinstance(ev, TokenDelta):
        sys.stdout.write(ev.text)
        sys.stdout.flush()


def _wait_transcript(
    seen: EventRecorder, loop: Voice, timeout: float, tick: Callable[[], bool] = lambda: False,
) -> Transcript:
    """The voice turn's transcript; EmptyInput when the file holds no speech (``tick`` runs while waiting)."""
    seg = loop.segmenter

    def no_speech() -> bool:
        heard_nothing = seen.first(StageError, lambda e: isinstance(e.cause, EmptyInput)) is not None
        return heard_nothing or (seg is not None and seg.ended.is_set() and seg.utterances == 0
                                 and not seen.of(Transcript))

    def failed() -> StageError | None:
        return seen.first(StageError, lambda e: e.stage in ("stt", "voice") and not isinstance(e.cause, EmptyInput))

    said = seen.wait_for(Transcript, lambda t: t.source == "voice", timeout,
                         give_up=lambda: tick() or no_speech() or failed() is not None)
    if said is not None:
        return said
    if no_speech():
        name = Path(getattr(seg.source, "name", "input")).name if seg is not None else "input"
        raise EmptyInput(
            f"no speech found in {name} (silence or noise only)",
            "record the question again, closer to the microphone",
        )
    error = failed()
    if error is not None:
        raise JarvisError(error.message, error.hint)
    raise JarvisError("the voice turn timed out before a transcript", "try a shorter recording")


def _wait_reply(seen: EventRecorder, turn_id: int, timeout: float) -> ReplyDone:
    """The reply to ``turn_id``; the model's error when it could not answer."""

    def failed() -> StageError | None:
        return seen.first(StageError, lambda e: e.stage in ("llm", "model"))

    reply = seen.wait_for(ReplyDone, lambda r: r.turn_id == turn_id, timeout, give_up=lambda: failed() is not None)
    if reply is not None:
        return reply
    error = failed()
    if error is not None:
        raise JarvisError(error.message, error.hint)
    raise JarvisError("no reply in time", "try a smaller model (--model) or fewer tokens")
