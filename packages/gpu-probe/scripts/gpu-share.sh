#!/usr/bin/env bash
# Checks this process's own share of a shared GPU against a real NVIDIA GPU: builds a CUDA duty-cycle
# load with nvcc, runs two of them on one GPU (70 % and 20 % of every 100 ms), and prints the
# device-wide and the per-process utilization the probe reads for each against its duty cycle.
#   packages/gpu-probe/scripts/gpu-share.sh [device index, default 0]
# Needs: an NVIDIA driver (nvidia-smi), nvcc (CUDA toolkit), node, the package built (pnpm build, done
# here when dist/ is missing), and the GPU otherwise idle. Run it on the host or in a container with
# the host's PID namespace: NVML reports host PIDs (see the README's "A shared GPU").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
package="$(dirname "$here")"
index="${1:-${GPU_CHECK_INDEX:-0}}"

command -v nvidia-smi >/dev/null || { echo "gpu-share: nvidia-smi not found: this needs a machine with an NVIDIA GPU and driver" >&2; exit 2; }
NVCC="${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
[ -x "$NVCC" ] || { echo "gpu-share: nvcc not found (install the CUDA toolkit or set NVCC=/path/to/nvcc)" >&2; exit 2; }

nvidia-smi -i "$index" --query-gpu=index,name,uuid,driver_version,compute_mode,mig.mode.current --format=csv,noheader

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$NVCC" -O2 -o "$work/gpu-duty" "$here/gpu-duty.cu"
echo "built $work/gpu-duty with $("$NVCC" --version | tail -1)"

if [ ! -f "$package/dist/index.js" ]; then
  (cd "$package" && pnpm build >/dev/null)
fi
cd "$package"
node scripts/gpu-share.mjs "$work/gpu-duty" "$index"
