"""The one way Jarvis opens an ONNX model: an onnxruntime session on the CPU, spinning off.

Used by the voices (Piper, Kokoro), the wake-word model and the turn-end judge. onnxruntime is
imported only when a session is opened, so importing this module is free.
"""

from __future__ import annotations

from typing import Any


def cpu_session(model_path: Any, threads: int = 0, spin: bool = False) -> Any:
    """An onnxruntime session on the CPU with ``threads`` intra-op threads (0 = library default).

    ``spin``: idle worker threads busy-wait for the next piece of work. Off by default: these
    models run beside the language model, and a spinning thread takes a core from it. Measured
    (Kokoro, a 4-word Spanish piece, 2 threads, 2 cores): alone 0.50 s spinning vs 0.54 s not;
    beside one busy thread 0.94 s spinning vs 0.78 s not.
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads > 0:
        options.intra_op_num_threads = threads
    if not spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
