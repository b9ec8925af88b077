"""llama.cpp on a GPU: importing a CUDA build, and the loading options that keep a model on one GPU.

A llama-cpp-python built with ``-DGGML_CUDA=on`` links the CUDA runtime and cuBLAS; when they are
pip wheels (``install.sh`` installs them) they are preloaded before the import (see
:mod:`jarvis.cuda`). A CPU build asked to put layers on a GPU raises :class:`ModelLoadError`, so
the model pool loads the model on the CPU instead and says why in one line.
"""

from __future__ import annotations

from typing import Any

from jarvis import cuda
from jarvis.errors import MissingDependency, ModelLoadError

LLAMA_SPLIT_MODE_NONE = 0  # the whole model on main_gpu (llama.cpp's default splits layers over every GPU)


def import_llama() -> Any:
    """``llama_cpp.Llama``, with the CUDA libraries preloaded when an NVIDIA driver is present.

    Raises:
        MissingDependency: llama-cpp-python is missing, or its library cannot load (a CUDA build
            without the CUDA runtime it was built against).
    """
    if cuda.driver_present():
        cuda.missing("llama_cpp")  # only one CUDA major is there; a missing one shows in the import error
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise MissingDependency(f"llama-cpp-python is not importable ({exc})", "run ./install.sh") from None
    except (OSError, RuntimeError) as exc:  # "Failed to load shared library ...: libcudart.so.12: cannot open"
        raise MissingDependency(
            f"llama-cpp-python cannot load its library: {cuda.reason(exc)}",
            "run ./install.sh again: it installs the CUDA runtime wheels, or rebuilds llama.cpp for this machine",
        ) from None
    from jarvis.llm.llama_quiet import keep_process_streams

    keep_process_streams()  # a model loading on a background thread must not swallow this process's output
    return Llama


def gpu_supported() -> bool:
    """True when this llama-cpp-python was built with a GPU backend (CUDA)."""
    try:
        import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:
        return False


def device_kwargs(name: str, device: str, gpu_layers: int) -> dict[str, Any]:
    """``Llama(...)`` options for ``device``: no layers on the CPU; on ``cuda:N`` every layer on GPU N only.

    Raises:
        ModelLoadError: a GPU was asked for but this llama-cpp-python is a CPU build.
    """
    if not device.startswith("cuda") or gpu_layers == 0:
        return {"n_gpu_layers": 0}
    if not gpu_supported():
        raise ModelLoadError(
            f"llama-cpp-python is built without CUDA, so {name} cannot use {device}",
            "run ./install.sh on the GPU machine (it builds llama.cpp with -DGGML_CUDA=on when nvcc is present)",
        )
    index = int(device.partition(":")[2] or 0)
    return {"n_gpu_layers": gpu_layers, "main_gpu": index, "split_mode": LLAMA_SPLIT_MODE_NONE}
