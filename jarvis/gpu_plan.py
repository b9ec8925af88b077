"""What ``install.sh`` installs on this machine's NVIDIA GPU (if any): the decisions, nothing else.

Run by ``install.sh`` before the virtual environment exists, so it uses the standard library only
and runs as a plain script (``python3 jarvis/gpu_plan.py --shell`` prints shell assignments;
``./install.sh --plan`` prints the summary and changes nothing). :func:`decide` is a pure function
of what ``nvidia-smi`` and ``nvcc`` print, so the GPU logic is tested without a GPU.

- NVIDIA driver present (``nvidia-smi`` lists a GPU) and it supports CUDA 12: the CUDA 12 cuBLAS,
  cuDNN 9 and runtime wheels (CTranslate2 needs them for faster-whisper on the GPU; found at run
  time by :mod:`jarvis.cuda`) and PyTorch's CUDA 12 build (same cuDNN as CTranslate2's, so one
  process never holds two cuDNNs). PyPI's default Linux torch is a CUDA 13 build: not that one.
- ``nvcc`` too (on PATH, or in ``$CUDA_HOME/bin`` or /usr/local/cuda/bin), not newer than the driver: llama-cpp-python
  compiled with ``-DGGML_CUDA=on`` for the GPUs present. Without nvcc llama.cpp stays a CPU build
  and the plan says how to get the GPU build.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

TORCH_VERSION = "2.13.0"
CUDA_WHEELS = ("nvidia-cublas-cu12", "nvidia-cudnn-cu12>=9,<10", "nvidia-cuda-runtime-cu12")
LLAMA_CPU_CMAKE = "-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
LLAMA_CUDA_CMAKE = "-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=native"
# Oldest Linux driver of each CUDA release (NVIDIA's release notes), for a nvidia-smi without the header.
_DRIVER_CUDA = ((580, "13.0"), (575, "12.9"), (570, "12.8"), (560, "12.6"), (555, "12.5"), (550, "12.4"),
                (545, "12.3"), (535, "12.2"), (530, "12.1"), (525, "12.0"), (520, "11.8"), (450, "11.0"))


@dataclass
class GpuPlan:
    """The decisions; ``shell()`` gives them to install.sh, ``summary()`` to a person."""

    gpus: list[tuple[int, str, int]] = field(default_factory=list)  # (index, name, MiB)
    driver: str = ""
    cuda_driver: str = ""  # newest CUDA the driver runs
    nvcc: str = ""  # path of nvcc, when found
    nvcc_version: str = ""
    torch_indexes: list[str] = field(default_factory=list)  # PyTorch CUDA wheel indexes to try, in order
    cuda_wheels: list[str] = field(default_factory=list)
    llama_cuda: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def gpu(self) -> bool:
        """True when an NVIDIA GPU with a usable (CUDA 12) driver is present."""
        return bool(self.gpus) and bool(self.cuda_wheels)

    @property
    def llama_cmake(self) -> str:
        """CMAKE_ARGS for llama-cpp-python."""
        return LLAMA_CUDA_CMAKE if self.llama_cuda else LLAMA_CPU_CMAKE

    def shell(self) -> str:
        """``KEY='value'`` lines for ``eval`` in install.sh."""
        values = {
            "GPU": "1" if self.gpu else "0",
            "GPU_NAMES": ", ".join(f"{i}: {n} ({m // 1024} GiB)" for i, n, m in self.gpus),
            "DRIVER": self.driver, "CUDA_DRIVER": self.cuda_driver,
            "NVCC": self.nvcc, "NVCC_VERSION": self.nvcc_version,
            "TORCH_VERSION": TORCH_VERSION, "TORCH_INDEXES": " ".join(self.torch_indexes),
            "CUDA_WHEELS": " ".join(self.cuda_wheels),
            "LLAMA_CUDA": "1" if self.llama_cuda else "0", "LLAMA_CMAKE": self.llama_cmake,
            "GPU_NOTES": "\n".join(self.notes),
        }
        return "\n".join(f"{k}={shlex.quote(v)}" for k, v in values.items())

    def summary(self) -> str:
        """What install.sh would do, in plain lines."""
        if not self.gpus:
            lines = ["GPU: none found (no nvidia-smi, or it lists no GPU): CPU builds"]
        else:
            lines = [f"GPU {i}: {n}, {m} MiB" for i, n, m in self.gpus]
            lines.append(f"driver {self.driver or '?'}, runs CUDA up to {self.cuda_driver or '?'}")
            lines.append(f"nvcc: {self.nvcc} (CUDA {self.nvcc_version})" if self.nvcc else "nvcc: not found")
        torch = f"CUDA build from {', '.join(self.torch_indexes)}" if self.torch_indexes else "CPU build"
        lines.append(f"PyTorch {TORCH_VERSION}: {torch}")
        lines.append(f"CUDA libraries for faster-whisper: {' '.join(self.cuda_wheels) or 'none (CPU)'}")
        lines.append(f"llama-cpp-python: CMAKE_ARGS={self.llama_cmake}")
        return "\n".join(lines + [f"note: {n}" for n in self.notes])


def _version(text: str) -> tuple[int, int]:
    m = re.match(r"(\d+)\.(\d+)", text or "")
    return (int(m[1]), int(m[2])) if m else (0, 0)


def cuda_for_driver(driver: str) -> str:
    """The newest CUDA a Linux driver version runs (``550.54.15`` -> ``12.4``), or ``""``."""
    major = _version(driver)[0] or (int(driver.split(".")[0]) if driver.split(".")[0].isdigit() else 0)
    return next((cuda for oldest, cuda in _DRIVER_CUDA if major >= oldest), "")


def decide(gpu_csv: str | None, smi_header: str | None = None, nvcc: str = "", nvcc_out: str | None = None) -> GpuPlan:
    """The plan from ``nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,
    noheader,nounits`` (None: no nvidia-smi), ``nvidia-smi``'s banner, nvcc's path and ``--version``."""
    plan = GpuPlan()
    for line in (gpu_csv or "").splitlines():
        cells = [c.strip() for c in line.split(",")]
        if len(cells) >= 4 and cells[0].isdigit():
            mem = int(cells[2]) if cells[2].isdigit() else 0
            plan.gpus.append((int(cells[0]), cells[1], mem))
            plan.driver = cells[3]
    if not plan.gpus:
        return plan
    banner = re.search(r"CUDA Version:\s*(\d+\.\d+)", smi_header or "")
    plan.cuda_driver = banner[1] if banner else cuda_for_driver(plan.driver)
    cuda = _version(plan.cuda_driver)
    if cuda < (12, 0):
        plan.notes.append(f"driver {plan.driver} runs CUDA {plan.cuda_driver or '?'} only; CUDA 12 needs driver 525 "
                          "or newer: update the NVIDIA driver, then run ./install.sh again (CPU builds for now)")
        return plan
    plan.cuda_wheels = list(CUDA_WHEELS)
    plan.torch_indexes = ["cu128", "cu126"] if cuda >= (12, 8) else ["cu126"]
    if nvcc_out is not None:
        m = re.search(r"release (\d+\.\d+)", nvcc_out)
        plan.nvcc, plan.nvcc_version = nvcc, (m[1] if m else "")
    if not plan.nvcc:
        plan.notes.append("no nvcc: llama.cpp is built for the CPU (speech still uses the GPU); install the CUDA "
                          "toolkit (e.g. apt install nvidia-cuda-toolkit) and run ./install.sh again")
    elif _version(plan.nvcc_version) > cuda:
        plan.notes.append(f"nvcc is CUDA {plan.nvcc_version} but the driver runs CUDA {plan.cuda_driver} at most: "
                          "llama.cpp is built for the CPU; update the driver or install an older CUDA toolkit")
    else:
        plan.llama_cuda = True
    return plan


def _run(cmd: list[str]) -> str | None:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return p.stdout if p.returncode == 0 else None


def probe() -> GpuPlan:
    """Ask this machine's nvidia-smi and nvcc, and decide."""
    csv = header = None
    if shutil.which("nvidia-smi"):
        csv = _run(["nvidia-smi", "--query-gpu=index,name,memory.total,driver_version",
                    "--format=csv,noheader,nounits"])
        header = _run(["nvidia-smi"])
    toolkit = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH") or "/usr/local/cuda"
    nvcc = shutil.which("nvcc") or shutil.which("nvcc", path=os.path.join(toolkit, "bin")) or ""
    return decide(csv, header, nvcc, _run([nvcc, "--version"]) if nvcc else None)


def main(argv: list[str]) -> int:
    """``--shell``: assignments for install.sh; otherwise the summary."""
    plan = probe()
    print(plan.shell() if "--shell" in argv else plan.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
