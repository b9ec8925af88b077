"""Backend names in config -> classes, imported only when first used."""

from __future__ import annotations

import importlib

from jarvis.errors import ConfigError, MissingDependency

BACKENDS: dict[str, str] = {
    "llama_cpp": "jarvis.llm.llama_cpp_backend:LlamaCppChat",
    "openai": "jarvis.llm.openai_backend:OpenAIChat",
    "openai_compatible": "jarvis.llm.openai_backend:OpenAICompatibleChat",
    "anthropic": "jarvis.llm.anthropic_backend:AnthropicChat",
}


def backend_class(name: str) -> type:
    """Import and return the class for backend ``name``."""
    try:
        target = BACKENDS[name]
    except KeyError:
        raise ConfigError(
            f"unknown backend '{name}'", f"valid backends: {', '.join(sorted(BACKENDS))}"
        ) from None
    module, _, cls = target.partition(":")
    try:
        return getattr(importlib.import_module(module), cls)
    except ImportError as exc:
        raise MissingDependency(
            f"backend '{name}' needs a package that is not installed ({exc.name})",
            "run ./install.sh (it installs every backend's packages)",
        ) from None
