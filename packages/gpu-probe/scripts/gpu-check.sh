#!/usr/bin/env bash
# Checks @mlscale/gpu-probe against a real NVIDIA GPU: builds a CUDA busy loop with nvcc, then reads
# the GPU through the probe idle and under load and compares with nvidia-smi.
#   packages/gpu-probe/scripts/gpu-check.sh [device index, default 0]
# Needs: an NVIDIA driver (nvidia-smi), nvcc (CUDA toolkit), node, and the package built (pnpm build,
# done here when dist/ is missing). NVML_LIBRARY_PATH is honoured as in production.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
package="$(dirname "$here")"
index="${1:-${GPU_CHECK_INDEX:-0}}"

command -v nvidia-smi >/dev/null || { echo "gpu-check: nvidia-smi not found: this needs a machine with an NVIDIA GPU and driver" >&2; exit 2; }
NVCC="${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
[ -x "$NVCC" ] || { echo "gpu-check: nvcc not found (install the CUDA toolkit or set NVCC=/path/to/nvcc)" >&2; exit 2; }

nvidia-smi -i "$index" --query-gpu=index,name,uuid,driver_version,memory.total --format=csv,noheader

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$NVCC" -O2 -o "$work/gpu-busy" "$here/gpu-busy.cu"
echo "built $work/gpu-busy with $("$NVCC" --version | tail -1)"

if [ ! -f "$package/dist/index.js" ]; then
  (cd "$package" && pnpm build >/dev/null)
fi
cd "$package"
node scripts/gpu-check.mjs "$work/gpu-busy" "$index"
