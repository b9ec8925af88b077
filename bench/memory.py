"""Long-term memory benchmark: ingest rate and query latency (embed + search) as the store grows.

Grows one store through the requested sizes (default 1k, 10k, 100k synthetic memories). At each
size it reports the bulk ingest rate (embed in batches + add, the import path), the cost of one
``add`` as a turn is remembered (embed + near-duplicate check + write), and query latency p50/p95
split into embedding the query and searching the store. Modes: the local ChromaDB folder and/or a
real ``chroma run`` server on localhost, side by side in one run. ``--fast-fill N`` grows the store
past N records with near copies of real embeddings (labelled ``added_records_embedded: false``), so
search latency at 100k can be measured on a small CPU. Prints one JSON document.

    .venv/bin/python bench/memory.py [--sizes 1000,10000,100000] [--modes local,server]
                                     [--queries 200] [--threads 1] [--max-seconds 600] [--fast-fill 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jarvis.config import MemorySettings  # noqa: E402
from jarvis.hardware import probe  # noqa: E402
from jarvis.memory.embedder import Embedder  # noqa: E402
from jarvis.memory.service import MemoryService  # noqa: E402

SUBJECTS = ["My sister", "My boss", "My neighbour", "My dentist", "My friend", "My son", "My cousin",
            "My landlord", "My coach", "My teacher", "The plumber", "My grandfather", "My colleague"]
VERBS = ["likes", "hates", "collects", "is learning", "bought", "recommended", "wants", "lost",
         "fixed", "borrowed", "painted", "talked about", "is allergic to"]
THINGS = ["vintage cameras", "Thai food", "jazz records", "mountain bikes", "orchids", "chess",
          "Italian wine", "old maps", "board games", "sourdough", "running shoes", "sci-fi novels",
          "watercolours", "espresso machines", "houseplants", "kayaks", "Japanese pottery", "drones"]
WHEN = ["last week", "on Monday", "in 2019", "every summer", "since March", "yesterday", "at Easter",
        "after work", "on holiday in Crete", "during the storm"]
QUESTIONS = ["What does my sister like?", "What did my boss buy?", "Who collects jazz records?",
             "What is my neighbour learning?", "Who is allergic to orchids?", "What did I lose?",
             "What does my coach recommend?", "Who fixed the kayak?"]


def synthetic(n: int, start: int, rng: random.Random) -> list[str]:
    """``n`` distinct memory-like sentences (numbered so none is a duplicate)."""
    return [
        f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(THINGS)} {rng.choice(WHEN)} (note {start + i})."
        for i in range(n)
    ]


def perturbed(pool: list, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` unit vectors near randomly chosen real embeddings (cosine ~0.9 to their source)."""
    base = np.asarray(pool, dtype=np.float32)[rng.integers(0, len(pool), n)]
    noise = rng.standard_normal(base.shape).astype(np.float32) * (0.45 / np.sqrt(base.shape[1]))
    out = base + noise
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def ms(values: list[float]) -> dict:
    return {
        "p50": round(pct(values, 0.50) * 1000, 2),
        "p95": round(pct(values, 0.95) * 1000, 2),
        "mean": round(statistics.fmean(values) * 1000, 2),
    }


def folder_mb(path: Path) -> float | None:
    if not path.exists():
        return None
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [str(exe if exe.exists() else "chroma"), "run", "--path", str(folder), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("chroma run did not start")


def run_mode(mode: str, sizes: list[int], args: argparse.Namespace, embedder: Embedder, work: Path) -> dict:
    server = None
    if mode == "server":
        server, url = start_server(work / f"server-{mode}")
        settings = MemorySettings(server=url, embedder=args.embedder, collection="bench")
    else:
        settings = MemorySettings(path=work / "local", embedder=args.embedder)
    service = MemoryService(settings, embedder=embedder)
    store = service.store()
    rng = random.Random(7)
    nrng = np.random.default_rng(7)
    pool: list = []
    rows: list[dict] = []
    have = 0
    began = time.perf_counter()
    try:
        for size in sizes:
            todo = size - have
            elapsed = time.perf_counter() - began
            if rows and args.max_seconds and not (args.fast_fill and size > args.fast_fill):
                rate = rows[-1]["ingest_per_s"] or rows[-1]["ingest_store_per_s"]
                projected = elapsed + todo / rate + 30
                if projected > args.max_seconds:
                    rows.append({"size": size, "skipped": f"projected {projected:.0f}s > --max-seconds"})
                    break
            t_embed = t_add = 0.0
            embedded = not (args.fast_fill and size > args.fast_fill)
            for i in range(0, todo, args.batch):
                texts = synthetic(min(args.batch, todo - i), have + i, rng)
                t0 = time.perf_counter()
                if embedded:
                    vecs = embedder.encode(texts)
                    pool.extend(vecs[: max(0, 5000 - len(pool))])
                else:  # near copies of real embeddings: the store's cost without the embedder's
                    vecs = perturbed(pool, len(texts), nrng)
                t1 = time.perf_counter()
                ids = [f"b{have + i + j}" for j in range(len(texts))]
                store.add(ids, texts, vecs, [{"time": float(have + i + j), "source": "bench", "kind": "fact"}
                                             for j in range(len(texts))])
                t2 = time.perf_counter()
                t_embed += t1 - t0
                t_add += t2 - t1
            have = size
            embed_t, search_t, total_t = [], [], []
            for q in range(args.queries):
                question = QUESTIONS[q % len(QUESTIONS)] + ("" if q < len(QUESTIONS) else f" ({q})")
                t0 = time.perf_counter()
                vec = embedder.encode([question])[0]
                t1 = time.perf_counter()
                store.query(vec, settings.top_k * 3)
                t2 = time.perf_counter()
                embed_t.append(t1 - t0)
                search_t.append(t2 - t1)
                total_t.append(t2 - t0)
            adds = []
            for j in range(args.adds):
                t0 = time.perf_counter()
                service.add(f"Remembered during the benchmark: item {size}-{j} is {rng.choice(THINGS)}.",
                            source="keyboard", kind="turn")
                adds.append(time.perf_counter() - t0)
            have += args.adds
            rows.append({
                "size": size,
                "added_records_embedded": embedded,
                "ingest_s": round(t_embed + t_add, 2),
                "ingest_per_s": round(todo / max(1e-9, t_embed + t_add), 1) if embedded else None,
                "ingest_embed_per_s": round(todo / max(1e-9, t_embed), 1) if embedded else None,
                "ingest_store_per_s": round(todo / max(1e-9, t_add), 1),
                "add_one_ms": ms(adds),
                "query_ms": ms(total_t),
                "query_embed_ms": ms(embed_t),
                "query_search_ms": ms(search_t),
                "count": store.count(),
                "disk_mb": folder_mb(work / ("local" if mode == "local" else f"server-{mode}")),
            })
            print(json.dumps({"mode": mode, **rows[-1]}), file=sys.stderr, flush=True)
    finally:
        service.close()
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    return {"mode": mode, "results": rows}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="store sizes, comma separated")
    ap.add_argument("--modes", default="local", help="local, server or local,server")
    ap.add_argument("--queries", type=int, default=200, help="queries timed at each size")
    ap.add_argument("--adds", type=int, default=20, help="single remembered turns timed at each size")
    ap.add_argument("--batch", type=int, default=256, help="texts per embedding batch when ingesting")
    ap.add_argument("--threads", type=int, default=1, help="embedder CPU threads (0 = all cores)")
    ap.add_argument("--device", default="cpu", help="embedder device: cpu or cuda:N")
    ap.add_argument("--embedder", type=Path, default=ROOT / "models" / MemorySettings().embedder.name,
                    help="model folder (default: the configured default; bench/memory_bilingual.py compares them)")
    ap.add_argument("--max-seconds", type=float, default=0, help="skip sizes projected to exceed this")
    ap.add_argument(
        "--fast-fill", type=int, default=0, metavar="N",
        help="past N records, fill with near copies of real embeddings instead of embedding new "
        "texts (measures search at large sizes when embedding them all would take too long)",
    )
    args = ap.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})

    embedder = Embedder(args.embedder, args.device, threads=args.threads)
    t0 = time.perf_counter()
    embedder.encode(["warm up"])
    load_s = time.perf_counter() - t0
    machine = probe()
    work = Path(tempfile.mkdtemp(prefix="jarvis-bench-memory-"))
    out = {
        "benchmark": "memory",
        "embedder": embedder.name,
        "dim": embedder.dim,
        "device": embedder.device,
        "threads": args.threads,
        "embedder_load_s": round(load_s, 2),
        "machine": {
            "cpu_cores": machine.cpu_cores,
            "ram_total_mb": machine.ram_total_mb,
            "gpus": [g.name for g in machine.gpus],
            "load_avg_1m": round(os.getloadavg()[0], 2),
        },
        "query": "embed one question + nearest top_k*3 in the store",
        "modes": [],
    }
    try:
        for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
            out["modes"].append(run_mode(mode, sizes, args, embedder, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out["machine"]["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
