"""Time to a reply's first audio in the voice alone: synthesis of the first piece, per way of cutting it.

Twelve Spanish replies (the kind the model writes) go through the TTS stage's chunker three ways:
the shipped cut (``tts.first_piece_words`` with ``tts.first_piece_at_phrase``: the first piece may
end before a word that starts a phrase), the same length limit without the phrase rule, and no early
cut (the whole first sentence). Each first piece is synthesised with the configured Spanish voice
(Kokoro ``ef_dora``), warm, nothing else running. Prints one JSON document: synthesis seconds and
audio seconds per variant (p50/p95), and every piece.

    .venv/bin/python bench/tts_first_piece.py [--language es] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import emit, pct  # noqa: E402
from jarvis.config import load_settings  # noqa: E402
from jarvis.pipeline.tts_stage import chunker_for_engine  # noqa: E402
from jarvis.tts.chunker import SentenceChunker  # noqa: E402
from jarvis.tts.voices import VoiceSet, voice_name  # noqa: E402

REPLIES = {
    "es": [
        "La capital de Francia es París, una ciudad preciosa.",
        "Claro, aquí tienes un chiste corto sobre programadores.",
        "En Madrid son las siete y cuarto de la tarde.",
        "Una araña tiene ocho patas y dos partes en el cuerpo.",
        "El agua hierve a cien grados al nivel del mar.",
        "Mañana por la mañana va a llover en toda la región.",
        "Tu reunión con el equipo empieza a las diez en la sala grande.",
        "Para hacer una tortilla necesitas huevos, patatas y cebolla.",
        "El libro que buscas está en la segunda estantería del salón.",
        "Buenas noches, espero que hayas tenido un buen día.",
        "Los tomates crecen mejor con mucho sol y poca agua.",
        "Hoy es martes, uno de diciembre de dos mil veintiséis.",
    ],
    "en": [
        "The capital of France is Paris, a beautiful city.",
        "Sure, here is a short joke about programmers.",
        "In Madrid it is a quarter past seven in the evening.",
        "A spider has eight legs and two body parts.",
        "Water boils at one hundred degrees at sea level.",
        "Tomorrow morning it is going to rain across the region.",
    ],
}


def first_piece(text: str, chunker: SentenceChunker) -> str:
    """The first piece ``chunker`` cuts from ``text`` streamed two characters at a time (like tokens)."""
    for i in range(0, len(text), 2):
        pieces = chunker.feed(text[i:i + 2])
        if pieces:
            return pieces[0]
    return chunker.flush()[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--language", default="es", choices=sorted(REPLIES))
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    tts = load_settings(None).tts
    engine = tts.voices.get(args.language, "")
    longest = tts.first_piece_words.get(engine, 12)
    variants = {
        "shipped (phrase cut)": chunker_for_engine(tts, engine, phrase_cut=True),
        f"{longest} words, no phrase cut": chunker_for_engine(tts, engine, phrase_cut=False),
        "whole first sentence": SentenceChunker(tts.clause_words, 0),
    }
    voices = VoiceSet(tts, threads=2)
    voices.speak("Hola, buenos días." if args.language == "es" else "Hello there.", args.language)  # warm
    result: dict = {"benchmark": "tts_first_piece", "language": args.language, "engine": engine,
                    "voice": voice_name(tts, args.language), "variants": {}}
    for name, chunker in variants.items():
        rows = []
        for reply in REPLIES[args.language]:
            chunker.reset()
            piece = first_piece(reply, chunker)
            times = []
            for _ in range(args.repeats):
                t0 = time.monotonic()
                spoken = voices.speak(piece, args.language)
                times.append(time.monotonic() - t0)
            rows.append({"piece": piece, "words": len(piece.split()), "synth_s": round(statistics.median(times), 3),
                         "audio_s": round(spoken.duration_s, 3)})
        result["variants"][name] = {
            "synth_s": {"p50": pct((r["synth_s"] for r in rows), 50), "p95": pct((r["synth_s"] for r in rows), 95)},
            "audio_s_p50": pct((r["audio_s"] for r in rows), 50),
            "words_p50": pct((r["words"] for r in rows), 50),
            "pieces": rows,
        }
    voices.close()
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
