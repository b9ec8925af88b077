"""``jarvis voice enroll | forget | status``: the owner's voiceprint for ``audio.only_my_voice``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from jarvis.commands.common import add_json_flag, print_json, settings_from
from jarvis.config import Settings
from jarvis.errors import InputError

ENROL_S = 15.0
READ_ALOUD = (
    "Read this aloud in your normal voice, as you talk to Jarvis (any language):\n"
    "  \"Hey Jarvis, what's the weather like tomorrow? Set a timer for ten minutes and remind me to call\n"
    "   my sister. What is the capital of Australia? Tell me a short story about a dragon who bakes bread.\"\n"
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``voice`` and its actions."""
    p = sub.add_parser("voice", help="your voiceprint: only your voice starts turns (audio.only_my_voice)")
    vsub = p.add_subparsers(dest="voice_command", metavar="ACTION", required=True)
    e = vsub.add_parser("enroll", help="record 10-20 s of your speech and keep its voiceprint")
    e.add_argument("--input", help="a WAV file of your speech instead of the microphone")
    e.add_argument("--seconds", type=float, default=ENROL_S, help=f"how long to record (default {ENROL_S:.0f})")
    add_json_flag(e)
    e.set_defaults(func=cmd_enroll)
    f = vsub.add_parser("forget", help="delete your voiceprint")
    f.set_defaults(func=cmd_forget)
    s = vsub.add_parser("status", help="whether a voiceprint is kept and whether it is used")
    add_json_flag(s)
    s.set_defaults(func=cmd_status)


def voiced_seconds(audio: Any, settings: Settings) -> float:
    """Seconds of ``audio`` (16 kHz) the VAD calls speech."""
    from jarvis.audio.vad import make_classifier

    classify = make_classifier(settings.audio.vad, 16000)
    n = 16000 * settings.audio.vad.frame_ms // 1000
    frames = [audio[i:i + n] for i in range(0, len(audio) - n + 1, n)]
    return sum(1 for f in frames if classify(f)) * settings.audio.vad.frame_ms / 1000


def _record(settings: Settings, seconds: float) -> Any:
    """``seconds`` from the configured microphone, 16 kHz float32."""
    import numpy as np

    from jarvis.audio.capture import open_input

    mic = open_input(settings.audio, None, True)
    blocks: list = []
    mic.start()
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            block = mic.read(timeout=0.2)
            if block is not None:
                blocks.append(np.asarray(block, np.float32))
            sys.stderr.write(f"\r  recording… {max(0.0, end - time.monotonic()):4.1f} s left ")
            sys.stderr.flush()
    finally:
        mic.close()
        sys.stderr.write("\n")
    audio = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    if mic.sample_rate != 16000:
        from jarvis.audio.wavio import resample

        audio = resample(audio, mic.sample_rate, 16000)
    return audio


def cmd_enroll(args: argparse.Namespace) -> int:
    """Record (or read) the owner's speech, embed it and store the voiceprint (0600)."""
    from jarvis.audio.speaker_id import MIN_ENROL_S, SpeakerEmbedder, save_voiceprint
    from jarvis.audio.wavio import read_wav

    settings = settings_from(args)
    embedder = SpeakerEmbedder(settings.audio.speaker.model)  # a missing model fails before the recording
    if args.input:
        audio = read_wav(args.input, 16000)
    else:
        if not 5 <= args.seconds <= 120:
            raise InputError("--seconds must be between 5 and 120", "10-20 s of talking is enough")
        sys.stderr.write(READ_ALOUD)
        audio = _record(settings, args.seconds)
    voiced = voiced_seconds(audio, settings)
    if voiced < MIN_ENROL_S:
        raise InputError(
            f"only {voiced:.1f} s of speech heard; a voiceprint needs {MIN_ENROL_S:.0f} s",
            "speak for longer (--seconds 20), closer to the microphone; nothing was stored",
        )
    path = save_voiceprint(settings.general.data_dir, embedder(audio), voiced)
    used = "on" if settings.audio.only_my_voice else "off: set audio.only_my_voice = true to use it"
    if args.json:
        print_json({"path": str(path), "voiced_s": round(voiced, 1), "only_my_voice": settings.audio.only_my_voice})
    else:
        print(f"voiceprint stored ({voiced:.1f} s of speech) in {path}; only your voice: {used}")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    """Delete the voiceprint."""
    from jarvis.audio.speaker_id import forget_voiceprint, voiceprint_path

    settings = settings_from(args)
    if forget_voiceprint(settings.general.data_dir):
        print(f"voiceprint deleted ({voiceprint_path(settings.general.data_dir)}); any voice counts again")
    else:
        print("no voiceprint was stored")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Say whether a voiceprint is kept and used."""
    from jarvis.audio.speaker_id import load_voiceprint, voiceprint_path

    settings = settings_from(args)
    kept = load_voiceprint(settings.general.data_dir) is not None
    on = settings.audio.only_my_voice and kept
    if args.json:
        print_json({"enrolled": kept, "only_my_voice": settings.audio.only_my_voice, "in_use": on,
                    "path": str(voiceprint_path(settings.general.data_dir))})
    else:
        state = "in use" if on else "not used (audio.only_my_voice = false)" if kept else "none stored"
        print(f"voiceprint: {state}")
    return 0
