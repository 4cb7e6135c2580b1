#!/usr/bin/env bash
# Benchmark: a whole `kiln bringup` over N simulated nodes with a scaled-down burn-in: the rollout's wall time
# against the plan's estimate, the CLI's CPU time and peak RSS, and whether the quarantined set is exactly the
# injected faults.
#
#   bin/mvn -q -DskipTests package
#   bench/bringup-scale.sh                 # 1,000 nodes (long: see below)
#   NODES=200 MAX_PARALLEL=32 bench/bringup-scale.sh
#
# Every node runs real worker JVMs on this machine (a burn-in job, a GPU-fabric job, and a network job per TCP pair
# it drives: about three JVM starts of ~0.5 s CPU each per node), so the simulator, not the CLI, dominates: expect
# roughly 3-4 s of wall time per node on two cores with nothing else running. Run it on an otherwise idle machine.
#
# Environment: NODES (1000), NODES_PER_RACK (4), MAX_PARALLEL (8: each in-flight job is a worker JVM of up to
# 256 MiB; 32 starved loopback TCP on 2 cores and failed healthy nodes, see docs/BENCHMARKS.md), BURNIN (2s), FABRIC (2s), NETWORK (1s), STAGGER (0s), RACK_KW (0: no budgets; e.g. 34 gives each rack
# of hgx-h100 nodes room for one burn-in at a time), MIN_GBPS (0.2: loopback TCP between JVMs is noisy; the injected slow NIC is 0.05),
# BENCH_OUT (./bench-out), BENCH_PORT (19578).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd -P)
out=${BENCH_OUT:-$root/bench-out}/bringup
nodes=${NODES:-1000}
per_rack=${NODES_PER_RACK:-4}
max_parallel=${MAX_PARALLEL:-8}
burnin=${BURNIN:-2s}
fabric=${FABRIC:-2s}
network=${NETWORK:-1s}
stagger=${STAGGER:-0s}
rack_kw=${RACK_KW:-0}
min_gbps=${MIN_GBPS:-0.2}
port=${BENCH_PORT:-19578}
rm -rf "$out"
mkdir -p "$out"

# Five faults of different kinds, at positions spread over the fleet (and within it for small N).
p() { echo $(( ($1 * nodes / 1000) > 0 ? ($1 * nodes / 1000) : $2 )); }
cat > "$out/faults.yaml" <<EOF
faults:
  - {type: gpu-missing, node: $(p 7 1), gpu: 5}
  - {type: ecc-uncorrectable, node: $(p 101 2), gpu: 2}
  - {type: burnin-wrong-results, node: $(p 303 3), gpu: 3}
  - {type: worker-crash, node: $(p 505 4), afterSeconds: 0.3}
  - {type: nic-slow, node: $(p 707 5), gbps: 0.05}
EOF
faulty=$(grep -o 'node: [0-9]*' "$out/faults.yaml" | awk '{printf "node-%03d\n", $2}' | sort -u)

fleet=$out/fleet.yaml
KILN_JAVA_OPTS="${SIM_JAVA_OPTS:--Xmx4g}" "$root/bin/kiln-agent" simulate-fleet --nodes "$nodes" \
    --nodes-per-rack "$per_rack" --spread --base-port "$port" --faults "$out/faults.yaml" \
    --fleet-file "$out/fleet-sim.yaml" --token-file "$out/token" > "$out/sim.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for _ in $(seq 1 900); do [ -f "$out/fleet-sim.yaml" ] && break; sleep 0.2; done
[ -f "$out/fleet-sim.yaml" ] || { echo "simulator did not start; see $out/sim.log" >&2; exit 1; }
sleep 1
# The simulator's fleet file plus the built-in spec (for the power estimates) and, with RACK_KW, rack budgets.
awk -v kw="$rack_kw" '
    /^defaults:/ { print; print "  spec: hgx-h100"; next }
    /^  - name: rack-/ { print; if (kw > 0) print "    powerKw: " kw; next }
    { print }' "$out/fleet-sim.yaml" > "$fleet"

common=(--fleet "$fleet" --all --burnin "$burnin" --fabric-duration "$fabric" --network-duration "$network"
        --stagger "$stagger" --max-parallel "$max_parallel" --min-network-gbps "$min_gbps")
"$root/bin/kiln" bringup "${common[@]}" --dry-run -o json > "$out/plan.json"
# (Not grep | head: with pipefail, grep dies of SIGPIPE on a large plan and the script stops silently.)
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@" || echo '?'; }
planned=$(json "$out/plan.json" 'd["finishSeconds"]')

set +e
/usr/bin/time -v -o "$out/time.txt" "$root/bin/kiln" bringup "${common[@]}" \
    --db "jdbc:sqlite:$out/kiln.db" --runs-dir "$out/runs" -o json > "$out/run.json" 2> "$out/run.err"
code=$?
set -e
sim_rss=$(ps -o rss= -p $sim | awk '{printf "%.0f", $1/1024}')
kill $sim; wait $sim 2>/dev/null || true
trap - EXIT

wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time.txt")
rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$out/time.txt")
cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.1f", u+s}' "$out/time.txt")
accepted=$(json "$out/run.json" 'sum(1 for n in d["nodes"] if n["outcome"]=="accepted")')
quarantined=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("\n".join(sorted(n["node"] for n in d["nodes"] if n["outcome"]=="quarantined")))' "$out/run.json")
match=no
[ "$quarantined" = "$faulty" ] && match=yes
printf 'nodes=%s max_parallel=%s burnin=%s exit=%s wall=%s planned_s=%s cli_cpu_s=%s cli_peak_rss_mib=%s simulator_rss_mib=%s accepted=%s quarantined=%s quarantined_equals_faults=%s\n' \
    "$nodes" "$max_parallel" "$burnin" "$code" "$wall" "$planned" "$cpu" "$rss" "$sim_rss" "$accepted" \
    "$(echo "$quarantined" | grep -c . || true)" "$match"
echo "details: $out/run.json (summary, power peaks), $out/run.err (progress), $out/plan.json (the plan)"
