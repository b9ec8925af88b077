"""Model bands benchmark: how well each shipped local model answers short prompts, per kind.

Asks every local model of the model table (or --config) a fixed set of short factual, arithmetic
and small-talk prompts with known answers (greedy, a few tokens), and prints per model and kind
the share it got right, plus the estimator's difficulty/specialty for each prompt and the model
the router picks. The model table's difficulty ranges are set from these figures (config.toml),
and ``--write FILE`` stores the per-prompt results that tests/llm/test_model_bands.py checks the
router against. Prints one JSON document.

    .venv/bin/python bench/model_bands.py [--max-tokens 16] [--models a,b] [--write FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jarvis.config import load_settings  # noqa: E402
from jarvis.hardware import plan_placement, probe  # noqa: E402
from jarvis.llm.base import ChatMessage, GenerationRequest  # noqa: E402
from jarvis.llm.difficulty import estimate  # noqa: E402
from jarvis.llm.pool import ModelPool  # noqa: E402
from jarvis.llm.router import Router  # noqa: E402

# (kind, prompt, accepted: the reply is right when it contains any of them, case-insensitive)
PROMPTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("factual", "What is the capital of France? Answer in one word.", ("paris",)),
    ("factual", "What is the capital of Japan?", ("tokyo",)),
    ("factual", "Who wrote Hamlet?", ("shakespeare",)),
    ("factual", "What is the largest planet in the solar system?", ("jupiter",)),
    ("factual", "What language is spoken in Brazil?", ("portuguese",)),
    ("factual", "How many legs does a spider have?", ("8", "eight")),
    ("factual", "What is the chemical symbol for gold?", ("au",)),
    ("factual", "Which ocean is the largest?", ("pacific",)),
    ("factual", "¿Cuál es la capital de España?", ("madrid",)),
    ("factual", "Who painted the Mona Lisa? Answer in one word.", ("vinci", "leonardo")),
    ("arithmetic", "What is 2 + 2?", ("4", "four")),
    ("arithmetic", "What is 7 times 8?", ("56",)),
    ("arithmetic", "What is 100 minus 37?", ("63",)),
    ("arithmetic", "What is 9 times 9?", ("81",)),
    ("arithmetic", "What is 144 divided by 12?", ("12", "twelve")),
    ("arithmetic", "What is 15 + 27?", ("42",)),
    ("arithmetic", "¿Cuánto es 6 por 7?", ("42",)),
    ("arithmetic", "What is 10% of 50?", ("5",)),
    ("smalltalk", "Hi Jarvis!", ("hello", "hi", "hey", "help", "greetings")),
    ("smalltalk", "Hello", ("hello", "hi", "hey", "help", "greetings")),
    ("smalltalk", "Good morning!", ("morning", "hello", "hi", "help", "day")),
    ("smalltalk", "Thanks!", ("welcome", "pleasure", "glad", "happy", "problem", "anytime")),
    ("smalltalk", "Thank you", ("welcome", "pleasure", "glad", "happy", "problem", "anytime")),
    ("smalltalk", "Bye", ("bye", "goodbye", "see you", "care", "later", "day")),
    ("smalltalk", "How are you?", ("good", "well", "fine", "great", "doing", "thank", "help")),
    ("smalltalk", "Hola", ("hola", "ayud", "hello", "hi")),
    ("smalltalk", "Gracias", ("nada", "gusto", "placer", "welcome", "denada")),
]

SYSTEM = "You are Jarvis, a helpful voice assistant. Answer briefly."


def main() -> int:
    """Measure, print JSON, optionally store the per-prompt results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", help="config file (default: the repository's config.toml)")
    ap.add_argument("--max-tokens", type=int, default=16)
    ap.add_argument("--models", default="", help="comma-separated model names (default: every local one)")
    ap.add_argument("--write", help="also write the per-prompt results to this JSON file")
    args = ap.parse_args()

    settings = load_settings(args.config or ROOT / "config.toml")
    names = [n for n in args.models.split(",") if n]
    local = [m for m in settings.models if m.is_local and (not names or m.name in names)]
    router = Router(settings)
    machine = probe()
    plan = plan_placement(machine, settings.models, settings.default_model.name,
                          settings.router.memory_margin_mb)
    pool = ModelPool(settings, plan, keep_alive_s=0)
    rows: list[dict] = []
    summary: dict = {}
    for spec in local:
        t0 = time.perf_counter()
        model = pool.get(spec.name)
        load_s = time.perf_counter() - t0
        per: dict[str, list[int]] = {}
        secs = 0.0
        for kind, prompt, accepted in PROMPTS:
            req = GenerationRequest([ChatMessage("system", SYSTEM), ChatMessage("user", prompt)],
                                    max_tokens=args.max_tokens, temperature=0.0, seed=7)
            t1 = time.perf_counter()
            text = model.complete(req)
            secs += time.perf_counter() - t1
            ok = any(a in text.lower() for a in accepted)
            per.setdefault(kind, [0, 0])
            per[kind][0] += ok
            per[kind][1] += 1
            rows.append({"model": spec.name, "kind": kind, "prompt": prompt, "ok": ok,
                         "answer": text.strip()[:80]})
        summary[spec.name] = {k: round(c / n, 3) for k, (c, n) in per.items()} | {
            "load_s": round(load_s, 2), "mean_s": round(secs / len(PROMPTS), 2)}
        pool.unload(spec.name)
    pool.close()
    routes = []
    for kind, prompt, _ in PROMPTS:
        est = estimate(prompt)
        routes.append({"kind": kind, "prompt": prompt, "difficulty": est.difficulty,
                       "specialty": est.specialty, "routed": router.decide(prompt).model})
    doc = {"benchmark": "model_bands", "max_tokens": args.max_tokens, "system": SYSTEM,
           "machine": {"cpu_cores": machine.cpu_cores, "gpus": [g.name for g in machine.gpus]},
           "accuracy": summary, "routes": routes, "results": rows}
    if args.write:
        Path(args.write).write_text(json.dumps({"results": rows, "accuracy": summary}, indent=1,
                                               ensure_ascii=False) + "\n")
    print(json.dumps(doc, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
