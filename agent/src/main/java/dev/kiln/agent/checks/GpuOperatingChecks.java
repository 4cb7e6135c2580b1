package dev.kiln.agent.checks;

import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.spec.NodeSpec;

import java.util.List;
import java.util.Set;

/** How the GPUs run right now: temperature, clock events, power limit, modes, and who is using them. */
final class GpuOperatingChecks {
    private GpuOperatingChecks() {
    }

    static final class Thermal extends PerGpuCheck {
        java.util.Set<String> readings() {
            return java.util.Set.of("temperatures");
        }

        public String id() {
            return "gpu.thermal";
        }

        public String description() {
            return "every GPU is below its own slowdown temperature, by at least the spec's margin";
        }

        String missingSpecField(NodeSpec spec) {
            return null;
        }

        CheckResult judge(GpuInventory g, CheckContext ctx) {
            Integer t = g.temperatureCelsius();
            Integer slowdown = g.temperatureSlowdownCelsius();
            if (t == null) {
                return Results.errorGpu(id(), g, "temperature not readable on " + Results.name(g));
            }
            if (slowdown == null) {
                return Results.skipGpu(id(), g, Results.name(g) + " reports no slowdown threshold to judge against");
            }
            int margin = ctx.spec().thresholds().temperatureMarginCelsius();
            String observed = t + " C (slowdown " + slowdown + " C)";
            String expected = "< " + (slowdown - margin) + " C";
            String cooling = "check airflow, fans and the cold-aisle temperature at " + Results.name(g)
                    + "; reseat the heatsink if only this GPU runs hot";
            if (t >= slowdown) {
                return Results.gpu(id(), CheckStatus.FAIL, g, observed, expected,
                        Results.name(g) + " is at " + t + " C, at or above its slowdown threshold " + slowdown + " C", cooling);
            }
            if (t > slowdown - margin) {
                return Results.gpu(id(), CheckStatus.WARN, g, observed, expected,
                        Results.name(g) + " is within " + (slowdown - t) + " C of thermal slowdown", cooling);
            }
            return Results.gpu(id(), CheckStatus.PASS, g, observed, expected, observed, null);
        }
    }

    static final class ClockEvents extends PerGpuCheck {
        java.util.Set<String> readings() {
            return java.util.Set.of("clocks");
        }

        private static final Set<String> FAIL = Set.of("hw_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown");
        private static final Set<String> WARN = Set.of("sw_thermal_slowdown", "sw_power_cap");

        public String id() {
            return "gpu.clocks.events";
        }

        public String description() {
            return "no GPU is held down by hardware slowdown (FAIL) or thermal/power software limits (WARN)";
        }

        String missingSpecField(NodeSpec spec) {
            return null;
        }

        CheckResult judge(GpuInventory g, CheckContext ctx) {
            List<String> missing = ctx.inventory().nvml().missingSymbols();
            if (missing.contains("nvmlDeviceGetCurrentClocksEventReasons")
                    && missing.contains("nvmlDeviceGetCurrentClocksThrottleReasons")) {
                return Results.skipGpu(id(), g, "the driver exports no clock-event-reasons query (driver.version reports it)");
            }
            List<String> reasons = g.clockEventReasons();
            List<String> bad = reasons.stream().filter(FAIL::contains).toList();
            List<String> warn = reasons.stream().filter(WARN::contains).toList();
            String observed = reasons.isEmpty() ? "none" : String.join(", ", reasons);
            if (!bad.isEmpty()) {
                return Results.gpu(id(), CheckStatus.FAIL, g, observed, "no hardware slowdown",
                        Results.name(g) + " clocks held down by " + String.join(", ", bad),
                        bad.contains("hw_power_brake_slowdown")
                                ? "check the node's power supplies and the BMC's power-brake signal"
                                : "check cooling and power delivery to " + Results.name(g) + "; RMA if it persists");
            }
            if (!warn.isEmpty()) {
                return Results.gpu(id(), CheckStatus.WARN, g, observed, "no thermal or power limit",
                        Results.name(g) + " clocks limited by " + String.join(", ", warn),
                        warn.contains("sw_power_cap") ? "check the power limit (gpu.power.limit)" : "check cooling");
            }
            return Results.gpu(id(), CheckStatus.PASS, g, observed, "no slowdown", observed, null);
        }
    }

    static final class PowerLimit extends PerGpuCheck {
        java.util.Set<String> readings() {
            return java.util.Set.of("power");
        }

        public String id() {
            return "gpu.power.limit";
        }

        public String description() {
            return "every GPU's enforced power limit is the spec's";
        }

        String missingSpecField(NodeSpec spec) {
            return gpuSpec(spec).powerLimitWatts() == null ? "gpu.powerLimitWatts" : null;
        }

        CheckResult judge(GpuInventory g, CheckContext ctx) {
            int want = gpuSpec(ctx.spec()).powerLimitWatts();
            Integer mw = g.powerEnforcedLimitMilliwatts() != null ? g.powerEnforcedLimitMilliwatts() : g.powerLimitMilliwatts();
            if (mw == null) {
                return Results.errorGpu(id(), g, "power limit not readable on " + Results.name(g));
            }
            int watts = Math.round(mw / 1000f);
            String observed = watts + " W";
            if (watts < want) {
                return Results.gpu(id(), CheckStatus.FAIL, g, observed, want + " W",
                        Results.name(g) + " is power-capped at " + watts + " W, expected " + want + " W",
                        "nvidia-smi -i " + g.index() + " -pl " + want + "; check BMC/rack power capping");
            }
            if (watts > want) {
                return Results.gpu(id(), CheckStatus.WARN, g, observed, want + " W",
                        Results.name(g) + " power limit " + watts + " W is above the spec's " + want + " W",
                        "check the rack's power budget; nvidia-smi -i " + g.index() + " -pl " + want);
            }
            return Results.gpu(id(), CheckStatus.PASS, g, observed, want + " W", observed, null);
        }
    }

    static final class Persistence extends PerGpuCheck {
        java.util.Set<String> readings() {
            return java.util.Set.of("persistenceMode");
        }

        public String id() {
            return "gpu.persistence";
        }

        public String description() {
            return "persistence mode is as the spec says (normally on: nvidia-persistenced running)";
        }

        String missingSpecField(NodeSpec spec) {
            return gpuSpec(spec).persistence() == null ? "gpu.persistence" : null;
        }

        CheckResult judge(GpuInventory g, CheckContext ctx) {
            boolean want = gpuSpec(ctx.spec()).persistence();
            if (g.persistenceMode() == null) {
                return Results.errorGpu(id(), g, "persistence mode not readable on " + Results.name(g));
            }
            boolean ok = g.persistenceMode() == want;
            return Results.gpu(id(), ok ? CheckStatus.PASS : CheckStatus.FAIL, g, onOff(g.persistenceMode()), onOff(want),
                    ok ? onOff(want) : Results.name(g) + " persistence mode is " + onOff(g.persistenceMode()),
                    ok ? null : want ? "systemctl enable --now nvidia-persistenced" : "stop nvidia-persistenced");
        }
    }

    static final class Mig extends PerGpuCheck {
        java.util.Set<String> readings() {
            return java.util.Set.of("migMode");
        }

        public String id() {
            return "gpu.mig";
        }

        public String description() {
            return "MIG mode is as the spec says, with no change pending";
        }

        String missingSpecField(NodeSpec spec) {
            return gpuSpec(spec).mig() == null ? "gpu.mig" : null;
        }

        CheckResult judge(GpuInventory g, CheckContext ctx) {
            boolean want = gpuSpec(ctx.spec()).mig();
            if (g.mig() == null) {
                return want ? Results.gpu(id(), CheckStatus.FAIL, g, "not supported", "on",
                        Results.name(g) + " does not support MIG", "check the node's spec")
                        : Results.gpu(id(), CheckStatus.PASS, g, "not supported", "off", "no MIG", null);
            }
            if (g.mig().current() != want) {
                return Results.gpu(id(), CheckStatus.FAIL, g, onOff(g.mig().current()), onOff(want),
                        Results.name(g) + " MIG mode is " + onOff(g.mig().current()),
                        "nvidia-smi -i " + g.index() + " -mig " + (want ? 1 : 0) + ", then reset the GPU");
            }
            if (g.mig().pending() != want) {
                return Results.gpu(id(), CheckStatus.WARN, g, onOff(g.mig().current()) + " (pending "
                        + onOff(g.mig().pending()) + ")", onOff(want), Results.name(g) + " MIG mode changes at the next reset",
                        "nvidia-smi -i " + g.index() + " -mig " + (want ? 1 : 0));
            }
            return Results.gpu(id(), CheckStatus.PASS, g, onOff(want), onOff(want), onOff(want), null);
        }
    }

    static final class Processes extends PerGpuCheck {
        java.util.Set<String> readings() {
            return java.util.Set.of("computeProcesses");
        }

        public String id() {
            return "gpu.processes";
        }

        public String description() {
            return "no process holds a GPU (someone's job would disturb tests and be disturbed by them)";
        }

        String missingSpecField(NodeSpec spec) {
            return null;
        }

        CheckResult judge(GpuInventory g, CheckContext ctx) {
            if (g.processes() == null) {
                return Results.skipGpu(id(), g, "process list not supported on " + Results.name(g));
            }
            if (g.processes().isEmpty()) {
                return Results.gpu(id(), CheckStatus.PASS, g, "idle", "idle", "no compute process", null);
            }
            List<Long> pids = g.processes().stream().map(GpuInventory.Process::pid).toList();
            return Results.gpu(id(), CheckStatus.WARN, g, "busy: pid " + pids, "idle",
                    Results.name(g) + " is in use by pid " + pids,
                    "find the owner (ps -o user,cmd -p " + pids.get(0) + ") and wait for or stop the job before testing");
        }
    }

    static String onOff(boolean b) {
        return b ? "on" : "off";
    }
}
