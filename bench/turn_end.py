"""Does the end-of-turn model tell a finished sentence from a pause in the middle of one?

Real speech (the LibriVox fixtures and the 60 s lecture, ``tests/fixtures/speech/en``) is cut at
word ends found by faster-whisper's word timestamps: at the end of a sentence (the word carries
., ? or !) and in the middle of one (at least three words before the sentence goes on). Each cut
gets ``--silence-ms`` of quiet appended (what the VAD has heard when it asks) and is scored by
Smart Turn v3.2. Prints one JSON document: the probability per cut, how many of each kind score
"complete" at the threshold, and the model's time per call.

    .venv/bin/python bench/turn_end.py [--threshold 0.5] [--silence-ms 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import emit  # noqa: E402
from jarvis.audio.turn_end import TurnEndModel, ends_unfinished  # noqa: E402
from jarvis.audio.wavio import read_wav  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "speech" / "en"
MODEL = ROOT / "models" / "smart-turn" / "smart-turn-v3.2-cpu.onnx"
SENTENCE_END = (".", "?", "!")
ABBREVIATIONS = {"mr.", "mrs.", "dr.", "st.", "ms."}


def cuts(words: list, min_mid_words: int = 3) -> list[tuple[str, float, str]]:
    """(kind, cut time, last word) triples: "end" after a sentence-final word, "mid" inside a sentence."""
    out = []
    run = 0  # words since the sentence started
    for i, w in enumerate(words):
        run += 1
        text = w.word.strip()
        if text.endswith(SENTENCE_END) and text.lower() not in ABBREVIATIONS:
            out.append(("end", w.end, text))
            run = 0
        elif run >= min_mid_words and i + 2 < len(words) and not words[i + 1].word.strip()[:1].isupper():
            if not words[i + 1].word.strip().endswith(SENTENCE_END):
                out.append(("mid", w.end, text))
                run = -2  # space the mid cuts out
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--silence-ms", type=int, default=200)
    args = ap.parse_args()

    from faster_whisper import WhisperModel

    whisper = WhisperModel(str(ROOT / "models" / "whisper-base"), device="cpu", compute_type="int8",
                           local_files_only=True)
    model = TurnEndModel(MODEL)
    model.warm_up()
    rng = np.random.default_rng(0)
    rows, seconds = [], []
    for wav in sorted(FIXTURES.glob("*.wav")):
        audio = read_wav(wav)
        segs, _ = whisper.transcribe(audio, language="en", word_timestamps=True, beam_size=1,
                                     condition_on_previous_text=False)
        words = [w for s in segs for w in (s.words or [])]
        for kind, t, last in cuts(words):
            piece = audio[: int(t * 16000)]
            quiet = (rng.standard_normal(args.silence_ms * 16) * 1e-4).astype(np.float32)
            t0 = time.monotonic()
            p = model.probability(np.concatenate([piece, quiet]))
            seconds.append(time.monotonic() - t0)
            vetoed = ends_unfinished(last)
            rows.append({"file": wav.name, "cut_s": round(t, 2), "kind": kind, "last_word": last,
                         "p_complete": round(p, 3), "text_says_unfinished": vetoed})

    def kind_summary(kind: str) -> dict:
        ps = [r["p_complete"] for r in rows if r["kind"] == kind]
        done = sum(p >= args.threshold for p in ps)
        both = sum(r["p_complete"] >= args.threshold and not r["text_says_unfinished"]
                   for r in rows if r["kind"] == kind)
        return {"cuts": len(ps), "scored_complete": done,
                "share_complete": round(done / len(ps), 3) if ps else None,
                "share_complete_with_text_veto": round(both / len(ps), 3) if ps else None,
                "p_median": round(statistics.median(ps), 3) if ps else None}

    result = {
        "benchmark": "turn_end",
        "what": "Smart Turn v3.2 on real speech cut at sentence ends vs mid-sentence",
        "threshold": args.threshold,
        "silence_ms_appended": args.silence_ms,
        "sentence_end": kind_summary("end"),
        "mid_sentence": kind_summary("mid"),
        "model_ms_p50": round(1000 * statistics.median(seconds), 1) if seconds else None,
        "rows": rows,
    }
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
