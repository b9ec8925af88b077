"""Routing benchmark: accuracy and time of always-small, always-large and routed, in one run.

Runs ~20 short questions with known answers through the repository's model table (or --config),
answering each with the smallest local model, the largest local model, and the model the router
picks. Also times the router itself and reports its band/specialty accuracy on the labelled
prompt sets in tests/data. Prints one JSON document.

    .venv/bin/python bench/routing.py [--max-tokens 24] [--limit N] [--config FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jarvis.config import load_settings  # noqa: E402
from jarvis.hardware import plan_placement, probe  # noqa: E402
from jarvis.history import Turn  # noqa: E402
from jarvis.llm.base import ChatMessage, GenerationRequest  # noqa: E402
from jarvis.llm.difficulty import estimate  # noqa: E402
from jarvis.llm.pool import ModelPool  # noqa: E402
from jarvis.llm.router import Router  # noqa: E402

# (question, accepted answers: the reply is right when it contains any of them, case-insensitive)
QUESTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("What is the capital of France?", ("paris",)),
    ("Who wrote Romeo and Juliet?", ("shakespeare",)),
    ("What colour do you get by mixing blue and yellow?", ("green",)),
    ("How many days are there in a week?", ("7", "seven")),
    ("¿Cuál es la capital de Argentina?", ("buenos aires",)),
    ("¿De qué color es el cielo en un día despejado?", ("azul",)),
    ("What is 7 times 8?", ("56",)),
    ("What is 15% of 80?", ("12",)),
    ("Solve the equation 3x + 7 = 22 for x.", ("5",)),
    ("¿Cuánto es 12 por 12?", ("144",)),
    ("What is 2 to the power of 10?", ("1024", "1,024")),
    ("If a train travels 60 km per hour for 3 hours, how many km does it travel?", ("180",)),
    ("In Python, what does len('hello') return?", ("5",)),
    ("Which Python keyword defines a function?", ("def",)),
    ("What does the SQL keyword to remove duplicate rows in a SELECT look like?", ("distinct",)),
    ("In JavaScript, which keyword declares a block-scoped constant?", ("const",)),
    ("If all bloops are razzies and all razzies are lazzies, are all bloops lazzies? Answer yes or no.",
     ("yes",)),
    ("Tom is taller than Ann and Ann is taller than Bob. Who is the shortest? Answer with a name.", ("bob",)),
    ("Summarize in one word what this is about: 'The striker scored twice and the team won the cup final.'",
     ("football", "soccer", "sport", "match", "victory", "win", "goal")),
    ("Resume en una palabra el tema: 'El chef preparó una paella con arroz, marisco y azafrán.'",
     ("cocina", "comida", "paella", "gastronom", "receta", "plato")),
]

SYSTEM = "You are a helpful assistant. Answer with the answer only, in as few words as possible."


def router_timing(router: Router) -> dict:
    """Per-call time of estimate+choose over the labelled prompts, and their band/specialty accuracy."""
    out: dict = {}
    rows = []
    for name in ("routing_prompts.jsonl", "routing_prompts_holdout.jsonl"):
        path = ROOT / "tests" / "data" / name
        if not path.is_file():
            continue
        data = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
        rows += data
        ok_b = ok_s = 0
        for r in data:
            conv = [Turn("user", c) for c in r.get("context", [])]
            est = estimate(r["text"], conv)
            ok_b += est.band == r["band"]
            ok_s += est.specialty == r["specialty"]
        out[name] = {"n": len(data), "band_accuracy": round(ok_b / len(data), 3),
                     "specialty_accuracy": round(ok_s / len(data), 3)}
    times = []
    for _ in range(5):
        for r in rows:
            t0 = time.perf_counter()
            router.decide(r["text"])
            times.append((time.perf_counter() - t0) * 1e6)
    times.sort()
    out["decide_us"] = {"n": len(times), "mean": round(statistics.fmean(times), 1),
                        "p50": round(times[len(times) // 2], 1),
                        "p99": round(times[int(len(times) * 0.99)], 1),
                        "max": round(times[-1], 1)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", help="config file (default: the repository's config.toml)")
    ap.add_argument("--max-tokens", type=int, default=24)
    ap.add_argument("--limit", type=int, default=len(QUESTIONS), help="only the first N questions")
    args = ap.parse_args()

    settings = load_settings(args.config or ROOT / "config.toml")
    local = [m for m in settings.models if m.is_local]
    small = min(local, key=lambda m: m.memory_mb)
    large = max(local, key=lambda m: m.memory_mb)
    router = Router(settings)
    machine = probe()
    plan = plan_placement(
        machine, settings.models, settings.default_model.name, settings.router.memory_margin_mb
    )
    pool = ModelPool(settings, plan, keep_alive_s=0)
    questions = QUESTIONS[: args.limit]

    load_s = {}
    for m in local:
        t0 = time.perf_counter()
        pool.get(m.name)
        load_s[m.name] = round(time.perf_counter() - t0, 2)

    def answer(model_name: str, q: str) -> tuple[str, float, int]:
        model = pool.get(model_name)
        req = GenerationRequest([ChatMessage("system", SYSTEM), ChatMessage("user", q)],
                                max_tokens=args.max_tokens, temperature=0.0, seed=7)
        t0 = time.perf_counter()
        text = model.complete(req)
        return text, time.perf_counter() - t0, model.last_stats.completion_tokens if model.last_stats else 0

    strategies = {
        "always_small": lambda q: small.name,
        "always_large": lambda q: large.name,
        "routed": lambda q: router.decide(q).model,
    }
    results: dict = {}
    details = []
    for label, pick in strategies.items():
        correct, total, tokens, usage = 0, 0.0, 0, {}
        for q, accepted in questions:
            name = pick(q)
            text, secs, n = answer(name, q)
            ok = any(a in text.lower() for a in accepted)
            correct += ok
            total += secs
            tokens += n
            usage[name] = usage.get(name, 0) + 1
            details.append({"strategy": label, "model": name, "question": q, "ok": ok,
                            "seconds": round(secs, 2), "answer": text.strip()[:80]})
        results[label] = {
            "accuracy": round(correct / len(questions), 3),
            "correct": correct,
            "total_s": round(total, 2),
            "mean_s": round(total / len(questions), 2),
            "tokens_out": tokens,
            "model_usage": usage,
        }
    pool.close()
    print(json.dumps({
        "benchmark": "routing",
        "questions": len(questions),
        "max_tokens": args.max_tokens,
        "machine": {"cpu_cores": machine.cpu_cores, "ram_total_mb": machine.ram_total_mb,
                    "gpus": [g.name for g in machine.gpus]},
        "small": small.name,
        "large": large.name,
        "load_s": load_s,
        "results": results,
        "router": router_timing(router),
        "details": details,
    }, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
