#!/usr/bin/env python3
"""Compare Kiln's real-NVML inventory with nvidia-smi (and pynvml) field by field."""
import json, subprocess, sys

kiln = json.load(open(sys.argv[1]))
gpus = {g["index"]: g for g in kiln["gpus"]}

def smi(field):
    r = subprocess.run(["nvidia-smi", f"--query-gpu={field}", "--format=csv,noheader,nounits"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return [v.strip() for v in r.stdout.strip().splitlines()]

def en(v): return {"Enabled": True, "Disabled": False}.get(v, v)
def num(v):
    try: return float(v)
    except Exception: return v

rows = []
def cmp(idx, what, kv, sv, ok):
    rows.append({"gpu": idx, "field": what, "kiln": kv, "reference": sv, "match": bool(ok)})

MiB = 1024 * 1024
checks = [
    ("uuid", lambda g: g["uuid"], lambda s: s, lambda a, b: a == b),
    ("serial", lambda g: g["serial"], lambda s: s, lambda a, b: a == b),
    ("name", lambda g: g["name"], lambda s: s, lambda a, b: a == b),
    ("pci.bus_id", lambda g: g["pci"]["busId"], lambda s: s, lambda a, b: a.upper() == b.upper()),
    ("pci.device_id", lambda g: g["pci"]["deviceId"], lambda s: s, lambda a, b: a.upper() == b.upper()),
    ("pci.sub_device_id", lambda g: g["pci"]["subsystemId"], lambda s: s, lambda a, b: a.upper() == b.upper()),
    ("vbios_version", lambda g: g["vbiosVersion"], lambda s: s, lambda a, b: a == b),
    ("inforom.img", lambda g: g["inforomImageVersion"], lambda s: s, lambda a, b: a == b),
    ("memory.total", lambda g: g["memoryTotalBytes"] // MiB, num, lambda a, b: a == b),
    ("memory.reserved", lambda g: (g["memoryReservedBytes"] or 0) // MiB, num, lambda a, b: abs(a - b) <= 1),
    ("power.limit", lambda g: g["powerLimitMilliwatts"] / 1000, num, lambda a, b: abs(a - b) < 0.5),
    ("power.default_limit", lambda g: g["powerDefaultLimitMilliwatts"] / 1000, num, lambda a, b: abs(a - b) < 0.5),
    ("enforced.power.limit", lambda g: g["powerEnforcedLimitMilliwatts"] / 1000, num, lambda a, b: abs(a - b) < 0.5),
    ("pcie.link.gen.max", lambda g: g["pcie"]["maxGeneration"], num, lambda a, b: a == b),
    ("pcie.link.width.max", lambda g: g["pcie"]["maxWidth"], num, lambda a, b: a == b),
    ("pcie.link.gen.gpumax", lambda g: g["pcie"]["gpuMaxGeneration"], num, lambda a, b: a == b),
    ("pcie.link.gen.current", lambda g: g["pcie"]["currentGeneration"], num, lambda a, b: a == b),
    ("pcie.link.width.current", lambda g: g["pcie"]["currentWidth"], num, lambda a, b: a == b),
    ("ecc.mode.current", lambda g: g["ecc"]["enabled"] if g["ecc"] else None, en, lambda a, b: a == b),
    ("ecc.mode.pending", lambda g: g["ecc"]["pendingEnabled"] if g["ecc"] else None, en, lambda a, b: a == b),
    ("ecc.errors.uncorrected.volatile.total", lambda g: g["ecc"]["volatileUncorrected"], num, lambda a, b: a == b),
    ("ecc.errors.corrected.aggregate.total", lambda g: g["ecc"]["aggregateCorrected"], num, lambda a, b: a == b),
    ("persistence_mode", lambda g: g["persistenceMode"], en, lambda a, b: a == b),
    ("mig.mode.current", lambda g: g["mig"]["current"] if g["mig"] else None, en, lambda a, b: a == b or (a is None and b == "[N/A]")),
    ("compute_cap", lambda g: g["computeCapability"], lambda s: s, lambda a, b: a == b),
    ("clocks.max.sm", lambda g: g["clockSmMaxMhz"], num, lambda a, b: a == b),
    ("clocks.max.memory", lambda g: g["clockMemoryMaxMhz"], num, lambda a, b: a == b),
    ("temperature.gpu", lambda g: g["temperatureCelsius"], num, lambda a, b: abs(a - b) <= 3),
    ("remapped_rows.correctable", lambda g: g["remappedRows"]["correctable"] if g["remappedRows"] else None, num, lambda a, b: a == b),
    ("remapped_rows.uncorrectable", lambda g: g["remappedRows"]["uncorrectable"] if g["remappedRows"] else None, num, lambda a, b: a == b),
    ("remapped_rows.pending", lambda g: g["remappedRows"]["pending"] if g["remappedRows"] else None, lambda s: {"No": False, "Yes": True}.get(s, s), lambda a, b: a == b),
    ("remapped_rows.failure", lambda g: g["remappedRows"]["failureOccurred"] if g["remappedRows"] else None, lambda s: {"No": False, "Yes": True}.get(s, s), lambda a, b: a == b),
]
driver = smi("driver_version")
if driver:
    cmp("-", "driver_version", kiln["nvml"]["driverVersion"], driver[0], kiln["nvml"]["driverVersion"] == driver[0])
smi_count = len(smi("uuid") or [])
cmp("-", "gpu count", len(gpus), smi_count, len(gpus) == smi_count)
for field, kget, sconv, same in checks:
    vals = smi(field)
    for idx, g in sorted(gpus.items()):
        try:
            kv = kget(g)
        except Exception as e:
            kv = f"<error {e}>"
        sv = sconv(vals[idx]) if vals and idx < len(vals) else "<nvidia-smi has no such field>"
        try:
            ok = same(kv, sv)
        except Exception:
            ok = False
        cmp(idx, field, kv, sv, ok)

try:
    import pynvml as N
    N.nvmlInit()
    cmp("-", "cuda driver version (pynvml)", kiln["nvml"]["cudaDriverVersion"],
        "%d.%d" % divmod(N.nvmlSystemGetCudaDriverVersion_v2() // 10, 100), None)
    rows[-1]["match"] = rows[-1]["kiln"] == rows[-1]["reference"]
    for idx, g in sorted(gpus.items()):
        h = N.nvmlDeviceGetHandleByIndex(idx)
        def p(name, kv, fn, conv=lambda x: x):
            try:
                ref = conv(fn())
            except Exception as e:
                ref = f"<pynvml {type(e).__name__}: {e}>"
            cmp(idx, name + " (pynvml)", kv, ref, kv == ref)
        p("boardPartNumber", g["boardPartNumber"], lambda: N.nvmlDeviceGetBoardPartNumber(h), lambda s: s.decode() if isinstance(s, bytes) else s)
        p("minorNumber", g["minorNumber"], lambda: N.nvmlDeviceGetMinorNumber(h))
        p("architecture code", g["architecture"], lambda: N.nvmlDeviceGetArchitecture(h), lambda a: {9: "hopper", 10: "blackwell", 8: "ada", 7: "ampere"}.get(a, a))
        p("slowdown threshold", g["temperatureSlowdownCelsius"], lambda: N.nvmlDeviceGetTemperatureThreshold(h, 1))
        p("shutdown threshold", g["temperatureShutdownCelsius"], lambda: N.nvmlDeviceGetTemperatureThreshold(h, 0))
        p("memory max threshold", g["temperatureMemoryMaxCelsius"], lambda: N.nvmlDeviceGetTemperatureThreshold(h, 2))
        p("gpu max threshold", g["temperatureGpuMaxCelsius"], lambda: N.nvmlDeviceGetTemperatureThreshold(h, 3))
        def links():
            out = []
            for l in range(18):
                try:
                    out.append(N.nvmlDeviceGetNvLinkState(h, l))
                except N.NVMLError:
                    break
            return out
        p("nvlink states", [1 if l["active"] else 0 for l in g["nvlinks"]], links)
        def remote():
            out = []
            for l in range(len(g["nvlinks"])):
                try:
                    bid = N.nvmlDeviceGetNvLinkRemotePciInfo(h, l).busId
                    out.append(bid.decode() if isinstance(bid, bytes) else bid)
                except N.NVMLError:
                    out.append(None)
            return out
        p("nvlink remote bus ids", [l["remotePciBusId"] for l in g["nvlinks"]], remote)
        p("pcie replay counter", g["pcie"]["replayCounter"], lambda: N.nvmlDeviceGetPcieReplayCounter(h))
        p("energy mJ (within 5%)", True, lambda: abs(N.nvmlDeviceGetTotalEnergyConsumption(h) - g["energyConsumedMillijoules"]) <= 0.05 * max(1, g["energyConsumedMillijoules"]))
except ImportError:
    print("pynvml not available; skipped pynvml comparisons")

bad = [r for r in rows if not r["match"]]
for r in rows:
    print(("MATCH   " if r["match"] else "MISMATCH"), r["gpu"], r["field"], "kiln=", r["kiln"], "ref=", r["reference"])
print(f"SUMMARY {len(rows) - len(bad)} match, {len(bad)} mismatch")
json.dump({"rows": rows, "match": len(rows) - len(bad), "mismatch": len(bad),
           "kilnErrors": kiln["errors"], "missingSymbols": kiln["nvml"]["missingSymbols"]},
          open(sys.argv[2], "w"), indent=1)
