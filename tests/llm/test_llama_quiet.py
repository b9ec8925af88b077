"""Loading a GGUF model on a background thread leaves the process's stdout and stderr working."""

from __future__ import annotations

import sys
import threading

from devsupport.paths import SMOLLM
from jarvis.config import ModelSpec
from jarvis.llm.llama_cpp_backend import LlamaCppChat


def test_output_written_while_a_model_loads_is_not_lost(capfd):
    """llama-cpp-python pointed fds 1 and 2 at /dev/null while loading: another thread's lines vanished."""
    spec = ModelSpec(name="smollm2-135m", file=SMOLLM, context=2048)
    loaded = threading.Event()
    models = []

    def load() -> None:
        for _ in range(3):  # three loads: the writer below overlaps at least one of them
            models.append(LlamaCppChat(spec, n_threads=1))
        loaded.set()

    loader = threading.Thread(target=load)
    loader.start()
    written = 0
    while not loaded.is_set():
        print(f"err line {written}", file=sys.stderr, flush=True)
        print(f"out line {written}", flush=True)
        written += 1
        loaded.wait(0.002)
    loader.join()
    for model in models:
        model.close()
    out, err = capfd.readouterr()
    assert written > 3
    assert [ln for ln in err.splitlines() if ln.startswith("err line")] == [f"err line {i}" for i in range(written)]
    assert [ln for ln in out.splitlines() if ln.startswith("out line")] == [f"out line {i}" for i in range(written)]
    assert "llama_model_load" not in err  # llama.cpp's own log goes to the log file, not the terminal
