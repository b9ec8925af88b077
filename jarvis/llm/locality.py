"""Where a model runs and which key it needs: on this machine or off it, and may it answer at all.

A turn "leaves the machine" when it goes to a cloud API or to a server that is not on this
computer; a server on localhost / a loopback address does not count. API keys are only checked for
presence here; their values are never read out. :func:`withhold_memories` is the one rule for
whether long-term memories may go with a turn.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlparse

from jarvis.config import ModelSpec, Settings

DEFAULT_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def key_env_var(spec: ModelSpec) -> str | None:
    """The environment variable holding ``spec``'s API key (None: the backend needs none)."""
    return spec.key_env or DEFAULT_KEY_ENV.get(spec.backend)


def has_key(spec: ModelSpec, env: Mapping[str, str] | None = None) -> bool:
    """True when ``spec`` needs no key or its key variable is set (the value is never read out)."""
    var = key_env_var(spec)
    return var is None or bool((os.environ if env is None else env).get(var, "").strip())


def leaves_machine(spec: ModelSpec) -> bool:
    """True when a turn answered by ``spec`` is sent off this computer (cloud API, remote server)."""
    if spec.is_local:
        return False
    if spec.backend != "openai_compatible":
        return True
    host = (urlparse(spec.base_url or "").hostname or "").lower()
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def usable(spec: ModelSpec, settings: Settings, env: Mapping[str, str] | None = None) -> bool:
    """May ``spec`` answer at all: local, or allowed off-machine (router.allow_api) with a key."""
    if spec.is_local:
        return True
    if leaves_machine(spec) and not settings.router.allow_api:
        return False
    return has_key(spec, env)


def withhold_memories(spec: ModelSpec, settings: Settings) -> bool:
    """The one memory policy: memories stay on this machine unless ``memory.share_with_api``."""
    return leaves_machine(spec) and not settings.memory.share_with_api
