"""A ``[[models]]`` block for a GGUF file, from its header, and adding it to a config file.

The block carries the memory estimate (:meth:`GGUFInfo.memory_mb`) the placement planner and
the model pool use, and a difficulty range by model size so the router sends it the requests it
is for. The router picks the smallest model whose range fits a request, so when a smaller local
model's range covers the new one's, :func:`add_to_config` narrows the smaller one's upper end
(and says so) unless asked not to.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from jarvis.config import SPECIALTIES, Settings, parse_settings
from jarvis.errors import ConfigError
from jarvis.gguf import SPLIT, GGUFInfo

DEFAULT_CONTEXT = 4096


@dataclass(frozen=True)
class ModelEntry:
    """What goes into one ``[[models]]`` block."""

    name: str
    file: str
    memory_mb: int
    context: int
    difficulty: tuple[int, int]
    specialties: tuple[str, ...]
    comment: str = ""
    memory_note: str = ""

    def toml(self) -> str:
        """The block as TOML text (comment lines first)."""
        lines = [f"# {c}" for c in self.comment.splitlines() if c]
        lines += [
            "[[models]]",
            f"name = {json.dumps(self.name)}",
            'backend = "llama_cpp"',
            f"file = {json.dumps(self.file)}",
            'device = "auto"',
            f"memory_mb = {self.memory_mb}" + (f"  # {self.memory_note}" if self.memory_note else ""),
            f"context = {self.context}",
            f"difficulty = [{self.difficulty[0]}, {self.difficulty[1]}]",
            "specialties = [" + ", ".join(json.dumps(s) for s in self.specialties) + "]",
        ]
        return "\n".join(lines) + "\n"


def suggest_name(path: Path) -> str:
    """``Qwen2.5-7B-Instruct-Q4_K_M.gguf`` -> ``qwen2.5-7b-instruct-q4_k_m`` (shard suffix dropped)."""
    m = SPLIT.match(path.name)
    stem = m["stem"] if m else path.name.removesuffix(".gguf")
    return re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-") or "model"


def difficulty_for(parameters: int) -> tuple[int, int]:
    """The requests a model of this size should take: tiny ones the easy half, big ones the hard end."""
    if parameters < 1_000_000_000:
        return 1, 45
    if parameters < 3_500_000_000:
        return 30, 100
    if parameters < 10_000_000_000:
        return 46, 100
    return 61, 100


def specialties_for(name: str, parameters: int) -> tuple[str, ...]:
    """Every specialty from ~3B parameters; small models chat and summarise (and code, for coders)."""
    if parameters >= 3_000_000_000:
        return SPECIALTIES
    return tuple(s for s in SPECIALTIES if s in ("chat", "summary") or (s == "code" and "coder" in name))


def entry_for(
    info: GGUFInfo, file_value: str, *, name: str | None = None, context: int | None = None, source: str = "",
) -> ModelEntry:
    """The block for a GGUF whose header is ``info``; ``file_value`` is what to write as ``file``."""
    ctx = context or DEFAULT_CONTEXT
    if info.context_length:
        ctx = min(ctx, info.context_length)
    weights = round(info.tensor_bytes / 1024**2)
    note = (f"weights {weights} + KV cache {info.kv_cache_mb(ctx)} + compute {info.compute_mb(ctx)} MiB "
            f"at context {ctx}, +5%")
    model_name = name or suggest_name(info.path)
    comment = f"{info.name}: {info.summary()}"
    if source:
        comment += f"\n{source}"
    return ModelEntry(
        model_name, file_value, info.memory_mb(ctx), ctx, difficulty_for(info.parameters),
        specialties_for(model_name, info.parameters), comment, note,
    )


def file_value(path: Path, config: Path | None) -> str:
    """``path`` relative to the config file's folder when it lies under it, else absolute."""
    path = path.resolve()
    if config is not None:
        try:
            return str(path.relative_to(config.resolve().parent))
        except ValueError:
            pass
    return str(path)


def _narrow(text: str, name: str, hi: int) -> str:
    """Set the upper end of ``difficulty`` in the ``[[models]]`` block named ``name``."""
    blocks = re.split(r"(?m)^(?=\s*\[)", text)
    for i, block in enumerate(blocks):
        if re.match(r"\s*\[\[models\]\]", block) and re.search(rf'(?m)^\s*name\s*=\s*"{re.escape(name)}"', block):
            new, n = re.subn(r"(?m)^(\s*difficulty\s*=\s*\[\s*\d+\s*,\s*)\d+(\s*\])", rf"\g<1>{hi}\g<2>", block)
            if n == 1:
                blocks[i] = new
                return "".join(blocks)
    return text


def add_to_config(settings: Settings, entry: ModelEntry, reroute: bool = True) -> list[str]:
    """Append ``entry`` to the config file ``settings`` came from; returns one line per change made.

    Raises:
        ConfigError: no config file, a model of that name exists, or the result does not validate.
    """
    path = settings.source
    if path is None or not Path(path).is_file():
        raise ConfigError("no config file to add the model to", "pass --config FILE")
    path = Path(path)
    if any(m.name == entry.name for m in settings.models):
        raise ConfigError(f"{path}: a model named '{entry.name}' is already configured", "choose another with --name")
    text = path.read_text(encoding="utf-8")
    changes = []
    lo = entry.difficulty[0]
    if reroute:
        for m in settings.models:
            m_lo, m_hi = m.difficulty
            if m.is_local and m_hi >= lo and m.memory_mb <= entry.memory_mb and m_lo < lo:
                narrowed = _narrow(text, m.name, lo - 1)
                if narrowed != text:
                    text = narrowed
                    changes.append(f"{m.name} now takes difficulty {m_lo}-{lo - 1} (was {m_lo}-{m_hi}), "
                                   f"so {entry.name} answers {lo}-{entry.difficulty[1]}")
    text = text.rstrip("\n") + "\n\n" + entry.toml()
    try:
        new = parse_settings(tomllib.loads(text), path)
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - the block is generated
        raise ConfigError(f"{path}: adding the model would break the file ({exc})", "add the block by hand") from None
    assert any(m.name == entry.name for m in new.models)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, path.stat().st_mode & 0o777)
    os.replace(tmp, path)
    changes.append(f"added [[models]] '{entry.name}' to {path}")
    return changes
