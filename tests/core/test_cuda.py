"""Finding and preloading CUDA libraries from pip wheel folders, and the plain reasons for GPU failures.

Real shared libraries are compiled here (gcc) into a fake ``site-packages/nvidia/*/lib`` layout,
with sonames of their own (the process-wide cache must not believe the real cuBLAS is loaded).
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jarvis import cuda

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc to build test libraries")


def _so(folder: Path, soname: str, needs: Path | None = None, filename: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    src = folder / f"{soname}.c"
    src.write_text(f"int {soname.split('.')[0]}_answer(void) {{ return 42; }}\n")
    out = folder / (filename or soname)
    cmd = ["gcc", "-shared", "-fPIC", "-o", str(out), str(src), f"-Wl,-soname,{soname}"]
    if needs is not None:  # linked against another library, with no rpath: it must already be loaded
        cmd += [str(needs)]
    subprocess.run(cmd, check=True, capture_output=True)
    src.unlink()
    return out


def test_wheel_folders_are_found_and_libraries_load_in_dependency_order(tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    lt = _so(site / "nvidia" / "fakeblas" / "lib", "libjarvisfakeLt.so.12")
    blas = _so(site / "nvidia" / "fakeblas" / "lib", "libjarvisfakeblas.so.12", needs=lt)
    # cuDNN wheels ship the full version only in some releases: libX.so.9.1.0 without the libX.so.9 link
    _so(site / "nvidia" / "fakednn" / "lib", "libjarvisfakednn.so.9", filename="libjarvisfakednn.so.9.1.0")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    sys.modules.pop("nvidia", None)
    dirs = cuda.wheel_lib_dirs()
    assert blas.parent in dirs and site / "nvidia" / "fakednn" / "lib" in dirs
    # asked in the "wrong" order: the library that needs the other one loads on the second pass
    wanted = ["libjarvisfakeblas.so.12", "libjarvisfakeLt.so.12", "libjarvisfakednn.so.9", "libjarvisnone.so.3"]
    assert cuda.preload(wanted, dirs) == ["libjarvisnone.so.3"]
    assert cuda._loaded["libjarvisfakeblas.so.12"] == str(blas)
    assert cuda._loaded["libjarvisfakednn.so.9"].endswith("libjarvisfakednn.so.9.1.0")
    assert cuda.preload(wanted, []) == ["libjarvisnone.so.3"]  # cached: nothing is looked up twice


def test_cuda_numbers_gpus_as_nvml_does():
    # the plan's cuda:N comes from NVML (PCI bus order); CUDA's default order is fastest first
    assert os.environ.get("CUDA_DEVICE_ORDER") == "PCI_BUS_ID"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("CUDA failed with error out of memory", "out of GPU memory"),
        ("CUDA error: out of memory (cudaMalloc failed)", "out of GPU memory"),
        ("Library libcublas.so.12 is not found or cannot be loaded", "libcublas.so.12 not found"),
        ("Failed to load shared library '/v/llama_cpp/lib/libllama.so': libcudart.so.12: cannot open shared "
         "object file: No such file or directory", "libcudart.so.12 not found"),
        ("CUDA failed with error CUDA driver version is insufficient for CUDA runtime version",
         "no usable NVIDIA GPU (driver missing or too old)"),
    ],
)
def test_reasons_are_plain(error: str, reason: str):
    assert cuda.is_cuda_error(RuntimeError(error))
    assert cuda.reason(RuntimeError(error)) == reason


def test_other_errors_are_not_cuda_errors():
    assert not cuda.is_cuda_error(ValueError("unsupported audio window"))
    long = "x" * 400
    assert cuda.reason(long).endswith("...") and len(cuda.reason(long)) < 170


def test_missing_line_names_the_wheels():
    line = cuda.missing_line(["libcublas.so.12", "libcudnn_ops.so.9"])
    assert line == ("libcublas.so.12, libcudnn_ops.so.9 not found "
                    "(pip install nvidia-cublas-cu12 nvidia-cudnn-cu12)")
