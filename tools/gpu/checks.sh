#!/usr/bin/env bash
# Runs on a lent GPU machine: health checks through real NVML, one-shot and through the fleet CLI.
# Expects Kiln unpacked at /tmp/kiln (jre/, agent/ = quarkus-app, kiln.jar). Writes under $OUT.
set -u
K=/tmp/kiln
J="$K/jre/bin/java --enable-native-access=ALL-UNNAMED"
AGENT="$J -jar $K/agent/quarkus-run.jar"
KILN="$J --sun-misc-unsafe-memory-access=allow -XX:TieredStopAtLevel=1 -jar $K/kiln.jar"
echo "== nvidia-smi"; nvidia-smi --query-gpu=index,name,serial,vbios_version,driver_version --format=csv
echo "== kiln-agent check --spec hgx-h100 (a built-in 8-GPU spec: expect gpu.count and SKU mismatches)"
$AGENT check --spec hgx-h100 > $OUT/check-h100.txt 2>&1; echo "rc=$?"; cat $OUT/check-h100.txt
$AGENT check --spec hgx-h100 -o json > $OUT/check-h100.json 2>/dev/null
echo "== serve + kiln spec capture + kiln check against the captured spec (expect PASS)"
mkdir -p /tmp/kt; $AGENT serve --port 19478 --token-file /tmp/kt/t --generate-token --state-dir /tmp/kt/state > $OUT/serve.log 2>&1 &
SP=$!
for i in $(seq 1 100); do curl -s -o /dev/null localhost:19478/v1/node && break; sleep 0.1; done
printf 'defaults:\n  tokenFile: /tmp/kt/t\nracks:\n  - name: lab\n    nodes:\n      - name: gpu-vm\n        address: 127.0.0.1:19478\n' > /tmp/kt/fleet.yaml
$KILN spec capture --fleet /tmp/kt/fleet.yaml --node gpu-vm --name lab-h100 -o $OUT/captured.yaml; echo "capture rc=$?"; cat $OUT/captured.yaml
$KILN spec lint $OUT/captured.yaml; echo "lint rc=$?"
$KILN check --fleet /tmp/kt/fleet.yaml --spec $OUT/captured.yaml --show-skips; echo "check rc=$?"
$KILN check --fleet /tmp/kt/fleet.yaml --spec $OUT/captured.yaml -o json > $OUT/check-captured.json; echo "json rc=$?"
curl -s -H "Authorization: Bearer $(cat /tmp/kt/t)" localhost:19478/v1/events > $OUT/events.json; head -c 400 $OUT/events.json; echo
T0=$(date +%s%N); for i in $(seq 1 20); do curl -s -o /dev/null -X POST -H "Authorization: Bearer $(cat /tmp/kt/t)" -d '{}' localhost:19478/v1/checks; done
T1=$(date +%s%N); echo "20 sequential POST /v1/checks (spec: none -> 400 on a real node): $(( (T1-T0)/20000000 )) ms each"
curl -s -X POST -H "Authorization: Bearer $(cat /tmp/kt/t)" -d '{}' localhost:19478/v1/checks; echo
kill $SP; wait $SP 2>/dev/null
echo "== done"
