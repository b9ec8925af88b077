"""Export and import of memories as JSON lines: ``{"id": ..., "text": ..., "metadata": {...}}``.

Reading checks the whole file first and names the first bad line; writing goes to a temporary
file that replaces the target only when complete, so an interrupted export never leaves half a file.
"""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from jarvis.errors import MemoryStoreError
from jarvis.memory.base import Metadata, Record
from jarvis.memory.redact import redact
from jarvis.private import open_private

MAX_ID = 128
_HINT = 'each line must be a JSON object like {"id": "...", "text": "...", "metadata": {...}}'


def write_jsonl(path: Path, records: Iterable[Record]) -> int:
    """Write records to ``path`` atomically; returns how many. Raises MemoryStoreError."""
    path = Path(path).expanduser()
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    n = 0
    try:
        with open_private(tmp, "w") as fh:  # exports hold private facts: 0600
            for r in records:
                meta = dict(sorted(r.metadata.items()))
                fh.write(json.dumps({"id": r.id, "text": r.text, "metadata": meta}, ensure_ascii=False))
                fh.write("\n")
                n += 1
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise MemoryStoreError(
            f"cannot write {path}: {exc.strerror or exc}", "choose a folder you can write, with free space"
        ) from None
    return n


def _bad(path: Path, lineno: int, what: str) -> MemoryStoreError:
    return MemoryStoreError(f"{path}:{lineno}: {what}; nothing was imported", _HINT)


def _metadata(path: Path, lineno: int, raw: object) -> Metadata:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _bad(path, lineno, "'metadata' must be an object")
    out: Metadata = {}
    for key, value in raw.items():
        if not isinstance(value, (str, int, float, bool)) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            raise _bad(path, lineno, f"metadata '{key}' must be a string, number or boolean")
        out[str(key)] = value
    return out


def read_jsonl(path: Path) -> list[Record]:
    """Parse and check an export file. Raises MemoryStoreError naming the first bad line."""
    path = Path(path).expanduser()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise MemoryStoreError(f"import file not found: {path}", "check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MemoryStoreError(f"cannot read {path}: {exc}", "it must be a UTF-8 JSON-lines file") from None
    records: list[Record] = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise _bad(path, lineno, f"not valid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise _bad(path, lineno, "not a JSON object")
        text = obj.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad(path, lineno, "'text' is missing or empty")
        rid = obj.get("id", "")
        if rid is None:
            rid = ""
        if not isinstance(rid, str) or len(rid) > MAX_ID or any(ord(c) < 32 for c in rid):
            raise _bad(path, lineno, f"'id' must be a string of at most {MAX_ID} printable characters")
        records.append(Record(rid, text, _metadata(path, lineno, obj.get("metadata"))))
    return records


def new_records(records: list[Record], present: set[str]) -> list[Record]:
    """What an import stores: records whose id is not ``present`` (nor repeated), redacted, with
    ``time`` and ``source`` set when missing; a record without an id gets a new one."""
    todo: list[Record] = []
    seen: set[str] = set()
    for r in records:
        rid = r.id or uuid.uuid4().hex[:12]
        if rid in present or rid in seen:
            continue
        seen.add(rid)
        text, n = redact(r.text)
        meta = dict(r.metadata)
        meta.setdefault("time", time.time())
        meta.setdefault("source", "import")
        if n:
            meta["redacted"] = int(meta.get("redacted", 0) or 0) + n
        todo.append(Record(rid, text, meta))
    return todo
