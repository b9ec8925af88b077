"""llama.cpp's own log goes to Jarvis's log, and loading a model leaves the process's output alone.

With ``verbose=False`` llama-cpp-python silences llama.cpp while it loads a model by pointing file
descriptors 1 and 2 at ``/dev/null`` (and ``sys.stdout``/``sys.stderr`` at null files) for the
whole process. Jarvis loads models on background threads, so whatever another thread printed in
that window was lost: ``jarvis ask --input`` dropped its "listening to …" line (a CI run caught
it), and a reply printed while a second model loaded could vanish the same way.

:func:`keep_process_streams` turns that silencing off and routes llama.cpp's log lines to the
``jarvis.llama_cpp`` logger instead (errors as warnings, the rest at debug level), so nothing
reaches the terminal and nothing is swallowed.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
from collections.abc import Iterator
from typing import Any

log = logging.getLogger("jarvis.llama_cpp")

_GGML_LOG_ERROR = 3
_installed: dict[str, Any] = {}  # keeps the ctypes callback alive while llama.cpp holds it


@contextlib.contextmanager
def _leave_streams(*_args: Any, **_kwargs: Any) -> Iterator[None]:
    """Stands in for ``llama_cpp._utils.suppress_stdout_stderr``: changes nothing."""
    yield


def keep_process_streams() -> None:
    """Stop llama-cpp-python redirecting fds 1 and 2 while it loads; log llama.cpp's lines. Idempotent."""
    if _installed:
        return
    import llama_cpp
    from llama_cpp import _internals, llama, llama_chat_format

    for module in (_internals, llama, llama_chat_format):
        if hasattr(module, "suppress_stdout_stderr"):
            module.suppress_stdout_stderr = _leave_streams  # type: ignore[attr-defined]

    @llama_cpp.llama_log_callback
    def _to_log(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
        line = text.decode("utf-8", "replace").rstrip()
        if line:
            log.log(logging.WARNING if level == _GGML_LOG_ERROR else logging.DEBUG, "%s", line)

    llama_cpp.llama_log_set(_to_log, ctypes.c_void_p(0))
    _installed["callback"] = _to_log
