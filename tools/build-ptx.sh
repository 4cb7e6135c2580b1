#!/usr/bin/env bash
# Compiles Kiln's CUDA C kernels (nvml-bindings/src/main/cuda/*.cu) to PTX for compute_80 (runs on Ampere,
# Ada, Hopper, Blackwell) and lowers the `.version` line nvcc 13 stamps (9.0 -> needs a CUDA 13 / R580 driver)
# to 7.8 (CUDA 11.8 / R520+), so R525..R580 drivers load it (see shared/reference/cuda-driver-abi.md).
# Writes nvml-bindings/src/main/resources/dev/kiln/cuda/ptx/<name>.ptx. Deterministic: the freshness test
# (PtxFreshnessTest) runs the same steps and compares with the committed files.
#   usage: tools/build-ptx.sh [out-dir]     NVCC=/path/to/nvcc to override
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/nvml-bindings/src/main/cuda"
out="${1:-$root/nvml-bindings/src/main/resources/dev/kiln/cuda/ptx}"
nvcc="${NVCC:-$(command -v nvcc || echo /usr/local/bin/nvcc)}"
ptx_version="7.8"
mkdir -p "$out"
for cu in "$src"/*.cu; do
  name=$(basename "$cu" .cu)
  tmp=$(mktemp)
  (cd "$src" && "$nvcc" -arch=compute_80 -ptx -O3 -o "$tmp" "$(basename "$cu")")
  # Drop nvcc's build banner (it names the compiler build, not the code) and lower the PTX ISA version.
  sed -e '/^\/\/ Compiler Build ID:/d' -e '/^\/\/ Cuda compilation tools/d' -e '/^\/\/ Based on NVVM/d' \
      -e "s/^\.version [0-9.]*$/.version $ptx_version/" "$tmp" > "$out/$name.ptx"
  rm -f "$tmp"
  grep -q "^\.version $ptx_version$" "$out/$name.ptx" || { echo "no .version line in $name.ptx" >&2; exit 1; }
  echo "$out/$name.ptx"
done
