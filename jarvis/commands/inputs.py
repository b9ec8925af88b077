"""What the user hands a command — text on argv or stdin, an output path — checked before any work.

Long work must not end in an error that could have been seen at the start: an output file that
cannot be written is refused before models load, and text too big or not text at all is refused
before it is stored or sent anywhere (see :mod:`jarvis.text` for why binary input is refused).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from jarvis.errors import InputError
from jarvis.text import clean_text, decode_text

MAX_TEXT_BYTES = 1 << 20  # 1 MiB: far beyond any local model's context; the prompt cuts it anyway
_TOO_BIG_HINT = "pass a shorter text (e.g. `head -c 100000 FILE`), or ask about one part at a time"


def read_stdin(what: str = "standard input") -> str | None:
    """The text piped to the command, or None when stdin is a terminal or closed.

    Raises:
        InputError: more than 1 MiB, or binary data rather than text.
    """
    stream = sys.stdin
    try:
        if stream is None or stream.closed or stream.isatty():
            return None
    except ValueError:  # closed underneath
        return None
    buffer = getattr(stream, "buffer", None)
    try:
        data = buffer.read(MAX_TEXT_BYTES + 1) if buffer is not None else _encode(stream.read(MAX_TEXT_BYTES + 1))
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}", "pipe a text file, or pass the text") from None
    if len(data) > MAX_TEXT_BYTES:
        raise InputError(f"{what} is larger than {MAX_TEXT_BYTES // 1024} KiB", _TOO_BIG_HINT)
    return decode_text(data, what)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogateescape")


def text_arg(value: str, what: str = "the text") -> str:
    """A text argument, with bytes that were not UTF-8 replaced by U+FFFD.

    Raises:
        InputError: more than 1 MiB.
    """
    if len(value) > MAX_TEXT_BYTES:
        raise InputError(f"{what} is longer than {MAX_TEXT_BYTES // 1024} KiB", _TOO_BIG_HINT)
    return clean_text(value)


def writable_output(value: str | os.PathLike, what: str = "output file") -> Path:
    """``value`` as a path a file can be written to (its folder is created later if missing).

    Raises:
        InputError: it is a folder, a read-only file, or lies under something that is not a
            writable folder.
    """
    path = Path(value).expanduser()
    if str(value).strip() == "" or path.is_dir():
        raise InputError(f"the {what} {str(value)!r} is a folder, not a file", "give a file name, e.g. out.wav")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise InputError(f"cannot write the {what} {path}: permission denied", "choose another file")
        return path
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise InputError(f"cannot write the {what} {path}: {folder} is not a folder", "choose another path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot write the {what} {path}: {folder} is not writable", "choose a folder you can write")
    return path
