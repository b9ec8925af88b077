"""NVIDIA CUDA libraries at run time, and the one line a stage says when it falls back to the CPU.

CTranslate2 (faster-whisper) needs cuBLAS 12 and cuDNN 9; a llama.cpp built with CUDA needs the
CUDA 12 runtime and cuBLAS. ``install.sh`` installs them as pip wheels (``nvidia-cublas-cu12``,
``nvidia-cudnn-cu12``, ``nvidia-cuda-runtime-cu12``) under ``site-packages/nvidia/*/lib``, where
the dynamic linker does not look. :func:`preload` loads them by full path with ``RTLD_GLOBAL``
before the library that needs them: a later ``dlopen("libcublas.so.12")`` finds the loaded copy
by its soname. (``LD_LIBRARY_PATH`` would have to be set before Python starts.) Libraries the
system already provides (a CUDA toolkit on the linker path) are used when no wheel is there.

cuDNN that is missing makes CTranslate2 abort the whole process at the first convolution, which
no ``except`` can catch: :func:`missing` is asked *before* a model goes to the GPU.

Nothing here imports a heavy library; nothing happens on a machine without an NVIDIA driver.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import os
import re
import threading
from pathlib import Path

log = logging.getLogger(__name__)

# soname -> the pip wheel that ships it
WHEELS = {
    "libcudart.so.12": "nvidia-cuda-runtime-cu12",
    "libcublas.so.12": "nvidia-cublas-cu12",
    "libcublasLt.so.12": "nvidia-cublas-cu12",
    "libcudnn.so.9": "nvidia-cudnn-cu12",
    "libcudnn_graph.so.9": "nvidia-cudnn-cu12",
    "libcudnn_ops.so.9": "nvidia-cudnn-cu12",
    "libcudnn_cnn.so.9": "nvidia-cudnn-cu12",
}
# What each engine needs on a GPU (cuDNN loads its other parts itself, from the same folder).
NEEDS = {
    "ctranslate2": ("libcublasLt.so.12", "libcublas.so.12", "libcudnn_graph.so.9", "libcudnn_ops.so.9",
                    "libcudnn_cnn.so.9", "libcudnn.so.9"),
    # llama.cpp is compiled here with the CUDA toolkit's nvcc (12 or 13): whichever runtime is there
    "llama_cpp": ("libcudart.so.12", "libcublasLt.so.12", "libcublas.so.12",
                  "libcudart.so.13", "libcublasLt.so.13", "libcublas.so.13"),
}
_OOM = re.compile(r"out of memory|CUBLAS_STATUS_ALLOC_FAILED|cudaMalloc failed|ErrorMemoryAllocation", re.I)
_LIB_MISSING = re.compile(
    r"(lib[\w+-]+\.so[\d.]*)\s*: cannot open shared object|Library (lib[\w+-]+\.so[\d.]*) is not found"
)
_CUDA = re.compile(r"cuda|cublas|cudnn|nvrtc|\bgpu\b|device kernel image", re.I)

# NVML (the placement plan, the resource panel) numbers GPUs in PCI bus order; CUDA numbers them
# fastest first unless told otherwise. One order everywhere makes "cuda:N" the GPU that was measured.
# Set before any CUDA library starts (this module is imported by every stage that can use a GPU).
os.environ.setdefault("CUDA_DEVICE_ORDER", "PCI_BUS_ID")

_lock = threading.Lock()
_loaded: dict[str, str] = {}  # soname -> where it was loaded from
_failed: dict[str, str] = {}  # soname -> why it could not be loaded
_driver: bool | None = None


def driver_present() -> bool:
    """True when the NVIDIA driver's ``libcuda.so.1`` can be loaded (cached)."""
    global _driver
    if _driver is None:
        try:
            ctypes.CDLL("libcuda.so.1")
            _driver = True
        except OSError:
            _driver = False
    return _driver


def wheel_lib_dirs() -> list[Path]:
    """The ``lib`` folders of the ``nvidia-*`` pip wheels (``site-packages/nvidia/*/lib``)."""
    try:
        spec = importlib.util.find_spec("nvidia")
    except (ImportError, ValueError):
        return []
    roots = list(spec.submodule_search_locations or []) if spec is not None else []
    return sorted(d for root in roots for d in Path(root).glob("*/lib") if d.is_dir())


def toolkit_lib_dirs() -> list[Path]:
    """The CUDA toolkit's library folders (``$CUDA_HOME`` or /usr/local/cuda), often not on the linker path."""
    root = Path(os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH") or "/usr/local/cuda")
    return [d for d in (root / "lib64", root / "targets" / "x86_64-linux" / "lib") if d.is_dir()]


def _find(soname: str, dirs: list[Path]) -> Path | None:
    for d in dirs:
        exact = d / soname
        if exact.exists():
            return exact
        versioned = sorted(d.glob(soname + ".*"))  # libcudnn.so.9.1.0 without the .so.9 link
        if versioned:
            return versioned[-1]
    return None


def preload(sonames: tuple[str, ...] | list[str], dirs: list[Path] | None = None) -> list[str]:
    """Load each library (wheel folders, the CUDA toolkit, then the linker path); return the ones missing.

    Already loaded libraries are skipped; a failure is remembered, so calling this again is cheap.
    """
    dirs = wheel_lib_dirs() + toolkit_lib_dirs() if dirs is None else dirs
    with _lock:
        for _ in range(len(sonames)):  # a library whose dependency comes later loads on a later pass
            progress = False
            for soname in sonames:
                if soname in _loaded:
                    continue
                path = _find(soname, dirs)
                try:
                    ctypes.CDLL(str(path) if path else soname, mode=ctypes.RTLD_GLOBAL)
                    _loaded[soname] = str(path or "system")
                    _failed.pop(soname, None)
                    progress = True
                except OSError as exc:
                    _failed[soname] = str(exc)
            if not progress:
                break
        return [s for s in sonames if s not in _loaded]


def missing(engine: str) -> list[str]:
    """Libraries ``engine`` (``"ctranslate2"`` or ``"llama_cpp"``) needs on a GPU that cannot be loaded."""
    return preload(NEEDS[engine])


def missing_line(libs: list[str]) -> str:
    """``libcudnn_ops.so.9 not found (pip install nvidia-cudnn-cu12)``."""
    wheels = sorted({WHEELS.get(lib, "the CUDA toolkit") for lib in libs})
    return f"{', '.join(libs)} not found (pip install {' '.join(wheels)})"


def is_cuda_error(exc: BaseException) -> bool:
    """True for an error that comes from CUDA (a library, the driver, memory), not from the model file."""
    return bool(_CUDA.search(str(exc)) or _OOM.search(str(exc)))


def reason(exc: BaseException | str) -> str:
    """A short, plain reason for a GPU failure: out of memory, a library missing, or the error itself."""
    text = str(exc)
    if _OOM.search(text):
        return "out of GPU memory"
    lib = _LIB_MISSING.search(text)
    if lib:
        return f"{lib.group(1) or lib.group(2)} not found"
    if "driver version is insufficient" in text or "no CUDA-capable device" in text:
        return "no usable NVIDIA GPU (driver missing or too old)"
    text = " ".join(text.split())
    return text[:160] + ("..." if len(text) > 160 else "")


def fallback_line(what: str, device: str, why: str) -> str:
    """The one line shown when a stage leaves the GPU: ``speech recognition runs on the CPU: cuda:1 ...``."""
    return f"{what} runs on the CPU instead of {device}: {why}"


FALLBACK_HINT = "`jarvis doctor --deep` shows each stage's device and speed; ./install.sh repairs CUDA libraries"


def announce(line: str) -> None:
    """Say a fallback line once: the log file, and ``note: ...`` on stderr for headless commands."""
    from jarvis.notices import notice

    notice(line)
