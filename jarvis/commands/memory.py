"""``jarvis memory add | search | list | forget | export | import | reindex``: long-term memory from the shell."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from jarvis.commands.common import add_json_flag, print_json, settings_from
from jarvis.errors import JarvisError, MemoryStoreError
from jarvis.messages import MemoryHit


def register(sub: Any) -> None:
    """Add the ``memory`` command and its sub-commands to the CLI."""
    p = sub.add_parser("memory", help="long-term memory: add, search, list, forget, export, import, reindex")
    msub = p.add_subparsers(dest="memory_command", metavar="ACTION", required=True)

    a = msub.add_parser("add", help="remember a fact")
    a.add_argument("text", nargs="+", help="the fact (secrets are redacted)")
    add_json_flag(a)
    a.set_defaults(func=cmd_add)

    s = msub.add_parser("search", help="memories most similar to a query")
    s.add_argument("query", nargs="+")
    s.add_argument("-k", type=int, default=5, help="how many results (default 5)")
    add_json_flag(s)
    s.set_defaults(func=cmd_search)

    ls = msub.add_parser("list", help="the newest memories")
    ls.add_argument("--limit", "-n", type=int, default=20, help="how many (default 20)")
    add_json_flag(ls)
    ls.set_defaults(func=cmd_list)

    f = msub.add_parser("forget", help="delete a memory by id, or the best matches of a query")
    f.add_argument("query", nargs="+", help="a memory id, or text to match")
    f.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    f.set_defaults(func=cmd_forget)

    e = msub.add_parser("export", help="write every memory to a JSON-lines file")
    e.add_argument("file")
    e.set_defaults(func=cmd_export)

    i = msub.add_parser("import", help="add memories from a JSON-lines file (as written by export)")
    i.add_argument("file")
    i.set_defaults(func=cmd_import)

    r = msub.add_parser("reindex", help="re-embed every memory with memory.embedder (after changing it)")
    add_json_flag(r)
    r.set_defaults(func=cmd_reindex)


def _service(args: argparse.Namespace) -> Any:
    from jarvis.memory import memory_service

    settings = settings_from(args)
    if not settings.memory.enabled:
        raise MemoryStoreError("long-term memory is disabled", "set [memory] enabled = true in the config")
    return memory_service(settings, session="cli")


def _row(hit: MemoryHit) -> dict:
    return {"id": hit.id, "text": hit.text, "score": round(hit.score, 4), "metadata": hit.metadata}


def _when(hit: MemoryHit) -> str:
    t = hit.metadata.get("time")
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(float(t))) if isinstance(t, (int, float)) else "?"


def _print_hits(hits: list[MemoryHit], scores: bool) -> None:
    if not hits:
        print("(no memories)")
        return
    for h in hits:
        score = f"{h.score:5.2f}  " if scores else ""
        text = h.text.replace("\n", " / ")
        print(f"{h.id}  {score}{_when(h)}  {h.metadata.get('source', '?'):<8}  {text}")


def _run(args: argparse.Namespace, fn: Any) -> int:
    service = _service(args)
    try:
        return fn(service)
    finally:
        service.close()


def cmd_add(args: argparse.Namespace) -> int:
    """``jarvis memory add TEXT``: prints the new id (or says it was a duplicate)."""

    def go(service: Any) -> int:
        new_id = service.add(" ".join(args.text), source="explicit")
        if args.json:
            print_json({"id": new_id, "duplicate": new_id is None})
        elif new_id is None:
            print("already remembered (a near-duplicate is stored)")
        else:
            print(f"remembered {new_id}")
        return 0

    return _run(args, go)


def cmd_search(args: argparse.Namespace) -> int:
    """``jarvis memory search QUERY``: ranked results with scores."""

    def go(service: Any) -> int:
        hits = service.search(" ".join(args.query), k=max(1, args.k))
        if args.json:
            print_json([_row(h) for h in hits])
        else:
            _print_hits(hits, scores=True)
        return 0

    return _run(args, go)


def cmd_list(args: argparse.Namespace) -> int:
    """``jarvis memory list``: the newest memories first."""

    def go(service: Any) -> int:
        hits = service.list(limit=max(0, args.limit))
        if args.json:
            print_json([_row(h) for h in hits])
        else:
            _print_hits(hits, scores=False)
            print(f"({service.count()} memories in {service.location})")
        return 0

    return _run(args, go)


def _confirm(prompt: str) -> bool:
    if not sys.stdin.isatty():
        raise JarvisError("cannot ask for confirmation: input is not a terminal", "add --yes to delete")
    try:
        return input(prompt).strip().lower() in ("y", "yes")
    except EOFError:
        return False


def cmd_forget(args: argparse.Namespace) -> int:
    """``jarvis memory forget ID-or-QUERY``: shows what matches, asks, deletes."""

    def go(service: Any) -> int:
        from jarvis.llm.answer_cache import AnswerCache

        query = " ".join(args.query)
        dropped = AnswerCache(settings_from(args).general.data_dir).forget([query])  # no need to ask
        if dropped:
            print(f"dropped {dropped} cached answer{'s' if dropped != 1 else ''} about '{query}'")
        hits = service.forget_candidates(query)
        if not hits:
            print("nothing matches; nothing deleted")
            return 0 if dropped else 1
        _print_hits(hits, scores=len(hits) > 1 or hits[0].score > 0)
        what = f"{len(hits)} memor{'y' if len(hits) == 1 else 'ies'}"
        if not args.yes and not _confirm(f"delete {what}? [y/N] "):
            print("nothing deleted")
            return 1
        n = service.delete([h.id for h in hits])
        print(f"forgot {n} memor{'y' if n == 1 else 'ies'}")
        # cached answers that share the forgotten words go too
        AnswerCache(settings_from(args).general.data_dir).forget([h.text for h in hits])
        return 0

    return _run(args, go)


def cmd_export(args: argparse.Namespace) -> int:
    """``jarvis memory export FILE.jsonl``."""

    def go(service: Any) -> int:
        n = service.export(args.file)
        print(f"exported {n} memories to {args.file}")
        return 0

    return _run(args, go)


def cmd_import(args: argparse.Namespace) -> int:
    """``jarvis memory import FILE.jsonl``."""

    def go(service: Any) -> int:
        from jarvis.commands.memory_progress import progress_bar

        with progress_bar("importing") as update:

            def checking(done: int, total: int) -> None:  # bytes of the file: shown as a percentage
                update(100 * done // max(1, total), 100, "checking")

            n = service.import_(args.file, progress=update, checking=checking)
        print(f"imported {n} new memories from {args.file}")
        return 0

    return _run(args, go)


def cmd_reindex(args: argparse.Namespace) -> int:
    """``jarvis memory reindex``: re-embed every memory with the configured embedder, losing none."""

    def go(service: Any) -> int:
        from jarvis.commands.memory_progress import progress_bar

        t0 = time.monotonic()
        with progress_bar("re-embedding") as update:
            n, was = service.reindex(progress=update)
        now, seconds = service.embedder.name, round(time.monotonic() - t0, 2)
        if args.json:
            print_json({"reindexed": n, "embedder": now, "was": was, "seconds": seconds})
        else:
            change = f" (was {was})" if was != now else ""
            print(f"re-embedded {n} memories with {now}{change} in {seconds:.1f} s")
        return 0

    return _run(args, go)
