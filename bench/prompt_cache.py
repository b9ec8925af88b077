"""Time to first token with recalled memories in the system prompt vs just before the question.

A real conversation history (~1k tokens) and real long-term memory (ChromaDB + MiniLM) on the
embedded qwen-0.5b: each question recalls different memories. With the memories in the system
prompt the whole history is read again every turn; placed just before the newest question, the
system prompt and history are a prefix llama.cpp keeps in its cache. Both placements run in the
same process, alternating, with the same questions. Prints one JSON document.

    .venv/bin/python bench/prompt_cache.py [--turns 6] [--history-tokens 1000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jarvis.assembly import build  # noqa: E402
from jarvis.config import load_settings  # noqa: E402
from jarvis.history import Turn  # noqa: E402

FACTS = [
    "My dog is called Biscuit.", "My sister lives in Valencia.", "I work as a nurse at night.",
    "My favourite food is paella.", "I am learning to play the guitar.", "My car is a blue Seat Ibiza.",
    "I was born in Seville in 1990.", "My daughter is allergic to peanuts.",
]
QUESTIONS = [
    "What is my dog's name?", "Where does my sister live?", "What do I do for a living?",
    "What should I cook tonight?", "Which instrument am I learning?", "What colour is my car?",
    "Where was I born?", "What is my daughter allergic to?",
]
FILLER = (
    "Tell me something about the history of Spanish cities and their architecture, "
    "including the role of rivers, markets and old walls in how they grew."
)


def history(tokens: int) -> list[Turn]:
    """User/assistant pairs of about ``tokens`` tokens (a word is ~1.3 tokens)."""
    turns: list[Turn] = []
    while sum(len(t.content.split()) for t in turns) * 1.3 < tokens:
        turns.append(Turn("user", FILLER))
        turns.append(Turn("assistant", FILLER.replace("Tell me something about", "Here is a note on")))
    return turns


def run(placement: str, args: argparse.Namespace, folder: Path) -> list[dict]:
    base = load_settings(args.config)
    settings = base.model_copy(update={
        "general": base.general.model_copy(update={"data_dir": folder / placement}),
        "llm": base.llm.model_copy(update={"max_tokens": 4, "temperature": 0.0, "seed": 1,
                                           "history_tokens": args.history_tokens + 600,
                                           "memory_in": placement}),
        "memory": base.memory.model_copy(update={"enabled": True, "path": folder / f"store-{placement}",
                                                 "store_turns": False, "min_similarity": 0.0}),
        "router": base.router.model_copy(update={"enabled": False}),
    })
    rows = []
    with build(settings, model=args.model, metrics=False) as jarvis:
        assert jarvis.memory is not None
        for fact in FACTS:
            jarvis.memory.add(fact)
        for turn in history(args.history_tokens):
            jarvis.assistant.conversation.add(turn)
        for i in range(args.turns):
            done = jarvis.assistant.ask(QUESTIONS[i % len(QUESTIONS)])
            jarvis.assistant.conversation.turns[-2:] = []  # keep the history as it was: same prefix
            stats = done.stats
            rows.append({"turn": i + 1, "prompt_tokens": stats.prompt_tokens if stats else None,
                         "ttft_s": round(stats.time_to_first_token_s or 0.0, 4) if stats else None,
                         "memories": len(done.memory.hits) if done.memory else 0})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", help="config file (default: the repository's)")
    ap.add_argument("--model", default="qwen-0.5b")
    ap.add_argument("--turns", type=int, default=6)
    ap.add_argument("--history-tokens", type=int, default=1000)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="jarvis-bench-cache-"))
    results = {p: run(p, args, folder) for p in ("system_prompt", "question")}
    summary = {}
    for placement, rows in results.items():
        later = [r["ttft_s"] for r in rows[1:] if r["ttft_s"] is not None]  # turn 1 fills the cache
        summary[placement] = {
            "first_turn_ttft_s": rows[0]["ttft_s"],
            "later_turns_ttft_p50_s": round(statistics.median(later), 4) if later else None,
            "later_turns_ttft_max_s": max(later) if later else None,
            "prompt_tokens": rows[0]["prompt_tokens"],
        }
    before, after = (summary[p]["later_turns_ttft_p50_s"] for p in ("system_prompt", "question"))
    json.dump({
        "benchmark": "prompt_cache",
        "what": "time to first token (s) after the question is submitted; memories recalled per turn",
        "model": args.model,
        "history_tokens_target": args.history_tokens,
        "summary": summary,
        "speedup_p50": round(before / after, 2) if before and after else None,
        "rows": results,
    }, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
