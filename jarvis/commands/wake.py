"""``jarvis wake FILE.wav``: every wake-word detection in a file, with its time and score."""

from __future__ import annotations

import argparse

from jarvis.commands.common import add_json_flag, print_json, settings_from
from jarvis.errors import ConfigError


def _threshold(value: str) -> float:
    """argparse type: a score strictly between 0 and 1."""
    try:
        v = float(value)
    except ValueError:
        v = -1.0
    if not 0.0 < v < 1.0:
        raise argparse.ArgumentTypeError(f"'{value}' is not a threshold between 0 and 1 (e.g. 0.5)")
    return v


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``wake``."""
    p = sub.add_parser("wake", help="find the wake word ('hey jarvis') in a WAV file: time and score of each")
    p.add_argument("file", help="a WAV file (any rate, int16/float32, mono or stereo)")
    p.add_argument("--threshold", type=_threshold, help="score that wakes (default: audio.wake.threshold)")
    p.add_argument("--scores", action="store_true", help="also print every 80 ms frame's score")
    add_json_flag(p)
    p.set_defaults(func=cmd_wake)


def cmd_wake(args: argparse.Namespace) -> int:
    """Run the wake-word detector over the file; print each detection (``--json``: one document)."""
    from jarvis.audio.wake_word import FRAME_S, LICENCE, detect_file

    settings = settings_from(args)
    wake = settings.audio.wake
    threshold = args.threshold if args.threshold is not None else wake.threshold
    if not wake.model.name.endswith(".onnx"):
        raise ConfigError(
            f"audio.wake.model must be an ONNX file, found {wake.model}", "e.g. models/wake/hey_jarvis_v0.1.onnx"
        )
    result = detect_file(args.file, wake.model, threshold, wake.refractory_s)
    if args.json:
        doc = {
            "file": str(args.file),
            "model": wake.model.name,
            "threshold": threshold,
            "refractory_s": wake.refractory_s,
            "duration_s": round(result.duration_s, 3),
            "detections": [d.to_dict() for d in result.detections],
            "max_score": round(result.max_score, 4),
            "max_score_time_s": round(result.max_score_time_s, 3),
            "frames": len(result.scores),
            "seconds": round(result.seconds, 3),
            "licence": LICENCE,
        }
        if args.scores:
            doc["frame_s"] = FRAME_S
            doc["scores"] = [round(float(s), 4) for s in result.scores]
        print_json(doc)
        return 0
    if args.scores:
        for i, s in enumerate(result.scores):
            print(f"{(i + 1) * FRAME_S:8.2f} s  {s:.4f}")
    for d in result.detections:
        print(f"{d.time_s:8.2f} s  score {d.score:.3f}  (wake phrase ended ~{d.phrase_end_sample / 16000:.2f} s)")
    n = len(result.detections)
    print(
        f"{n} detection{'s' if n != 1 else ''} in {result.duration_s:.1f} s at threshold {threshold:g} "
        f"(highest score {result.max_score:.3f} at {result.max_score_time_s:.2f} s)"
    )
    return 0
