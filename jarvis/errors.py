"""Errors a person can act on: every one has a one-line message and a hint.

The CLI prints ``error: <message>`` and ``hint: <hint>`` to stderr and exits 2; the TUI shows a
notification and keeps running. Nothing here imports anything heavy.
"""

from __future__ import annotations


class JarvisError(Exception):
    """Base of every expected failure: a one-line ``message`` and a ``hint`` saying what to do."""

    title = "Jarvis error"

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message.strip().replace("\n", " ")
        self.hint = hint.strip().replace("\n", " ")

    def __str__(self) -> str:
        return self.message

    def one_line(self) -> str:
        """Message and hint on one line, for notifications and logs."""
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class ConfigError(JarvisError):
    """The configuration file is missing, unreadable or holds a bad value."""

    title = "Configuration error"


class ModelNotFound(JarvisError):
    """A model file or a model name does not exist."""

    title = "Model not found"


class ModelCorrupt(JarvisError):
    """A model file exists but its checksum does not match."""

    title = "Model file corrupt"


class ModelLoadError(JarvisError):
    """A backend could not load a model (bad file, out of memory, unsupported format)."""

    title = "Model failed to load"


class OutOfMemory(ModelLoadError):
    """A model does not fit in the memory of any allowed device."""

    title = "Not enough memory"


class BackendUnavailable(JarvisError):
    """A backend cannot be reached or failed (server down, timeout, rate limit, 5xx)."""

    title = "Backend unavailable"


class NeedsKey(JarvisError):
    """A cloud backend needs an API key that is not set (or was rejected)."""

    title = "API key needed"


class EmptyInput(JarvisError):
    """The user sent nothing to answer."""

    title = "Nothing to answer"


class Interrupted(JarvisError):
    """Generation was stopped by the user (Ctrl-C, Esc, barge-in)."""

    title = "Interrupted"


class AudioDeviceError(JarvisError):
    """No usable microphone or speaker, or a device went away."""

    title = "Audio device"


class AudioFormatError(JarvisError):
    """An audio file cannot be read or has an unsupported format."""

    title = "Audio file"


class MemoryStoreError(JarvisError):
    """The long-term memory store cannot be used (unwritable, locked, corrupt, unreachable)."""

    title = "Memory store"


class MissingDependency(JarvisError):
    """An optional Python package is not installed."""

    title = "Missing package"


class InputError(JarvisError):
    """Text or a file given to Jarvis cannot be used as it is (binary data, a folder, too big)."""

    title = "Unusable input"


class StorageError(JarvisError):
    """A file Jarvis keeps (conversation, metrics, output) cannot be written: disk full, no permission."""

    title = "Cannot save"
