#!/usr/bin/env bash
# Runs on the lent GPU machine: real-NVML inventory vs nvidia-smi / pynvml. Writes results under $OUT.
set -u
K=/tmp/kiln
JAVA="$K/jre/bin/java --enable-native-access=ALL-UNNAMED"
AGENT="$JAVA -jar $K/agent/quarkus-run.jar"
echo "== machine"; nvidia-smi -L; nvidia-smi --query-gpu=driver_version,name --format=csv
echo "== kiln-agent inventory (table)"
if [ -x /usr/bin/time ]; then /usr/bin/time -v $AGENT inventory > $OUT/kiln-inventory.txt 2> $OUT/time-inventory.txt; else ( time $AGENT inventory > $OUT/kiln-inventory.txt ) 2> $OUT/time-inventory.txt; fi; echo "rc=$?"
cat $OUT/kiln-inventory.txt
grep -E 'Elapsed|Maximum resident' $OUT/time-inventory.txt
echo "== kiln-agent inventory -o json"
$AGENT inventory -o json > $OUT/kiln-inventory.json 2> $OUT/kiln-inventory.err; echo "rc=$?"; head -c 600 $OUT/kiln-inventory.err
echo "== compare with nvidia-smi / pynvml"
python3 .gpu/compare.py $OUT/kiln-inventory.json $OUT/compare.json
echo "== serve with real NVML"
mkdir -p /tmp/ktok; T0=$(date +%s%N)
$AGENT serve --port 19478 --token-file /tmp/ktok/t --generate-token > $OUT/serve.log 2>&1 &
SP=$!
for i in $(seq 1 100); do curl -s -o /dev/null localhost:19478/v1/node && break; sleep 0.05; done
T1=$(date +%s%N); echo "first answer after $(( (T1-T0)/1000000 )) ms"
TOK=$(cat /tmp/ktok/t)
curl -s -w '\nHTTP %{http_code}\n' localhost:19478/v1/node
curl -s -H "Authorization: Bearer $TOK" localhost:19478/v1/node | tee $OUT/node.json; echo
curl -s -o $OUT/served-inventory.json -w 'inventory HTTP %{http_code} in %{time_total}s\n' -H "Authorization: Bearer $TOK" localhost:19478/v1/inventory
T2=$(date +%s%N); PIDS=""; for i in $(seq 1 200); do curl -s -o /dev/null -H "Authorization: Bearer $TOK" localhost:19478/v1/inventory & PIDS="$PIDS $!"; done; wait $PIDS
T3=$(date +%s%N); echo "200 concurrent-ish inventory requests: $(( (T3-T2)/1000000 )) ms"
curl -s -o /dev/null -w 'fresh inventory HTTP %{http_code} in %{time_total}s\n' -H "Authorization: Bearer $TOK" 'localhost:19478/v1/inventory?fresh=true'
ps -o rss= -p $SP | awk '{print "agent RSS " $1/1024 " MiB"}'
kill $SP; wait $SP 2>/dev/null
tail -5 $OUT/serve.log
echo "== done"
