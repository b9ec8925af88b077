"""Text from outside (standard input, argv, files) made safe to store and to send to a model.

Standard input is decoded as UTF-8. A few invalid bytes (a Latin-1 accent in a pasted text) are
replaced with U+FFFD and the user is told; input that is mostly not text (random bytes, a binary
file piped by mistake) is refused with :class:`InputError`, because answering noise wastes a
model run and hides the mistake. Lone surrogates (how Python carries undecodable argv bytes) are
replaced as well, so every stored string encodes as UTF-8. Stdlib only.
"""

from __future__ import annotations

import re
import unicodedata

from jarvis.errors import InputError
from jarvis.notices import notice

MAX_BAD_SHARE = 0.05  # more undecodable bytes than this (or any NUL byte) and it is not text
_SURROGATE = re.compile("[\ud800-\udfff]")
_BINARY_HINT = "pipe UTF-8 text (convert with `iconv -f LATIN1 -t UTF-8 FILE`), or pass the question as an argument"


def clean_text(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD (so it always encodes as UTF-8)."""
    return _SURROGATE.sub("\ufffd", text)


def decode_text(data: bytes, what: str = "standard input") -> str:
    """Decode UTF-8 ``data`` (a BOM is dropped); a few bad bytes become U+FFFD with a notice.

    Raises:
        InputError: the data is binary (NUL bytes, or more than 5 % undecodable bytes).
    """
    if b"\x00" in data:
        raise InputError(f"{what} is binary data, not text (it holds NUL bytes)", _BINARY_HINT)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8-sig", errors="replace")
    bad = text.count("\ufffd") - data.decode("utf-8-sig", errors="ignore").count("\ufffd")
    if bad > max(1, len(data) * MAX_BAD_SHARE):
        raise InputError(f"{what} is not UTF-8 text ({bad} of {len(data)} bytes cannot be read)", _BINARY_HINT)
    notice(f"{bad} byte(s) of {what} were not UTF-8 and were replaced with \ufffd")
    return text


def fold_accents(text: str) -> str:
    """Lower case without accents ("Miércoles" -> "miercoles"), for matching English and Spanish words."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
