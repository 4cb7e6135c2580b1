package dev.kiln.agent.checks;

import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.spec.NodeSpec;

/**
 * ECC and HBM row remapping. Volatile ECC counts reset when the driver loads, so they already are
 * "this boot"; lifetime (aggregate) counts are shown but never fail a node on their own.
 */
final class GpuMemoryHealthChecks {
    private GpuMemoryHealthChecks() {
    }

    static final class EccMode extends PerGpuCheck {
        java.util.Set<String> readings() {
            return java.util.Set.of("ecc");
        }

        public String id() {
            return "gpu.ecc.mode";
        }

        public String description() {
            return "ECC is enabled (or disabled) as the spec says, with no mode change pending";
        }

        String missingSpecField(NodeSpec spec) {
            return gpuSpec(spec).ecc() == null ? "gpu.ecc" : null;
        }

        CheckResult judge(GpuInventory g, CheckContext ctx) {
            boolean want = gpuSpec(ctx.spec()).ecc();
            if (g.ecc() == null) {
                return want ? Results.gpu(id(), CheckStatus.FAIL, g, "not supported", "enabled",
                        Results.name(g) + " does not support ECC", "check the node's spec and GPU model")
                        : Results.gpu(id(), CheckStatus.PASS, g, "not supported", "disabled", "no ECC", null);
            }
            String observed = (g.ecc().enabled() ? "enabled" : "disabled")
                    + (g.ecc().pendingEnabled() != g.ecc().enabled() ? " (pending " + (g.ecc().pendingEnabled()
                    ? "enabled" : "disabled") + ")" : "");
            String expected = want ? "enabled" : "disabled";
            if (g.ecc().enabled() != want) {
                boolean fixPending = g.ecc().pendingEnabled() == want;
                return Results.gpu(id(), CheckStatus.FAIL, g, observed, expected,
                        Results.name(g) + " ECC is " + observed + ", expected " + expected,
                        fixPending ? "reset the GPU or reboot to apply the pending ECC mode"
                                : "nvidia-smi -i " + g.index() + " -e " + (want ? 1 : 0) + ", then reset the GPU");
            }
            if (g.ecc().pendingEnabled() != want) {
                return Results.gpu(id(), CheckStatus.WARN, g, observed, expected,
                        Results.name(g) + " ECC will change to " + (want ? "disabled" : "enabled") + " at the next reset",
                        "nvidia-smi -i " + g.index() + " -e " + (want ? 1 : 0) + " to cancel the pending change");
            }
            return Results.gpu(id(), CheckStatus.PASS, g, observed, expected, observed, null);
        }
    }

    static final class EccUncorrectable extends PerGpuCheck {
        java.util.Set<String> readings() {
            return java.util.Set.of("ecc");
        }

        public String id() {
            return "gpu.ecc.uncorrectable";
        }

        public String description() {
            return "no uncorrectable ECC errors since the driver loaded (above the spec's threshold)";
        }

        String missingSpecField(NodeSpec spec) {
            return null;
        }

        CheckResult judge(GpuInventory g, CheckContext ctx) {
            if (g.ecc() == null) {
                return Results.skipGpu(id(), g, Results.name(g) + " does not support ECC");
            }
            if (g.ecc().volatileUncorrected() == null) {
                return Results.errorGpu(id(), g, "uncorrectable ECC count not readable on " + Results.name(g));
            }
            long limit = ctx.spec().thresholds().eccUncorrectable();
            long now = g.ecc().volatileUncorrected();
            String observed = now + " this boot" + (g.ecc().aggregateUncorrected() == null ? ""
                    : " (lifetime " + g.ecc().aggregateUncorrected() + ")");
            if (now > limit) {
                return Results.gpu(id(), CheckStatus.FAIL, g, observed, "<= " + limit,
                        Results.name(g) + " had " + now + " uncorrectable ECC error(s) since the driver loaded",
                        actionFor(g, reset(g) + "; RMA " + Results.name(g) + " if errors recur"));
            }
            return Results.gpu(id(), CheckStatus.PASS, g, observed, "<= " + limit, observed, null);
        }
    }

    static final class RemapPending extends PerGpuCheck {
        java.util.Set<String> readings() {
            return java.util.Set.of("remappedRows");
        }

        public String id() {
            return "gpu.remap.pending";
        }

        public String description() {
            return "no HBM row remap is waiting for a GPU reset";
        }

        String missingSpecField(NodeSpec spec) {
            return null;
        }

        CheckResult judge(GpuInventory g, CheckContext ctx) {
            if (g.remappedRows() == null) {
                return Results.skipGpu(id(), g, unsupported(g, ctx));
            }
            String observed = observed(g);
            if (g.remappedRows().pending()) {
                return Results.gpu(id(), CheckStatus.FAIL, g, observed, "no remap pending",
                        Results.name(g) + " has a row remap pending",
                        actionFor(g, reset(g) + " to apply the remap"));
            }
            return Results.gpu(id(), CheckStatus.PASS, g, observed, "no remap pending", observed, null);
        }
    }

    static final class RemapFailure extends PerGpuCheck {
        java.util.Set<String> readings() {
            return java.util.Set.of("remappedRows");
        }

        public String id() {
            return "gpu.remap.failure";
        }

        public String description() {
            return "no HBM row remap has failed (a failure means no spare rows are left)";
        }

        String missingSpecField(NodeSpec spec) {
            return null;
        }

        CheckResult judge(GpuInventory g, CheckContext ctx) {
            if (g.remappedRows() == null) {
                return Results.skipGpu(id(), g, unsupported(g, ctx));
            }
            String observed = observed(g);
            if (g.remappedRows().failureOccurred()) {
                return Results.gpu(id(), CheckStatus.FAIL, g, observed, "no remap failure",
                        Results.name(g) + " had a row remap failure", "RMA " + Results.name(g)
                                + " (row remapping failed: no spare rows)");
            }
            return Results.gpu(id(), CheckStatus.PASS, g, observed, "no remap failure", observed, null);
        }
    }

    private static String observed(GpuInventory g) {
        GpuInventory.RemappedRows r = g.remappedRows();
        return r.correctable() + " correctable, " + r.uncorrectable() + " uncorrectable remapped rows"
                + (r.pending() ? ", pending" : "") + (r.failureOccurred() ? ", failure" : "");
    }

    private static String unsupported(GpuInventory g, CheckContext ctx) {
        return ctx.inventory().nvml().missingSymbols().contains("nvmlDeviceGetRemappedRows")
                ? "the driver does not export nvmlDeviceGetRemappedRows (driver.version reports it)"
                : Results.name(g) + " does not support row remapping";
    }

    /** A reset of this GPU only; NVML clients such as kiln-agent must let go of it first. */
    static String reset(GpuInventory g) {
        return "reset the GPU (stop kiln-agent and other NVML clients, then nvidia-smi -r -i "
                + (g.pci() != null ? g.pci().busId() : String.valueOf(g.index())) + ")";
    }

    /** NVML's own recommendation, when the driver gives one, comes first. */
    static String actionFor(GpuInventory g, String fallback) {
        return g.recommendedAction() != null ? g.recommendedAction() + "; " + fallback : fallback;
    }
}
