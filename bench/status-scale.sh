#!/usr/bin/env bash
# Benchmark: wall time and peak memory of `kiln status` over N simulated nodes.
#
#   bench/status-scale.sh 1000 10000        (after bin/mvn -q -DskipTests package)
#
# For each N: starts `kiln-agent simulate-fleet --nodes N --spread` (each node its own 127.1.x.y
# address, one port), waits for its fleet file, runs `kiln status -o json` RUNS times under
# /usr/bin/time, and prints the median wall time, median peak RSS of the CLI, and the simulator's RSS.
# Both processes share this machine's cores, so the numbers include the simulated agents' work.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd -P)
out=${BENCH_OUT:-$root/bench-out}
runs=${RUNS:-5}
port=${BENCH_PORT:-19478}
mkdir -p "$out"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

for n in "${@:-1000 10000}"; do
    fleet=$out/fleet-$n.yaml
    rm -f "$fleet"
    KILN_JAVA_OPTS="-Xmx3g" "$root/bin/kiln-agent" simulate-fleet --nodes "$n" --spread --base-port "$port" \
        --fleet-file "$fleet" --token-file "$out/token" > "$out/sim-$n.log" 2>&1 &
    sim=$!
    for _ in $(seq 1 600); do [ -f "$fleet" ] && break; sleep 0.2; done
    [ -f "$fleet" ] || { echo "simulator did not start; see $out/sim-$n.log" >&2; kill $sim; exit 1; }
    sleep 1
    : > "$out/runs-$n.txt"
    for r in $(seq 1 "$runs"); do
        /usr/bin/time -f "%e %M" -o "$out/time.txt" "$root/bin/kiln" status --fleet "$fleet" -o json \
            > "$out/status-$n.json" 2> "$out/status-$n.err" || true
        cat "$out/time.txt" >> "$out/runs-$n.txt"
    done
    reachable=$(grep -o '"reachable" *: *true' "$out/status-$n.json" | wc -l)
    sim_rss=$(ps -o rss= -p $sim | awk '{printf "%.0f", $1/1024}')
    kill $sim; wait $sim 2>/dev/null || true
    wall=$(awk '{print $1}' "$out/runs-$n.txt" | median)
    rss=$(awk '{print $2}' "$out/runs-$n.txt" | median)
    printf 'nodes=%s runs=%s reachable=%s median_wall_s=%s median_cli_peak_rss_mib=%.0f simulator_rss_mib=%s all_wall_s=[%s]\n' \
        "$n" "$runs" "$reachable" "$wall" "$(awk -v r="$rss" 'BEGIN{print r/1024}')" "$sim_rss" "$(awk '{printf "%s ", $1}' "$out/runs-$n.txt")"
done
