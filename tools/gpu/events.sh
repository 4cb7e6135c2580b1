#!/usr/bin/env bash
# On the lent GPU machine: real-NVML event subscription, recovery-action field, GET /v1/events.
set -u
K=/tmp/kiln
JAVA="$K/jre/bin/java --enable-native-access=ALL-UNNAMED"
AGENT="$JAVA -jar $K/agent/quarkus-run.jar"
SIM=${SIM:-}
echo "== machine"; nvidia-smi -L 2>&1 | head -3; nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>&1 | head -2
echo "== pynvml oracle"
python3 - <<'PY' 2>&1 | tee $OUT/pynvml.txt
import pynvml as n
n.nvmlInit()
for i in range(n.nvmlDeviceGetCount()):
    h = n.nvmlDeviceGetHandleByIndex(i)
    try:
        print("gpu", i, "supported_event_types=0x%x" % n.nvmlDeviceGetSupportedEventTypes(h))
    except Exception as e:
        print("gpu", i, "supported error", e)
    try:
        fv = n.nvmlDeviceGetFieldValues(h, [230])[0]
        print("gpu", i, "field230 ret", fv.nvmlReturn, "type", fv.valueType, "uiVal", fv.value.uiVal, "ullVal", fv.value.ullVal)
    except Exception as e:
        print("gpu", i, "field230 error", e)
    try:
        s = n.nvmlEventSetCreate()
        n.nvmlDeviceRegisterEvents(h, 0x8 | 0x2, s)
        try:
            d = n.nvmlEventSetWait_v2(s, 100)
            print("gpu", i, "event!", d.eventType, d.eventData)
        except n.NVMLError as e:
            print("gpu", i, "wait(100):", e)
        n.nvmlEventSetFree(s)
    except Exception as e:
        print("gpu", i, "eventset error", e)
PY
echo "== kiln inventory: recoveryAction, missing symbols, errors"
$AGENT inventory $SIM -o json > $OUT/inv.json 2> $OUT/inv.err; echo "rc=$?"
python3 -c "import json;d=json.load(open('$OUT/inv.json'));print('recoveryAction',[g.get('recoveryAction') for g in d['gpus']]);print('missing',d['nvml']['missingSymbols']);print('errors',d['errors'])"
echo "== serve with real NVML, GET /v1/events"
mkdir -p /tmp/ktok /tmp/kstate
$AGENT serve $SIM --port 19478 --token-file /tmp/ktok/t --generate-token --state-dir /tmp/kstate > $OUT/serve.log 2>&1 &
SP=$!
for i in $(seq 1 200); do curl -s -o /dev/null localhost:19478/v1/node && break; sleep 0.05; done
TOK=$(cat /tmp/ktok/t)
curl -s -H "Authorization: Bearer $TOK" localhost:19478/v1/events | tee $OUT/events.json; echo
curl -s -w ' HTTP %{http_code}\n' -H "Authorization: Bearer $TOK" 'localhost:19478/v1/events?since=yesterday'
curl -s -o /dev/null -w 'no token: HTTP %{http_code}\n' localhost:19478/v1/events
sleep 2
T1=$(awk '{print $14+$15}' /proc/$SP/stat); sleep 10; T2=$(awk '{print $14+$15}' /proc/$SP/stat)
echo "agent CPU while idle for 10 s (watcher polling every 250 ms): $((T2-T1)) ticks of 1/$(getconf CLK_TCK) s"
grep -c . /proc/$SP/task/*/comm >/dev/null; echo "threads: $(ls /proc/$SP/task | wc -l); poller threads: $(grep -l kiln-event-poll /proc/$SP/task/*/comm | wc -l)"
kill $SP; wait $SP 2>/dev/null
grep -i "events\|kiln-agent" $OUT/serve.log | head -5
ls -la /tmp/kstate
echo "== done"
