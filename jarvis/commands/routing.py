"""``jarvis route "text"`` (the routing decision, nothing run) and ``jarvis stats`` (metrics summary)."""

from __future__ import annotations

import argparse
import time

from jarvis.commands.common import add_json_flag, add_model_flag, print_json, settings_from
from jarvis.commands.inputs import text_arg
from jarvis.errors import EmptyInput


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``route`` and ``stats`` sub-commands."""
    p = sub.add_parser("route", help="show which model would answer a message, and why (runs nothing)")
    p.add_argument("text", nargs="+", help="the message")
    add_model_flag(p)
    add_json_flag(p)
    p.set_defaults(func=cmd_route)

    s = sub.add_parser("stats", help="summarise metrics: model usage, latency, cost, local share")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--session", help="one session: its id, or 'last' (default: all time)")
    g.add_argument("--last", action="store_true", help="the last session (same as --session last)")
    s.add_argument("--file", help="metrics file (default: <data_dir>/metrics.jsonl)")
    s.add_argument("--profile", default=argparse.SUPPRESS, help="a tutor profile's sessions over time")
    add_json_flag(s)
    s.set_defaults(func=cmd_stats)


def cmd_route(args: argparse.Namespace) -> int:
    """Print the routing decision for a message."""
    from jarvis.difficulty_bands import band
    from jarvis.llm.difficulty import estimate
    from jarvis.llm.router import Router
    from jarvis.messages import RouteDecision

    text = text_arg(" ".join(args.text), "the message").strip()
    if not text:
        raise EmptyInput("nothing to route: the message is empty", 'pass a message: jarvis route "..."')
    settings = settings_from(args)
    router = Router(settings)
    t0 = time.perf_counter()
    decision = router.decide(text)
    elapsed_ms = (time.perf_counter() - t0) * 1000
    forced = getattr(args, "model", None)
    if forced:
        settings.model(forced)  # ModelNotFound lists the valid names
        est = estimate(text)
        decision = RouteDecision(forced, est.difficulty, est.specialty, f"forced with --model {forced}", True)
    chain = [m.name for m in router.chain(decision)]
    if args.json:
        print_json(
            {
                "model": decision.model,
                "difficulty": decision.difficulty,
                "band": band(decision.difficulty),
                "specialty": decision.specialty,
                "reason": decision.reason,
                "forced": decision.forced,
                "fallback_chain": chain,
                "route_ms": round(elapsed_ms, 3),
            }
        )
        return 0
    print(f"model       {decision.model}")
    print(f"difficulty  {decision.difficulty} ({band(decision.difficulty)})")
    print(f"specialty   {decision.specialty}")
    print(f"reason      {decision.reason}")
    print(f"fallback    {' -> '.join(chain)}")
    return 0


def _fmt(x: float | None, unit: str = "s") -> str:
    return "-" if x is None else f"{x:.2f}{unit}"


def cmd_stats(args: argparse.Namespace) -> int:
    """Print a summary of the metrics file."""
    if getattr(args, "profile", None):
        return _profile_stats(args)
    from pathlib import Path

    from jarvis.metrics import read_records, summarize

    path = Path(args.file).expanduser() if args.file else settings_from(args).general.metrics_file
    records, bad = read_records(path)
    session = "last" if args.last else args.session
    summary = summarize(records, session)
    summary["file"] = str(path)
    summary["skipped_lines"] = bad
    if args.json:
        print_json(summary)
        return 0
    if not summary["turns"]:
        skipped = f" ({bad} unreadable line(s) skipped)" if bad else ("" if path.exists() else " (no such file)")
        print(f"no turns recorded in {path}" + (f" for {summary['scope']}" if session else "") + skipped)
        return 0
    print(f"{summary['scope']}: {summary['turns']} turns in {summary['sessions']} session(s)  ({path})")
    share = summary["local_share"]
    print(
        f"local share {share:.0%}   remote turns {summary['remote_turns']}   "
        f"cost ${summary['cost_usd']:.4f}   fallbacks {summary['fallback_turns']}"
    )
    print(f"tokens in {summary['tokens_in']}  out {summary['tokens_out']}")
    for key, label in (("first_token", "first token"), ("reply_done", "reply done")):
        d = summary["latency_s"][key]
        if d["n"]:
            pcts = "  ".join(f"{p} {_fmt(d[p])}" for p in ("p50", "p90", "p99"))
            print(f"{label:12s} {pcts}  (n={d['n']})")
    print("models:")
    for name, m in summary["models"].items():
        where = "remote" if m["remote"] else "local"
        print(f"  {name:20s} {m['turns']:5d} turns  {m['share']:6.1%}  {where:6s}  ${m['cost']:.4f}")
    if bad:
        print(f"({bad} unreadable line(s) skipped)")
    return 0


def _profile_stats(args: argparse.Namespace) -> int:
    """``jarvis stats --profile NAME``: the saved tutor sessions of a profile."""
    from jarvis.tutor.report import profile_report, report_lines

    settings = settings_from(args)  # an unknown profile is a ConfigError here
    report = profile_report(settings.general.data_dir, settings.profile)
    if args.json:
        print_json(report)
    else:
        print("\n".join(report_lines(report)))
    return 0
