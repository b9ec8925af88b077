"""Export and import of memories as JSON lines: ``{"id": ..., "text": ..., "metadata": {...}}``, and
the bound on a memory's text.

Reading streams the file a line at a time (a line may hold up to :data:`MAX_LINE` bytes) and names
the first bad line; it keeps at most a few thousand characters of each text, so a 10 MB line costs
10 MB while it is parsed and nothing after. Writing goes to a temporary file that replaces the
target only when complete, so an interrupted export never leaves half a file.

A memory keeps at most :data:`MAX_CHARS` characters (:func:`fit_text`). A fact is a sentence or
a few; the embedders read no further than a window of that order (all-MiniLM-L6-v2: 256 word
pieces, about 1,000 characters; USE multilingual has no fixed window, but its working memory grows
by about 10 KB per token, so 200 KB of text took 1.5 GB and a 10 MB line more than 20 GB); recalled
memories share a prompt budget of a few hundred tokens.
"""

from __future__ import annotations

import codecs
import json
import math
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from jarvis.errors import MemoryStoreError
from jarvis.memory.base import Metadata, Progress, Record
from jarvis.private import open_private
from jarvis.redact import redact

MAX_ID = 128
#: Characters a memory keeps; the rest is left out (and the user told).
MAX_CHARS = 4000
#: Characters beyond the cut that are still redacted first, so that a secret the cut runs through
#: is redacted whole (``sk-...`` cut to ``sk-abc`` would no longer look like a key).
_REDACT_MARGIN = 1000
#: Metadata an import accepts per memory (ours is a handful of short values).
MAX_META_KEYS, MAX_META_CHARS = 64, 1000
#: The longest line an import reads (bytes); a longer one is refused before it is read.
MAX_LINE = 32 * 1024 * 1024
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


def fit_text(text: str, length: int | None = None) -> tuple[str, int, int]:
    """``text`` as memory keeps it: secrets redacted, then cut to :data:`MAX_CHARS` at a space
    (ending in "…").

    Args:
        text: the stripped text, or its first ``MAX_CHARS + 1000`` characters or more.
        length: how long the whole text was, when ``text`` is only its start.
    Returns:
        (the text to store, how many secrets were redacted, how many characters were left out).
    """
    full = len(text) if length is None else length
    clean, redacted = redact(text[: MAX_CHARS + _REDACT_MARGIN])
    if len(clean) <= MAX_CHARS and full <= MAX_CHARS + _REDACT_MARGIN and len(text) == full:
        return clean, redacted, 0
    cut = clean[: MAX_CHARS - 1]
    space = max(cut.rfind(c, MAX_CHARS - 200) for c in " \n\t")
    if space > 0:
        cut = cut[:space]
    cut = cut.rstrip()
    return cut + "…", redacted, max(1, full - len(cut))


def _bad(path: Path, lineno: int, what: str) -> MemoryStoreError:
    return MemoryStoreError(f"{path}:{lineno}: {what}; nothing was imported", _HINT)


def _metadata(path: Path, lineno: int, raw: object) -> Metadata:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _bad(path, lineno, "'metadata' must be an object")
    if len(raw) > MAX_META_KEYS:
        raise _bad(path, lineno, f"'metadata' has more than {MAX_META_KEYS} keys")
    out: Metadata = {}
    for key, value in raw.items():
        if not isinstance(value, (str, int, float, bool)) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            raise _bad(path, lineno, f"metadata '{key}' must be a string, number or boolean")
        if len(key) > MAX_META_CHARS or (isinstance(value, str) and len(value) > MAX_META_CHARS):
            raise _bad(path, lineno, f"metadata '{key[:40]}' is longer than {MAX_META_CHARS} characters")
        out[str(key)] = value
    return out


def _lines(path: Path, progress: Progress | None = None) -> Iterator[tuple[int, str]]:
    """(line number, text) of each line of ``path``, read a line at a time; ``progress(bytes read,
    file size)`` every MiB or so. Raises MemoryStoreError."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below; the errors differ by step
        size = os.fstat(fh.fileno()).st_size
    except FileNotFoundError:
        raise MemoryStoreError(f"import file not found: {path}", "check the path") from None
    except OSError as exc:
        raise MemoryStoreError(f"cannot read {path}: {exc.strerror or exc}", "check the path") from None
    with fh:
        lineno = done = told = 0
        while True:
            try:
                raw = fh.readline(MAX_LINE + 1)
            except OSError as exc:
                raise MemoryStoreError(f"cannot read {path}: {exc.strerror or exc}", "check the file") from None
            done += len(raw)
            if progress and (not raw or done - told >= 1 << 20):
                told = done
                progress(done, max(size, done))
            if not raw:
                return
            lineno += 1
            if len(raw) > MAX_LINE:
                raise _bad(path, lineno, f"the line is longer than {MAX_LINE >> 20} MiB")
            if lineno == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                yield lineno, raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise MemoryStoreError(
                    f"cannot read {path}: line {lineno} is not UTF-8 ({exc.reason})",
                    "it must be a UTF-8 JSON-lines file",
                ) from None


def iter_jsonl(path: Path, progress: Progress | None = None) -> Iterator[tuple[Record, int]]:
    """Parse and check an export file as it is read: (record, length of its text) per line.

    A record's text is cut to ``MAX_CHARS + 1000`` characters (see :func:`fit_text`); ``length``
    is how long it was in the file. ``progress(bytes read, file size)`` is called as it goes.
    Raises MemoryStoreError naming the first bad line.
    """
    path = Path(path).expanduser()
    for lineno, line in _lines(path, progress):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise _bad(path, lineno, f"not valid JSON ({getattr(exc, 'msg', exc)})") from None
        except RecursionError:
            raise _bad(path, lineno, "not valid JSON (nested too deeply)") from None
        del line
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
        meta = _metadata(path, lineno, obj.get("metadata"))
        text = text.strip()
        yield Record(rid, text[: MAX_CHARS + _REDACT_MARGIN], meta), len(text)


def read_jsonl(path: Path) -> list[Record]:
    """Every record of an export file (see :func:`iter_jsonl`). Raises MemoryStoreError."""
    return [record for record, _ in iter_jsonl(path)]


def new_records(
    entries: Iterable[tuple[Record, int]], present: set[str], seen: set[str]
) -> list[tuple[Record, int]]:
    """What an import stores of ``entries`` (from :func:`iter_jsonl`): records whose id is neither
    ``present`` nor ``seen`` (which it adds to), redacted and cut (:func:`fit_text`), with ``time``
    and ``source`` set when missing; a record without an id gets a new one. Returns (record,
    characters left out) pairs; a cut record's metadata says ``cut`` = how many."""
    todo: list[tuple[Record, int]] = []
    for r, length in entries:
        rid = r.id or uuid.uuid4().hex[:12]
        if rid in present or rid in seen:
            continue
        seen.add(rid)
        text, n, dropped = fit_text(r.text, length)
        meta = dict(r.metadata)
        meta.setdefault("time", time.time())
        meta.setdefault("source", "import")
        if n:
            meta["redacted"] = int(meta.get("redacted", 0) or 0) + n
        if dropped:
            meta["cut"] = dropped
        todo.append((Record(rid, text, meta), dropped))
    return todo
