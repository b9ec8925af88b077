"""Redact anything that looks like a secret before it is stored in long-term memory.

Covers API keys and tokens by shape (OpenAI, Anthropic, GitHub, Slack, AWS, Google, Hugging Face,
JWTs, bearer tokens, PEM private keys), ``key=value`` style assignments (password, token, secret,
api key...), spoken forms ("my password is hunter2", "mi contraseña es ...") and the values of API
key environment variables. Idempotent: redacting twice gives the same text. Stdlib only.
"""

from __future__ import annotations

import os
import re

MARK = "[redacted]"

# Secrets recognisable by their shape alone.
_SHAPES = [
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)",
    r"\bsk-(?:ant-|proj-|live-|test-)?[A-Za-z0-9_\-]{16,}",
    r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}",
    r"\bgithub_pat_[A-Za-z0-9_]{20,}",
    r"\bxox[abprs]-[A-Za-z0-9\-]{10,}",
    r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",
    r"\bAIza[0-9A-Za-z_\-]{30,}",
    r"\bhf_[A-Za-z0-9]{20,}",
    r"\bglpat-[A-Za-z0-9_\-]{20,}",
    r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
    r"(?i:bearer)\s+[A-Za-z0-9._~+/\-]{12,}=*",
]
_SHAPE_RE = re.compile("|".join(f"(?:{p})" for p in _SHAPES), re.DOTALL)
# The password in scheme://user:password@host
_URL_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@]+:)(?!\[redacted\]@)([^\s@/]+)(@)")

# Words that announce a secret; the value after them is redacted.
_KEYWORDS = (
    r"pass(?:word|wd|phrase|code)?|pwd|pin(?:\s+(?:code|number))?|secret(?:\s+key)?|"
    r"api[\s_\-]?key|access[\s_\-]?key|private[\s_\-]?key|auth[\s_\-]?token|access[\s_\-]?token|"
    r"token|credentials?|contrase(?:ñ|n)a|clave(?:\s+secreta)?|mot\s+de\s+passe"
)
# Spoken forms skip a bare "secret" ("the secret to good bread is time").
_SPOKEN_KEYWORDS = _KEYWORDS.replace("secret(?:\\s+key)?", "secret\\s+key")
# "password: x", "API_KEY=x", "token -> x"
_ASSIGN_RE = re.compile(
    rf"(?i)\b((?:[a-z0-9]+[_\-])*(?:{_KEYWORDS})(?:[_\-][a-z0-9]+)*)(\s*[:=]+\s*|\s*->\s*)"
    r"(?!\[redacted\])(['\"]?)([^\s'\",;]+)\3"
)
# "my password is x", "the wifi password was x", "mi contraseña es x"
_SPOKEN_RE = re.compile(
    rf"(?i)\b((?:{_SPOKEN_KEYWORDS}))(\s+(?:(?:for|of|to|on|at|de|del|para)\s+(?:\S+\s+){{1,3}}?)?"
    r"(?:is|was|are|=|es|era|est)\s+)"
    r"(?!\[redacted\])(['\"]?)([^\s'\",;]+)\3"
)
_ENV_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GROQ_API_KEY", "MISTRAL_API_KEY", "HF_TOKEN")


def _value_sub(m: re.Match) -> str:
    value = m.group(4)
    if value.lower() in ("a", "an", "the", "not", "no", "set", "empty", "secret", "un", "una", "el", "la"):
        return m.group(0)  # "the password is not set", "the token is a secret": nothing to hide
    return f"{m.group(1)}{m.group(2)}{MARK}"


def redact(text: str) -> tuple[str, int]:
    """Replace secrets in ``text`` with ``[redacted]``.

    Returns:
        The cleaned text and how many secrets were replaced.
    """
    count = 0
    for var in _ENV_VARS:
        value = os.environ.get(var, "")
        if len(value) >= 8 and value in text:
            count += text.count(value)
            text = text.replace(value, MARK)
    text, n = _SHAPE_RE.subn(MARK, text)
    count += n
    text, n = _URL_RE.subn(rf"\1{MARK}\3", text)
    count += n
    for pattern in (_ASSIGN_RE, _SPOKEN_RE):
        new = pattern.sub(_value_sub, text)
        if new != text:
            count += new.count(MARK) - text.count(MARK)
            text = new
    return text, count


def looks_secret(text: str) -> bool:
    """True when :func:`redact` would change ``text``."""
    return redact(text)[1] > 0
