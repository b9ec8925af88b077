"""A tiny run of each GPU engine on each NVIDIA GPU: ``python -m jarvis.gpu_check`` (install.sh runs it).

For every GPU NVML lists: PyTorch (a sum on the GPU), faster-whisper (whisper-tiny.en, float16,
one decode) and llama.cpp (SmolLM2-135M, every layer on that GPU, a few tokens). Each check runs
in its own process: a broken CUDA library can abort a process (cuDNN does), and one engine's
crash must not hide the others' results. One line per GPU; exit status 1 when anything failed
(the stage then runs on the CPU: Jarvis falls back by itself and says why).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

MODELS = Path(__file__).resolve().parent.parent / "models"
ENGINES = {"torch": "PyTorch", "whisper": "faster-whisper", "llama": "llama.cpp"}


def check_torch(index: int) -> str:
    """A sum of a million ones on GPU ``index``."""
    import torch

    if not torch.version.cuda:
        raise RuntimeError(f"a CPU build of PyTorch ({torch.__version__})")
    if not torch.cuda.is_available() or index >= torch.cuda.device_count():
        raise RuntimeError(f"PyTorch {torch.__version__} sees {torch.cuda.device_count()} GPU(s)")
    total = float(torch.ones(1 << 20, device=f"cuda:{index}").sum())
    torch.cuda.synchronize(index)
    assert total == float(1 << 20)
    return f"CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}"


def check_whisper(index: int) -> str:
    """whisper-tiny.en in float16 on GPU ``index``: load, one encode (in the loader), one decode."""
    import numpy as np

    from jarvis.stt.faster_whisper_backend import FasterWhisperSTT

    device = f"cuda:{index}"
    stt = FasterWhisperSTT(MODELS / "whisper-tiny.en", device=device, compute_type="float16")
    try:
        if stt.device != device:
            raise RuntimeError(stt.fallback_note)
        t0 = time.monotonic()
        stt.transcribe(np.zeros(16000, np.float32) + 0.01 * np.sin(np.arange(16000, dtype=np.float32)), "en")
        if stt.device != device:
            raise RuntimeError(stt.fallback_note)
        return f"one decode in {time.monotonic() - t0:.2f}s"
    finally:
        stt.close()


def check_llama(index: int) -> str:
    """SmolLM2-135M with every layer on GPU ``index``: eight tokens."""
    from jarvis.config import ModelSpec
    from jarvis.llm.base import ChatMessage, GenerationRequest
    from jarvis.llm.llama_cpp_backend import LlamaCppChat

    spec = ModelSpec(name="smollm2-135m", file=MODELS / "smollm2-135m-instruct-q4_1.gguf", context=512)
    model = LlamaCppChat(spec, gpu_layers=-1, device=f"cuda:{index}")
    try:
        model.complete(GenerationRequest([ChatMessage("user", "Say hi.")], max_tokens=8, temperature=0.0, seed=1))
        return f"{model.last_stats.tokens_per_s:.0f} tok/s"
    finally:
        model.close()


def run_one(engine: str, index: int) -> int:
    """Run one check in this process; print ``ok ...`` or ``failed: ...``; exit status 0 or 1."""
    from jarvis.errors import JarvisError

    check = {"torch": check_torch, "whisper": check_whisper, "llama": check_llama}[engine]
    try:
        print(f"ok ({check(index)})")
        return 0
    except JarvisError as exc:
        print(f"failed: {exc.message}")
    except Exception as exc:
        print(f"failed: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
    return 1


def main(argv: list[str]) -> int:
    """Every engine on every GPU, each in a child process; one line per GPU."""
    if argv[:1] == ["--one"]:
        return run_one(argv[1], int(argv[2]))
    from jarvis.hardware import probe_gpus

    gpus, note = probe_gpus()
    if not gpus:
        print(f"no NVIDIA GPU ({note}): nothing to check")
        return 0
    failed = False
    for gpu in gpus:
        results = []
        for engine, label in ENGINES.items():
            try:
                p = subprocess.run([sys.executable, "-m", "jarvis.gpu_check", "--one", engine, str(gpu.index)],
                                   capture_output=True, text=True, timeout=600)
                lines = p.stdout.strip().splitlines()
                result = lines[-1] if lines else f"failed: crashed (exit {p.returncode})"
            except subprocess.TimeoutExpired:
                result = "failed: no answer in 10 minutes"
            failed |= not result.startswith("ok")
            results.append(f"{label} {result}")
        print(f"GPU {gpu.index} ({gpu.name}): " + "; ".join(results))
    if failed:
        print("a stage whose check failed runs on the CPU (Jarvis says so when it starts); "
              "`jarvis doctor --deep` shows each stage's device and speed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
