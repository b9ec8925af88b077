"""Voice sub-commands: ``jarvis transcribe FILE.wav`` and ``jarvis say "text" -o out.wav``."""

from __future__ import annotations

import argparse
import re
import sys
import time
from typing import Any

from jarvis.commands.common import add_json_flag, print_json, settings_from
from jarvis.commands.inputs import read_stdin, text_arg, writable_output
from jarvis.commands.steps import Steps
from jarvis.config import Settings
from jarvis.errors import EmptyInput, InputError

MAX_TRANSCRIBE_S = 4 * 3600  # longer files are refused before they are read into memory
LONG_AUDIO_S = 30.0  # transcribing more than this says what it is doing on stderr
MANY_PIECES = 8  # `say` with more pieces than this shows its progress on stderr

_LANG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z]{2,4})?$")


def _language(value: str) -> str:
    """argparse type: a language code such as ``en``, ``es`` or ``pt-BR``."""
    if not _LANG.match(value):
        raise argparse.ArgumentTypeError(f"'{value}' is not a language code (e.g. en, es, pt-BR)")
    return value.lower().replace("_", "-")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``transcribe`` and ``say``."""
    p = sub.add_parser("transcribe", help="print the text spoken in a WAV file")
    p.add_argument("file", help="a WAV file (any rate, int16/float32, mono or stereo)")
    p.add_argument("--language", type=_language, help="fix the language (default: detect it)")
    add_json_flag(p)
    p.set_defaults(func=cmd_transcribe)

    p = sub.add_parser("say", help="speak text into a WAV file with the voice for its language")
    p.add_argument("text", help="what to say ('-' reads standard input); markdown is stripped")
    p.add_argument("-o", "--output", required=True, help="the WAV file to write")
    p.add_argument("--language", type=_language, help="language of the text (default: guess it)")
    add_json_flag(p)
    p.set_defaults(func=cmd_say)


def _plan(settings: Settings) -> Any:
    """The placement plan for this machine, or None when the machine cannot be probed."""
    try:
        from jarvis.hardware import plan_here

        return plan_here(settings)
    except Exception:  # a plan is an optimisation; CPU defaults work without one
        return None


def cmd_transcribe(args: argparse.Namespace) -> int:
    """Read the WAV, recognise it, print the text (``--json``: text, language, timings)."""
    from jarvis.audio.wavio import read_wav, wav_info
    from jarvis.stt import SAMPLE_RATE, load_stt, stt_placement

    settings = settings_from(args)
    info = wav_info(args.file)
    duration = info.frames / info.samplerate
    if duration > MAX_TRANSCRIBE_S:
        raise InputError(
            f"{args.file} is {duration / 3600:.1f} hours long; at most {MAX_TRANSCRIBE_S // 3600} hours at a time",
            "split it first, e.g. `sox in.wav part.wav trim 0 3600 : newfile : restart`",
        )
    audio = read_wav(args.file, SAMPLE_RATE)
    plan = _plan(settings)
    device, compute, threads = stt_placement(settings, plan)
    t0 = time.monotonic()
    with Steps(enabled=duration > LONG_AUDIO_S) as progress:
        progress.step(f"transcribing {duration:.0f} s of audio with {settings.stt.model.name}")
        stt = load_stt(settings, plan)
        load_s = time.monotonic() - t0
        try:
            result = stt.transcribe(audio, args.language)
        finally:
            stt.close()
    if args.json:
        doc = result.to_dict()
        doc.update(
            file=str(args.file),
            model=settings.stt.model.name,
            device=device,
            compute_type=compute,
            threads=threads,
            timings={"load_s": round(load_s, 3), "transcribe_s": round(result.seconds, 3)},
        )
        print_json(doc)
        return 0
    if not result.text:
        raise EmptyInput(
            f"no speech recognised in {args.file}",
            "check that the file holds speech and is not silent (or too quiet)",
        )
    print(result.text)
    return 0


def cmd_say(args: argparse.Namespace) -> int:
    """Speak the text sentence by sentence (as replies are spoken) and write one WAV file."""
    import numpy as np

    from jarvis.audio.wavio import WavWriter
    from jarvis.language import guess_language
    from jarvis.tts import SentenceChunker, VoiceSet
    from jarvis.tts.voices import voice_name

    settings = settings_from(args)
    output = writable_output(args.output, "output file")  # before any voice loads
    text = (read_stdin() or "") if args.text == "-" else text_arg(args.text)
    chunker = SentenceChunker(settings.tts.clause_words)
    pieces = chunker.feed(text) + chunker.flush()
    if not pieces:
        raise EmptyInput("nothing to say", "give some words (markdown and code blocks are not spoken)")
    language = args.language or guess_language(text, settings.tts.default_language)
    voices = VoiceSet(settings.tts)
    wav = WavWriter(output)  # piece by piece: a long text never sits in memory as one recording
    t0 = time.monotonic()
    spoken = None
    try:
        with Steps(enabled=len(pieces) > MANY_PIECES) as progress:
            progress.step(f"speaking {len(pieces)} pieces into {output}")
            for i, piece in enumerate(pieces):
                progress.count(f"{i + 1}/{len(pieces)}")
                spoken = voices.speak(piece, language)
                if i:
                    wav.write(np.zeros(int(spoken.sample_rate * 0.15), dtype=np.float32), spoken.sample_rate)
                wav.write(spoken.audio, spoken.sample_rate)
        path = wav.commit()
    finally:
        wav.discard()
        voices.close()
    assert spoken is not None
    total_s = time.monotonic() - t0
    if spoken.note:
        sys.stderr.write(f"note: {spoken.note}\n")
    duration = wav.frames / wav.sample_rate
    if args.json:
        print_json(
            {
                "output": str(path),
                "language": spoken.language,
                "voice": spoken.voice,
                "voice_name": voice_name(settings.tts, spoken.language),
                "fell_back": spoken.fell_back,
                "note": spoken.note,
                "sample_rate": wav.sample_rate,
                "audio_s": round(duration, 3),
                "seconds": round(total_s, 3),
                "real_time_factor": round(total_s / duration, 4) if duration else 0.0,
                "sentences": pieces,
            }
        )
    else:
        name = voice_name(settings.tts, spoken.language)
        print(f"wrote {path} ({duration:.1f} s, {spoken.voice} voice, {spoken.language}: {name})")
    return 0
