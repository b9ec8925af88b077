"""install.sh's GPU decisions (jarvis/gpu_plan.py) and the post-install GPU check, without a GPU.

The decisions are a pure function of what ``nvidia-smi`` and ``nvcc`` print: recorded outputs
drive it directly, and fake ``nvidia-smi`` / ``nvcc`` scripts on PATH drive ``./install.sh --plan``
(which prints the plan and changes nothing). The GPU check runs for real: on this machine every
engine must report that it cannot use ``cuda:0``, in one line, without crashing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from devsupport.paths import ROOT
from jarvis.gpu_plan import LLAMA_CPU_CMAKE, LLAMA_CUDA_CMAKE, cuda_for_driver, decide

TWO_GPUS = "0, NVIDIA GeForce RTX 4080, 16376, 550.54.15\n1, NVIDIA GeForce RTX 2060, 6144, 550.54.15\n"
BANNER = ("| NVIDIA-SMI 550.54.15              Driver Version: 550.54.15      CUDA Version: 12.4     |\n")
NVCC_124 = "nvcc: NVIDIA (R) Cuda compiler driver\nCuda compilation tools, release 12.4, V12.4.131\n"


def test_gpus_driver_and_nvcc_give_cuda_builds():
    plan = decide(TWO_GPUS, BANNER, "/usr/local/cuda/bin/nvcc", NVCC_124)
    assert plan.gpu and [g[:2] for g in plan.gpus] == [(0, "NVIDIA GeForce RTX 4080"), (1, "NVIDIA GeForce RTX 2060")]
    assert (plan.driver, plan.cuda_driver, plan.nvcc_version) == ("550.54.15", "12.4", "12.4")
    assert plan.torch_indexes == ["cu126"]  # CUDA 12 PyTorch (PyPI's default is CUDA 13: another cuDNN)
    assert plan.cuda_wheels == ["nvidia-cublas-cu12", "nvidia-cudnn-cu12>=9,<10", "nvidia-cuda-runtime-cu12"]
    assert plan.llama_cuda and plan.llama_cmake == LLAMA_CUDA_CMAKE and "-DGGML_CUDA=on" in plan.llama_cmake
    assert plan.notes == []


def test_no_nvcc_keeps_speech_on_the_gpu_and_says_how_to_get_llama_on_it():
    plan = decide("0, NVIDIA RTX A4000, 16376, 570.86.10\n", None, "", None)
    assert plan.gpu and plan.cuda_driver == "12.8" and plan.torch_indexes == ["cu128", "cu126"]
    assert not plan.llama_cuda and plan.llama_cmake == LLAMA_CPU_CMAKE
    assert len(plan.notes) == 1 and "no nvcc" in plan.notes[0] and "install the CUDA toolkit" in plan.notes[0]


def test_nvcc_newer_than_the_driver_is_not_used():
    plan = decide(TWO_GPUS, BANNER, "/opt/cuda/bin/nvcc", "Cuda compilation tools, release 12.6, V12.6.20")
    assert plan.gpu and not plan.llama_cuda
    assert "nvcc is CUDA 12.6 but the driver runs CUDA 12.4" in plan.notes[0]


def test_a_driver_too_old_for_cuda_12_means_cpu_builds():
    plan = decide("0, Tesla K80, 11441, 470.256.02\n", "CUDA Version: 11.4", "/usr/bin/nvcc", NVCC_124)
    assert plan.gpus and not plan.gpu and not plan.llama_cuda and plan.torch_indexes == []
    assert "driver 525 or newer" in plan.notes[0]


def test_no_nvidia_smi_or_no_gpu():
    for csv in (None, "", "No devices were found\n"):
        plan = decide(csv, None, "/usr/bin/nvcc", NVCC_124)
        assert not plan.gpu and not plan.gpus and not plan.llama_cuda and plan.notes == []


def test_cuda_version_from_the_driver_when_the_banner_is_missing():
    assert cuda_for_driver("550.54.15") == "12.4"
    assert cuda_for_driver("580.65.06") == "13.0"
    assert cuda_for_driver("525.60.13") == "12.0"
    assert cuda_for_driver("390.12") == ""


def _fake_tools(tmp: Path, nvcc: bool = True) -> dict[str, str]:
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    smi = bin_dir / "nvidia-smi"
    smi.write_text(f'#!/bin/sh\ncase "$*" in *--query-gpu*) printf "{TWO_GPUS}" ;; *) printf "{BANNER}" ;; esac\n')
    tools = [smi]
    if nvcc:
        fake_nvcc = bin_dir / "nvcc"
        fake_nvcc.write_text(f'#!/bin/sh\nprintf "{NVCC_124}"\n')
        tools.append(fake_nvcc)
    for t in tools:
        t.chmod(0o755)
    # CUDA_HOME: a toolkit folder without nvcc (this machine may have one in /usr/local/cuda)
    return dict(os.environ, PATH=f"{bin_dir}:/usr/bin:/bin", CUDA_HOME=str(tmp / "no-toolkit"))


def test_install_plan_with_a_fake_gpu(tmp_path: Path):
    p = subprocess.run(["bash", str(ROOT / "install.sh"), "--plan"], env=_fake_tools(tmp_path), capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "GPU 0: NVIDIA GeForce RTX 4080, 16376 MiB" in p.stdout and "GPU 1: NVIDIA GeForce RTX 2060" in p.stdout
    assert f"llama-cpp-python: CMAKE_ARGS={LLAMA_CUDA_CMAKE}" in p.stdout
    assert "PyTorch 2.13.0: CUDA build from cu126" in p.stdout and "nvidia-cudnn-cu12" in p.stdout
    assert "==>" not in p.stdout  # it stopped before installing anything


def test_install_reads_the_plan_into_shell_variables(tmp_path: Path):
    env = _fake_tools(tmp_path, nvcc=False)
    script = (f'eval "$({sys.executable} {ROOT / "jarvis" / "gpu_plan.py"} --shell)"; '
              'printf "%s|%s|%s|%s\\n%s" "$GPU" "$LLAMA_CUDA" "$CUDA_WHEELS" "$TORCH_INDEXES" "$GPU_NOTES"')
    p = subprocess.run(["bash", "-euc", script], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    first, notes = p.stdout.split("\n", 1)
    assert first == "1|0|nvidia-cublas-cu12 nvidia-cudnn-cu12>=9,<10 nvidia-cuda-runtime-cu12|cu126"
    assert notes.startswith("no nvcc: llama.cpp is built for the CPU")


def test_install_plan_without_a_gpu():
    env = dict(os.environ, PATH="/usr/bin:/bin")
    p = subprocess.run(["bash", str(ROOT / "install.sh"), "--plan"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0 and "GPU: none found" in p.stdout and LLAMA_CPU_CMAKE in p.stdout


def _check(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "jarvis.gpu_check", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_gpu_check_without_a_gpu():
    p = _check()
    assert p.returncode == 0 and p.stdout.startswith("no NVIDIA GPU (") and "nothing to check" in p.stdout


def test_each_engine_check_reports_its_real_failure_on_this_machine():
    # what install.sh's check prints for each engine when the GPU cannot be used: one line, exit 1
    expected = {
        "torch": "failed: RuntimeError: a CPU build of PyTorch",
        "whisper": "failed: RuntimeError: speech recognition runs on the CPU instead of cuda:0: ",
        "llama": "failed: llama-cpp-python is built without CUDA, so smollm2-135m cannot use cuda:0",
    }
    for engine, start in expected.items():
        p = _check("--one", engine, "0")
        assert p.returncode == 1 and p.stdout.startswith(start), (engine, p.stdout, p.stderr)
        assert len(p.stdout.strip().splitlines()) == 1 and "Traceback" not in p.stderr
