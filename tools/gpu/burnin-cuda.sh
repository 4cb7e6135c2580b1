#!/usr/bin/env bash
# On a lent GPU machine: Kiln's CUDA burn-in workloads (dev.kiln.cuda.burnin.CudaSmoke) on GPU 0 for a few
# seconds each, with nvidia-smi power/clock samples, then the PyTorch oracle (bf16 matmul, D2D copy) in the same
# run. Expects tools/gpu/package-cuda.sh's bundle unpacked at /tmp/kiln-cuda. Writes under $OUT (default /tmp/out).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
K=/tmp/kiln-cuda
SECONDS_PER_TEST=${SECONDS_PER_TEST:-6}
HERE=$(cd "$(dirname "$0")" && pwd)
echo "== machine"
nvidia-smi --query-gpu=index,name,pci.bus_id,driver_version,memory.total,power.limit,clocks.max.sm --format=csv
# burnin.compute's optional cuBLASLt GEMM kind: PyTorch's bundled libcublasLt when there is one (docs/burnin.md)
if [ -z "${KILN_CUBLASLT_PATH:-}" ]; then
  for d in $(python3 -c 'import nvidia.cublas as m; print(" ".join(m.__path__))' 2>/dev/null) \
           $(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null | sed 's|\([^ ]*\)|\1/nvidia/cublas \1/nvidia/cu13|g'); do
    f=$(ls "$d"/lib/libcublasLt.so.* 2>/dev/null | sort -V | tail -1)
    if [ -n "$f" ]; then export KILN_CUBLASLT_PATH=$f; break; fi
  done
fi
echo "KILN_CUBLASLT_PATH=${KILN_CUBLASLT_PATH:-(not set: system sonames only)}"
echo "== kiln CUDA burn-in smoke ($SECONDS_PER_TEST s per test)"
nvidia-smi --query-gpu=timestamp,power.draw,temperature.gpu,clocks.sm,clocks.mem,utilization.gpu \
  --format=csv -lms 250 > "$OUT/smi-kiln.csv" 2>&1 &
SMI=$!
T0=$(date +%s%N)
$K/jre/bin/java --enable-native-access=ALL-UNNAMED -cp "$K/lib/*" dev.kiln.cuda.burnin.CudaSmoke \
  --device 0 --seconds "$SECONDS_PER_TEST" > "$OUT/kiln-cuda.jsonl" 2> "$OUT/kiln-cuda.err"
echo "kiln rc=$? in $(( ($(date +%s%N) - T0) / 1000000 )) ms"
kill $SMI 2>/dev/null; wait $SMI 2>/dev/null
cat "$OUT/kiln-cuda.jsonl"; tail -25 "$OUT/kiln-cuda.err"
echo "== power during kiln run (W max / mean), SM clock MHz min / max"
awk -F', ' 'NR>1 && $2+0>0 {p=$2+0; s+=p; n++; if(p>m)m=p; c=$4+0; if(mn==""||c<mn)mn=c; if(c>mx)mx=c} END{if(n) printf "max %.0f W, mean %.0f W over %d samples; sm %s..%s MHz\n", m, s/n, n, mn, mx}' "$OUT/smi-kiln.csv"
echo "== PyTorch oracle"
nvidia-smi --query-gpu=timestamp,power.draw,clocks.sm --format=csv -lms 250 > "$OUT/smi-torch.csv" 2>&1 &
SMI=$!
timeout 120 python3 "$HERE/torch_bench.py" 0 2>&1 | tail -3 | tee "$OUT/torch.json"
kill $SMI 2>/dev/null; wait $SMI 2>/dev/null
awk -F', ' 'NR>1 && $2+0>0 {p=$2+0; if(p>m)m=p} END{printf "torch max power %.0f W\n", m}' "$OUT/smi-torch.csv"
echo "== done"
