"""``jarvis models pull REPO[/FILE]``: a GGUF model from the Hugging Face hub into ``models/``.

Prints what the file is (from its GGUF header), the memory it needs, where the placement planner
would run it, and the ``[[models]]`` block for it; ``--add`` writes the block into the config file.
Progress and notes go to stderr; stdout has the result (``--json``: one document).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jarvis.commands.common import add_json_flag, positive_int, print_json, settings_from
from jarvis.config import ModelSpec, Settings
from jarvis.errors import Interrupted, JarvisError

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


def register(msub: argparse._SubParsersAction) -> None:
    """Add ``models pull`` to the ``models`` sub-command."""
    p = msub.add_parser(
        "pull", help="download a GGUF model from the Hugging Face hub (resumable, sha256 checked)",
        description="Download a GGUF model from the Hugging Face hub (HF_ENDPOINT: a mirror) into models/.",
    )
    p.add_argument("ref", metavar="REPO[/FILE]", help="e.g. bartowski/Qwen2.5-7B-Instruct-GGUF/"
                   "Qwen2.5-7B-Instruct-Q4_K_M.gguf (without FILE: the repo's only GGUF, or its Q4_K_M)")
    p.add_argument("--revision", help="branch, tag or commit (default: main)")
    p.add_argument("--add", action="store_true", help="write the [[models]] block into the config file")
    p.add_argument("--name", help="the model's name in the config (default: from the file name)")
    p.add_argument("--context", type=positive_int, help="context window to plan memory for (default 4096)")
    p.add_argument("--dir", help=f"where to put the file (default: {MODELS_DIR})")
    p.add_argument("--keep-ranges", action="store_true",
                   help="with --add: leave other models' difficulty ranges alone (the router may then prefer them)")
    add_json_flag(p)
    p.set_defaults(func=cmd_models_pull)


def _say(line: str) -> None:
    """Progress on stderr (stdout keeps the result)."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _placement(settings: Settings, spec: ModelSpec) -> dict:
    from jarvis.hardware import plan_for, probe

    with_it = settings.model_copy(update={"models": (*settings.models, spec)})
    p = plan_for(probe(), with_it)[spec.name]
    return {"device": p.device, "reason": p.reason}


def cmd_models_pull(args: argparse.Namespace) -> int:
    """Pull, check, describe; ``--add`` writes the block."""
    from jarvis import hub
    from jarvis.gguf import check_gguf, format_params
    from jarvis.llm.model_entry import add_to_config, entry_for, file_value

    settings = settings_from(args)
    repo, filename, revision = hub.parse_ref(args.ref)
    revision = args.revision or revision
    dest_dir = Path(args.dir).expanduser() if args.dir else MODELS_DIR
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise JarvisError(f"cannot use {dest_dir} for models: {exc.strerror or exc}", "pass a writable --dir") from None
    hub.check_reachable(hub.endpoint())
    chosen = hub.choose(hub.list_files(repo, revision), repo, filename)
    paths = []
    for remote in chosen:
        _say(f"pulling {repo}/{remote.path} ({remote.size / hub.GiB:.2f} GiB) into {dest_dir}")
        try:
            paths.append(hub.download(repo, remote, dest_dir, revision, say=_say))
        except KeyboardInterrupt:
            raise Interrupted(f"pull of {remote.name} interrupted", "run the same command again: it resumes") from None
    info = check_gguf(paths[0])
    source = f"pulled from {repo}/{chosen[0].path} by `jarvis models pull`"
    entry = entry_for(info, file_value(paths[0], settings.source), name=args.name, context=args.context, source=source)
    spec = ModelSpec(
        name=entry.name, file=paths[0], memory_mb=entry.memory_mb, context=entry.context,
        difficulty=entry.difficulty, specialties=entry.specialties,
    )
    placement = _placement(settings, spec)
    changes = add_to_config(settings, entry, reroute=not args.keep_ranges) if args.add else []
    if args.json:
        print_json({
            "repo": repo, "files": [str(p) for p in paths], "name": entry.name,
            "architecture": info.architecture, "parameters": info.parameters, "quantization": info.quantization,
            "layers": info.layers, "trained_context": info.context_length, "context": entry.context,
            "memory_mb": entry.memory_mb, "placement": placement, "block": entry.toml(), "changes": changes,
        })
        return 0
    size = sum(p.stat().st_size for p in paths) / hub.GiB
    out = [
        f"pulled     {', '.join(p.name for p in paths)} ({size:.2f} GiB, sha256 checked) in {dest_dir}",
        f"model      {info.architecture} {format_params(info.parameters)} {info.quantization}, {info.layers} layers, "
        f"trained context {info.context_length}",
        f"memory     ~{entry.memory_mb} MiB: {entry.memory_note}",
        f"placement  {placement['device']}: {placement['reason']}",
        "",
    ]
    if changes:
        out += changes
    else:
        out += ["add this to config.toml (or run again with --add):", "", entry.toml().rstrip("\n")]
    print("\n".join(out))
    return 0
