"""Core sub-commands: ``ask``, ``doctor``, ``models list`` and the TUI launcher."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from jarvis.assembly import build
from jarvis.commands.common import add_json_flag, add_model_flag, positive_int, print_json, settings_from
from jarvis.commands.inputs import read_stdin, text_arg
from jarvis.commands.notes import MemoryOffNote
from jarvis.config import Settings, load_settings
from jarvis.errors import EmptyInput, Interrupted, JarvisError

API_KEY_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ask``, ``doctor`` and ``models``."""
    p = sub.add_parser("ask", help="answer one question headless, streaming to stdout")
    p.add_argument("question", nargs="?", default=None, help="the question (omit with --input)")
    p.add_argument("--input", help="a WAV file spoken as the question (a whole voice turn)")
    p.add_argument("--output", help="write the spoken reply to this WAV file")
    p.add_argument("--max-tokens", type=positive_int, help="longest reply in tokens (at least 1)")
    p.add_argument("--no-memory", action="store_true", help="do not recall or store memories")
    add_model_flag(p)
    add_json_flag(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("doctor", help="hardware, placement plan, models, tools, MCP servers, audio devices, keys")
    p.add_argument("--deep", action="store_true",
                   help="also run each stage once on its planned device and time it, and start each MCP server once")
    add_json_flag(p)
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("models", help="the model table")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION")
    lp = msub.add_parser("list", help="list configured models with their state")
    add_json_flag(lp)
    lp.set_defaults(func=cmd_models_list)
    from jarvis.commands import models as models_commands

    models_commands.register(msub)  # models pull
    p.set_defaults(func=cmd_models_list, json=False)


def cmd_ask(args: argparse.Namespace) -> int:
    """``jarvis ask "question"``: stream the answer (``--json``: one record at the end)."""
    settings = settings_from(args)
    if args.model:
        settings.model(args.model)  # an unknown name stops here, listing the valid ones
    if args.input:
        from jarvis.commands.voice_ask import run_voice_ask

        return run_voice_ask(args, settings)
    question = text_arg(args.question, "the question") if args.question is not None else read_stdin()
    if question is None or not question.strip():
        raise EmptyInput("nothing to answer: the question is empty", 'pass a question: jarvis ask "..."')
    jarvis = build(
        settings, resume=args.resume, model=args.model, memory=not args.no_memory, max_tokens=args.max_tokens
    )
    jarvis.assistant.bus.subscribe(MemoryOffNote())  # memory failures were said only in the log file
    from jarvis.commands.tools import TerminalConfirm

    jarvis.assistant.bus.subscribe(TerminalConfirm(jarvis.assistant))  # a tool that changes things asks first
    stop = threading.Event()

    def on_sigint(signum: int, frame: object) -> None:  # Ctrl-C stops generation; what was written is kept
        stop.set()
        jarvis.assistant.interrupt()

    old = signal.signal(signal.SIGINT, on_sigint)
    printer = None if args.json else (lambda t: (sys.stdout.write(t), sys.stdout.flush()))
    try:
        with jarvis:
            instant = jarvis.tools is not None and jarvis.tools.match(question) is not None
            # the turn loads its model; the memory embedder loads beside it (not for an everyday command)
            jarvis.start(preload=False, warm_up_memory=not instant, mcp=not instant)
            if jarvis.tools is not None and not instant:  # the one turn has the MCP servers' tools
                jarvis.tools.wait_mcp()
            done = jarvis.assistant.ask(question, on_delta=printer)
    finally:
        signal.signal(signal.SIGINT, old)
    if args.json:
        stats = done.stats
        print_json(
            {
                "text": done.text,
                "model": done.model,
                "interrupted": done.interrupted,
                "remote": done.remote,
                "cost": done.cost,
                "tools": [
                    {"name": u.name, "arguments": u.arguments, "result": u.result, "ok": u.ok,
                     "duration_s": u.duration_s}
                    for u in done.tools
                ],
                "tokens": {
                    "prompt": stats.prompt_tokens if stats else None,
                    "completion": stats.completion_tokens if stats else None,
                },
                "timings": {
                    "time_to_first_token_s": stats.time_to_first_token_s if stats else None,
                    "total_s": stats.total_s if stats else None,
                    "tokens_per_s": round(stats.tokens_per_s, 2) if stats else None,
                    **(done.timings.relative() if done.timings else {}),
                },
            }
        )
    else:
        sys.stdout.write("\n")
    if stop.is_set() or done.interrupted:
        raise Interrupted("interrupted: the reply was cut short", "the part shown is saved in the conversation")
    return 0


def _key_state() -> dict[str, bool]:
    return {var: bool(os.environ.get(var)) for var in API_KEY_VARS}


def doctor_report(settings: Settings, deep: bool = False) -> dict:
    """Everything ``jarvis doctor`` shows, as plain data (never key values).

    ``deep``: each enabled MCP server is started once (briefly) and its tools checked.
    """
    from jarvis.assets import check_assets
    from jarvis.commands.doctor_sections import audio_devices_section, mcp_section, tools_section
    from jarvis.hardware import plan_for, probe
    from jarvis.llm.llama_cpp_backend import verify_model_file

    machine = probe()
    plan = plan_for(machine, settings)
    models = []
    for m in settings.models:
        state, detail = "remote", m.base_url or m.backend
        if m.is_local:
            try:
                verify_model_file(Path(m.file))  # type: ignore[arg-type]
                state, detail = "ok", str(m.file)
            except JarvisError as exc:
                state = "missing" if "not found" in exc.message else "corrupt"
                detail = exc.message
        elif m.key_env or m.backend in ("openai", "anthropic"):
            var = m.key_env or ("OPENAI_API_KEY" if m.backend == "openai" else "ANTHROPIC_API_KEY")
            state = "key set" if os.environ.get(var) else f"no key ({var})"
        models.append({"name": m.name, "backend": m.backend, "state": state, "detail": detail, "default": m.default})
    from jarvis.audio.echo_plan import doctor_section
    from jarvis.tts.voices import voice_name

    models_dir = Path(__file__).resolve().parent.parent.parent / "models"
    mcp = mcp_section(settings, deep=deep)
    listed = {m["name"]: m["start"]["tools"] for m in mcp if m.get("start", {}).get("ok")}
    return {
        "config": str(settings.source),
        "log_file": str(settings.general.log_file),
        "data_dir": str(settings.general.data_dir),
        "hardware": {
            "cpu_cores": machine.cpu_cores,
            "ram_total_mb": machine.ram_total_mb,
            "ram_free_mb": machine.ram_free_mb,
            "gpus": [g.__dict__ for g in machine.gpus],
            "gpu_note": machine.gpu_note or None,
        },
        "placement": plan.rows(),
        "models": models,
        "embedded_models": check_assets(models_dir),
        "voices": {lang: voice_name(settings.tts, lang) for lang in settings.tts.voices},
        "audio": doctor_section(settings.audio),
        "audio_devices": audio_devices_section(settings),
        "tools": tools_section(settings, listed if deep else None),
        "mcp_servers": mcp,
        "keys": _key_state(),
    }


def cmd_doctor(args: argparse.Namespace) -> int:
    """``jarvis doctor``: a truthful health report."""
    settings = settings_from(args)
    deep = getattr(args, "deep", False)
    rep = doctor_report(settings, deep=deep)
    if args.json:
        if deep:
            from jarvis.commands.doctor_deep import run_deep

            rep["deep"] = run_deep(settings)
        print_json(rep)
        return 0
    hw = rep["hardware"]
    out = [f"config     {rep['config']}", f"log file   {rep['log_file']}", f"data       {rep['data_dir']}", ""]
    out.append(f"CPU        {hw['cpu_cores']} cores")
    out.append(f"RAM        {hw['ram_free_mb']} MiB free of {hw['ram_total_mb']} MiB")
    if hw["gpus"]:
        for g in hw["gpus"]:
            out.append(f"GPU {g['index']}      {g['name']}: {g['free_mb']} MiB free of {g['total_mb']} MiB")
    else:
        out.append(f"GPU        none ({hw['gpu_note']})")
    out += ["", "placement"]
    for r in rep["placement"]:
        out.append(f"  {r['what']:<16} {r['device']:<8} {r['reason']}")
    out += ["", "models (config)"]
    for m in rep["models"]:
        star = "*" if m["default"] else " "
        out.append(f" {star}{m['name']:<16} {m['backend']:<18} {m['state']:<10} {m['detail']}")
    out += ["", "embedded models (models/)"]
    for a in rep["embedded_models"]:
        out.append(f"  {a['name']:<20} {a['state']:<8} {a['purpose']}")
    out += ["", "voices (tts.voices)"]
    for lang, name in rep["voices"].items():
        out.append(f"  {lang:<4} {name}")
    from jarvis.audio.echo_plan import doctor_lines
    from jarvis.commands.doctor_sections import lines as section_lines

    out += ["", "listening (audio)", *doctor_lines(rep["audio"])]
    out += section_lines(rep)
    out += ["", "API keys"]
    for var, present in rep["keys"].items():
        out.append(f"  {var:<18} {'set' if present else 'not set'}")
    print("\n".join(out), flush=True)
    if deep:  # after the quick report: this part loads every model once
        from jarvis.commands.doctor_deep import deep_lines, run_deep

        print("\n".join(deep_lines(run_deep(settings))))
    return 0


def cmd_models_list(args: argparse.Namespace) -> int:
    """``jarvis models list``: the model table."""
    settings = settings_from(args)
    rows = [
        {
            "name": m.name,
            "backend": m.backend,
            "file": str(m.file) if m.file else None,
            "id": m.id,
            "device": m.device,
            "memory_mb": m.memory_mb,
            "context": m.context,
            "difficulty": list(m.difficulty),
            "specialties": list(m.specialties),
            "default": m.default,
            "present": (Path(m.file).is_file() if m.file else None),
        }
        for m in settings.models
    ]
    if getattr(args, "json", False):
        print_json(rows)
        return 0
    for r in rows:
        star = "*" if r["default"] else " "
        lo, hi = r["difficulty"]
        where = r["file"] or r["id"]
        present = "" if r["present"] is None else ("" if r["present"] else "  (missing)")
        specialties = ",".join(r["specialties"])
        print(f"{star} {r['name']:<16} {r['backend']:<18} {lo:>3}-{hi:<3} {specialties:<32} {where}{present}")
    return 0


def run_tui(args: argparse.Namespace) -> int:
    """Open the Textual app on a Jarvis built here. Config errors are printed before the screen opens."""
    from jarvis.logs import setup_logging
    from jarvis.profiles import apply_profile

    base = load_settings(getattr(args, "config", None))  # what /profile switches start from
    settings = apply_profile(base, getattr(args, "profile", None))
    setup_logging(args, console=False, settings=settings)
    from jarvis.ui.app import JarvisApp

    jarvis = build(settings, resume=args.resume, model=args.model, base_settings=base)
    # Textual draws on sys.__stderr__; native libraries (llama.cpp, ONNX) may write to fd 2. Give
    # Textual a private copy of the terminal and send fd 2 to the log file, so nothing garbles the UI.
    log_fd = os.open(settings.general.log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    terminal_fd = os.dup(2)
    terminal = os.fdopen(terminal_fd, "w", buffering=1, encoding="utf-8", errors="replace")
    real_stderr = sys.__stderr__
    sys.__stderr__ = terminal  # type: ignore[misc]
    os.dup2(log_fd, 2)
    try:
        with jarvis:  # the app starts Jarvis: the MCP servers start in the background then
            app = JarvisApp(jarvis)
            app.run()
    finally:
        os.dup2(terminal_fd, 2)
        sys.__stderr__ = real_stderr  # type: ignore[misc]
        terminal.close()
        os.close(log_fd)
    if app.return_code not in (0, None):
        raise JarvisError(
            "Jarvis stopped after an unexpected error", f"the details are in {settings.general.log_file}"
        )
    return 0
