"""Tokens/s and time to first token: Jarvis's llama.cpp backend vs raw ``llama_cpp.Llama``.

Same model file, same prompt, same settings, same run, alternating order. Prints one JSON
document with per-side medians and the ratio (jarvis / raw; 1.0 = no overhead).

    .venv/bin/python bench/llm_throughput.py [--model qwen-0.5b] [--runs 3] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jarvis.config import load_settings  # noqa: E402
from jarvis.hardware import plan_placement, probe  # noqa: E402
from jarvis.llm.base import ChatMessage, GenerationRequest  # noqa: E402
from jarvis.llm.llama_cpp_backend import LlamaCppChat  # noqa: E402

PROMPT = "Explain in a few sentences how a refrigerator keeps food cold."
SYSTEM = "You are a helpful assistant."


def run_jarvis(model: LlamaCppChat, max_tokens: int) -> dict:
    req = GenerationRequest(
        [ChatMessage("system", SYSTEM), ChatMessage("user", PROMPT)], max_tokens, temperature=0.0, seed=7
    )
    t0 = time.perf_counter()
    first = None
    n = 0
    for _ in model.stream(req):
        if first is None:
            first = time.perf_counter() - t0
        n += 1
    total = time.perf_counter() - t0
    return {"ttft_s": first, "tokens": n, "total_s": total, "tok_per_s": (n - 1) / (total - first)}


def run_raw(llm, max_tokens: int) -> dict:
    msgs = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}]
    t0 = time.perf_counter()
    first = None
    n = 0
    for chunk in llm.create_chat_completion(
        messages=msgs, max_tokens=max_tokens, temperature=0.0, seed=7, stream=True
    ):
        if chunk["choices"][0]["delta"].get("content"):
            if first is None:
                first = time.perf_counter() - t0
            n += 1
    total = time.perf_counter() - t0
    return {"ttft_s": first, "tokens": n, "total_s": total, "tok_per_s": (n - 1) / (total - first)}


def median(rows: list[dict], key: str) -> float:
    return round(statistics.median(r[key] for r in rows), 4)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config")
    ap.add_argument("--model", default=None)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-tokens", type=int, default=128)
    args = ap.parse_args()
    settings = load_settings(args.config)
    spec = settings.model(args.model) if args.model else settings.default_model
    plan = plan_placement(probe(), settings.models, spec.name)
    p = plan[spec.name]
    ours = LlamaCppChat(spec, n_ctx=2048, n_threads=p.n_threads, gpu_layers=p.gpu_layers)
    from llama_cpp import Llama

    raw = Llama(
        model_path=str(spec.file), n_ctx=2048, n_threads=p.n_threads, n_gpu_layers=p.gpu_layers, verbose=False
    )
    run_jarvis(ours, 8)  # warm up both
    run_raw(raw, 8)
    j_rows, r_rows = [], []
    for i in range(args.runs):
        pair = [(run_jarvis, ours, j_rows), (run_raw, raw, r_rows)]
        for fn, m, rows in pair if i % 2 == 0 else reversed(pair):
            rows.append(fn(m, args.max_tokens))
    out = {
        "benchmark": "llm_throughput",
        "model": spec.name,
        "device": p.device,
        "threads": p.n_threads,
        "runs": args.runs,
        "max_tokens": args.max_tokens,
        "jarvis": {"tok_per_s": median(j_rows, "tok_per_s"), "ttft_s": median(j_rows, "ttft_s"),
                   "tokens": median(j_rows, "tokens")},
        "raw_llama_cpp": {"tok_per_s": median(r_rows, "tok_per_s"), "ttft_s": median(r_rows, "ttft_s"),
                          "tokens": median(r_rows, "tokens")},
    }
    out["ratio_tok_per_s"] = round(out["jarvis"]["tok_per_s"] / out["raw_llama_cpp"]["tok_per_s"], 3)
    out["ratio_ttft"] = round(out["jarvis"]["ttft_s"] / out["raw_llama_cpp"]["ttft_s"], 3)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
