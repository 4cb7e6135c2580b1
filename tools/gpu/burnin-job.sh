#!/usr/bin/env bash
# On a lent GPU machine: the agent's REAL burn-in job end to end. Starts `kiln-agent serve` (real NVML, CUDA
# backend), POSTs /v1/jobs {"type":"burnin","durationSeconds":$DURATION}, follows GET /v1/jobs/{id} until the job
# ends while saving the SSE stream, with nvidia-smi power/clock samples alongside; then runs the PyTorch oracle
# (tools/gpu/torch_bench.py) in the same call. Expects tools/gpu/package-burnin.sh's bundle unpacked at $K
# (default /tmp/kiln). Writes under $OUT (default /tmp/out). SIM=--simulate hgx-h200 rehearses it without a GPU.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
K=${K:-/tmp/kiln}
DURATION=${DURATION:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
JAVA="$K/jre/bin/java --enable-native-access=ALL-UNNAMED"
AGENT="$JAVA -jar $K/agent/quarkus-run.jar"
PORT=${PORT:-19478}
STATE=$(mktemp -d /tmp/kstate.XXXX); TOKDIR=$(mktemp -d /tmp/ktok.XXXX)
echo "== machine"
nvidia-smi --query-gpu=index,uuid,name,pci.bus_id,driver_version,memory.total,power.limit,clocks.max.sm,ecc.mode.current \
  --format=csv 2>&1 | tee "$OUT/smi-identity.csv"
echo "== kiln-agent serve ${SIM:-(real NVML, CUDA backend)}"
$AGENT serve ${SIM:-} --port "$PORT" --token-file "$TOKDIR/t" --generate-token --state-dir "$STATE" > "$OUT/serve.log" 2>&1 &
SP=$!
for i in $(seq 1 400); do curl -s -o /dev/null "localhost:$PORT/v1/node" && break; sleep 0.05; done
TOK=$(cat "$TOKDIR/t"); H="Authorization: Bearer $TOK"; B="localhost:$PORT"
nvidia-smi --query-gpu=timestamp,power.draw,temperature.gpu,temperature.memory,clocks.sm,clocks.mem,utilization.gpu \
  --format=csv -lms 500 > "$OUT/smi-burnin.csv" 2>&1 &
SMI=$!
T0=$(date +%s)
curl -s -H "$H" -H 'Content-Type: application/json' -d "{\"type\":\"burnin\",\"durationSeconds\":$DURATION}" \
  -w '\nHTTP %{http_code}\n' "$B/v1/jobs" | tee "$OUT/post.txt"
ID=$(head -1 "$OUT/post.txt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null)
echo "job id: ${ID:-none}"
if [ -n "${ID:-}" ]; then
  timeout $((DURATION * 2 + 120)) curl -s -N -H "$H" "$B/v1/jobs/$ID/events" > "$OUT/events.sse" 2>&1 &
  SSE=$!
  LIMIT=$((T0 + DURATION * 2 + 110))
  while :; do
    curl -s -H "$H" "$B/v1/jobs/$ID" > "$OUT/job.json"
    ST=$(python3 -c 'import json; j=json.load(open("'"$OUT/job.json"'")); print(j["state"], round(j["progress"],3), j.get("current"))' 2>/dev/null)
    echo "$(( $(date +%s) - T0 ))s $ST"
    case "$ST" in QUEUED*|RUNNING*) ;; *) break;; esac
    [ "$(date +%s)" -ge "$LIMIT" ] && { echo "job did not end in time"; break; }
    sleep 3
  done
  for i in $(seq 1 50); do kill -0 $SSE 2>/dev/null || break; sleep 0.1; done
  kill $SSE 2>/dev/null
fi
kill $SMI 2>/dev/null; wait $SMI 2>/dev/null
echo "job wall $(( $(date +%s) - T0 )) s"
cp "$STATE"/jobs/*.worker.log "$OUT/" 2>/dev/null; cp "$STATE"/jobs/*.jsonl "$OUT/" 2>/dev/null
echo "== results"
python3 - "$OUT/job.json" <<'PY' | tee "$OUT/summary.txt"
import json, sys
j = json.load(open(sys.argv[1]))
print("state", j["state"], "reason", j.get("reason"))
for r in j.get("results") or []:
    print(r["gpuIndex"], r["test"], r["verdict"], r.get("reason"), json.dumps(r["metrics"]), r["durationMs"], "ms")
    for f in r.get("findings") or []:
        print("   finding:", f)
t = j.get("telemetry") or []
if t:
    print("telemetry samples kept", len(t), "last", json.dumps(t[-1]))
PY
awk -F', ' 'NR>1 && $2+0>0 {p=$2+0; s+=p; n++; if(p>m)m=p; c=$5+0; if(mn==""||c<mn)mn=c; if(c>mx)mx=c} END{if(n) printf "nvidia-smi during the job: max %.0f W, mean %.0f W over %d samples; sm %s..%s MHz\n", m, s/n, n, mn, mx}' "$OUT/smi-burnin.csv" | tee -a "$OUT/summary.txt"
grep -c '^event:' "$OUT/events.sse" 2>/dev/null | sed 's/^/SSE events: /' | tee -a "$OUT/summary.txt"
grep '^event:' "$OUT/events.sse" 2>/dev/null | sort | uniq -c | tee -a "$OUT/summary.txt"
kill $SP 2>/dev/null; wait $SP 2>/dev/null
tail -5 "$OUT/serve.log"; tail -15 "$OUT"/*.worker.log 2>/dev/null
echo "== PyTorch oracle"
nvidia-smi --query-gpu=timestamp,power.draw,clocks.sm --format=csv -lms 250 > "$OUT/smi-torch.csv" 2>&1 &
SMI=$!
timeout 120 python3 "$HERE/torch_bench.py" 0 2>&1 | tail -3 | tee "$OUT/torch.json"
kill $SMI 2>/dev/null; wait $SMI 2>/dev/null
awk -F', ' 'NR>1 && $2+0>0 {p=$2+0; if(p>m)m=p} END{printf "torch max power %.0f W\n", m}' "$OUT/smi-torch.csv"
echo "== done"
