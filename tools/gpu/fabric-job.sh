#!/usr/bin/env bash
# On a lent GPU machine: the agent's REAL fabric job end to end. Starts `kiln-agent serve` (real NVML, CUDA),
# POSTs /v1/jobs {"type":"fabric","durationSeconds":$DURATION} (fabric.nvlink, fabric.p2p, fabric.rdma, fabric.nccl),
# follows GET /v1/jobs/{id} to the end, prints every result and finding; then a TCP session to itself
# (fabric.network over loopback through the real listener); then PyTorch's pinned host<->device copies as the
# oracle for fabric.p2p's host rows (one GPU: no pairs). Expects tools/gpu/package-burnin.sh's bundle unpacked at
# $K (default /tmp/kiln). Writes under $OUT (default /tmp/out). SIM=--simulate hgx-h200 rehearses it without a GPU.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
K=${K:-/tmp/kiln}
DURATION=${DURATION:-20}
JAVA="$K/jre/bin/java --enable-native-access=ALL-UNNAMED"
AGENT="$JAVA -jar $K/agent/quarkus-run.jar"
PORT=${PORT:-19479}
STATE=$(mktemp -d /tmp/kstate.XXXX); TOKDIR=$(mktemp -d /tmp/ktok.XXXX)
echo "== machine"
nvidia-smi topo -m 2>&1 | tee "$OUT/smi-topo.txt"
nvidia-smi nvlink -s 2>&1 | head -40 | tee "$OUT/smi-nvlink.txt"
echo "== kiln-agent serve ${SIM:-(real NVML, CUDA)}"
$AGENT serve ${SIM:-} --port "$PORT" --token-file "$TOKDIR/t" --generate-token --state-dir "$STATE" > "$OUT/serve.log" 2>&1 &
SP=$!
for i in $(seq 1 400); do curl -s -o /dev/null "localhost:$PORT/v1/node" && break; sleep 0.05; done
TOK=$(cat "$TOKDIR/t"); H="Authorization: Bearer $TOK"; B="localhost:$PORT"
follow() { # $1: request body, $2: name
  curl -s -H "$H" -H 'Content-Type: application/json' -d "$1" -w '\nHTTP %{http_code}\n' "$B/v1/jobs" | tee "$OUT/post-$2.txt"
  local id; id=$(head -1 "$OUT/post-$2.txt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null)
  [ -z "$id" ] && { echo "no job"; return; }
  local t0; t0=$(date +%s)
  while :; do
    curl -s -H "$H" "$B/v1/jobs/$id" > "$OUT/job-$2.json"
    st=$(python3 -c 'import json; j=json.load(open("'"$OUT/job-$2.json"'")); print(j["state"], round(j["progress"],3), j.get("current"))' 2>/dev/null)
    echo "$(( $(date +%s) - t0 ))s $st"
    case "$st" in QUEUED*|RUNNING*) ;; *) break;; esac
    [ $(( $(date +%s) - t0 )) -ge $((DURATION * 2 + 120)) ] && { echo "job did not end in time"; break; }
    sleep 2
  done
  python3 - "$OUT/job-$2.json" <<'PY' | tee "$OUT/summary-$2.txt"
import json, sys
j = json.load(open(sys.argv[1]))
print("state", j["state"], "reason", j.get("reason"))
for r in j.get("fabric") or []:
    print(r["test"], r["verdict"], r.get("reason"), r["durationMs"], "ms")
    for p in r.get("pairs") or []:
        print("   pair", p["gpuA"], p["gpuB"], p["path"], p["p2p"], p["abGBps"], p["baGBps"], p["bidirGBps"], p["latencyUs"])
    for h in r.get("host") or []:
        print("   host GPU", h["gpu"], h["pciBusId"], "h2d", h["h2dGBps"], "d2h", h["d2hGBps"], "min", h["expectedGBps"])
    links = r.get("links") or []
    if links:
        print("   links", len(links), "active", sum(1 for l in links if l["active"]),
              "with error deltas", [(l["gpu"], l["link"], l["errorDeltas"]) for l in links if any(l["errorDeltas"].values())])
    for n in r.get("network") or []:
        print("   tcp", json.dumps(n))
    for p in r.get("ports") or []:
        print("   port", p["device"], p["port"], p["linkLayer"], {k: v for k, v in p["deltas"].items() if v})
    for t in r.get("tools") or []:
        print("   tool", t["tool"], t["verdict"], t.get("reason"), json.dumps(t["metrics"]))
    for f in r.get("findings") or []:
        print("   finding:", f["severity"], f["subject"], f["ends"], f["observed"], "|", f["expected"])
PY
}
echo "== node-local fabric job"
follow "{\"type\":\"fabric\",\"durationSeconds\":$DURATION}" local
echo "== fabric.network to itself over loopback"
curl -s -H "$H" -d '{"ttlSeconds":120}' "$B/v1/fabric/sessions" > "$OUT/session.json"
PEER=$(python3 -c 'import json; s=json.load(open("'"$OUT/session.json"'")); print(json.dumps({"node":s["node"],"address":s["address"],"port":s["port"],"token":s["token"]}))')
follow "{\"type\":\"fabric\",\"tests\":[\"fabric.network\"],\"durationSeconds\":3,\"peer\":$PEER}" network
cp "$STATE"/jobs/*.worker.log "$OUT/" 2>/dev/null
kill $SP 2>/dev/null; wait $SP 2>/dev/null
tail -5 "$OUT/serve.log"
echo "== PyTorch oracle: pinned host<->device copies, 256 MiB, best of 10"
timeout 120 python3 - <<'PY' 2>&1 | tee "$OUT/torch-host.txt"
import torch, time
n = 256 << 20
for dev in range(torch.cuda.device_count()):
    h = torch.empty(n, dtype=torch.uint8).pin_memory(); d = torch.empty(n, dtype=torch.uint8, device=dev)
    best = {}
    for name, fn in (("h2d", lambda: d.copy_(h, non_blocking=True)), ("d2h", lambda: h.copy_(d, non_blocking=True))):
        bw = 0
        for _ in range(10):
            s = torch.cuda.Event(enable_timing=True); e = torch.cuda.Event(enable_timing=True)
            s.record(); fn(); e.record(); e.synchronize()
            bw = max(bw, n / (s.elapsed_time(e) / 1000) / 1e9)
        best[name] = round(bw, 1)
    print("torch GPU", dev, best)
PY
echo "== done"
