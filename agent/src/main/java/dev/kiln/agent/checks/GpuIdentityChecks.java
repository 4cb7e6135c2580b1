package dev.kiln.agent.checks;

import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.spec.NodeSpec;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** What the GPUs are: how many, which model, how much memory, which VBIOS, and whether any is lost. */
final class GpuIdentityChecks {
    private GpuIdentityChecks() {
    }

    static final class Count implements Check {
        public String id() {
            return "gpu.count";
        }

        public String description() {
            return "NVML enumerates the number of GPUs the spec expects; missing slots are named by bus id";
        }

        public List<CheckResult> run(CheckContext ctx) {
            NodeSpec.GpuSpec spec = PerGpuCheck.gpuSpec(ctx.spec());
            if (spec.count() == null) {
                return List.of(Results.skip(id(), "spec '" + ctx.spec().name() + "' does not set gpu.count"));
            }
            if (!ctx.inventory().nvml().available()) {
                return List.of(Results.error(id(), "NVML unavailable: " + ctx.inventory().nvml().reason()));
            }
            int seen = ctx.inventory().gpus().size();
            int want = spec.count();
            if (seen == want) {
                return List.of(Results.node(id(), CheckStatus.PASS, null, seen, want, seen + " GPUs", null));
            }
            Set<String> present = new LinkedHashSet<>();
            for (GpuInventory g : ctx.inventory().gpus()) {
                if (g.pci() != null) {
                    present.add(g.pci().busId().toUpperCase());
                }
            }
            List<CheckResult> out = new ArrayList<>();
            if (seen < want) {
                List<String> missing = spec.busIds().stream().filter(b -> !present.contains(b.toUpperCase())).toList();
                if (missing.isEmpty()) {
                    out.add(Results.node(id(), CheckStatus.FAIL, null, seen, want, seen + " GPUs, expected " + want,
                            "find the missing GPU (nvidia-smi -L, lspci -d 10de:) and reseat or RMA it; "
                                    + "check dmesg for Xid 79 or PCIe errors"));
                }
                for (String bus : missing) {
                    out.add(Results.node(id(), CheckStatus.FAIL, bus, seen, want,
                            "no GPU answers at " + bus + " (" + seen + " GPUs, expected " + want + ")",
                            "reseat the GPU in slot " + bus + ", then RMA it if it stays missing; "
                                    + "check dmesg for Xid 79 or PCIe errors"));
                }
            } else {
                out.add(Results.node(id(), CheckStatus.FAIL, null, seen, want,
                        seen + " GPUs, more than the " + want + " the spec expects",
                        "check that the node runs the right spec (fleet file 'spec:')"));
            }
            return out;
        }
    }

    static final class Model extends PerGpuCheck {
        java.util.Set<String> readings() {
            return java.util.Set.of("name");
        }

        public String id() {
            return "gpu.model";
        }

        public String description() {
            return "every GPU is the spec's model";
        }

        String missingSpecField(NodeSpec spec) {
            return gpuSpec(spec).model() == null ? "gpu.model" : null;
        }

        CheckResult judge(GpuInventory g, CheckContext ctx) {
            String want = gpuSpec(ctx.spec()).model();
            boolean ok = want.equals(g.name());
            return Results.gpu(id(), ok ? CheckStatus.PASS : CheckStatus.FAIL, g, g.name(), want,
                    ok ? g.name() : Results.name(g) + " is a " + g.name() + ", expected " + want,
                    ok ? null : "replace " + Results.name(g) + " with a " + want + " or fix the node's spec");
        }
    }

    static final class Memory extends PerGpuCheck {
        java.util.Set<String> readings() {
            return java.util.Set.of("memory");
        }

        public String id() {
            return "gpu.memory";
        }

        public String description() {
            return "every GPU reports the spec's total memory (MiB)";
        }

        String missingSpecField(NodeSpec spec) {
            return gpuSpec(spec).memoryMiB() == null ? "gpu.memoryMiB" : null;
        }

        CheckResult judge(GpuInventory g, CheckContext ctx) {
            long want = gpuSpec(ctx.spec()).memoryMiB();
            if (g.memoryTotalBytes() == null) {
                return Results.errorGpu(id(), g, "memory total not readable on " + Results.name(g));
            }
            long mib = g.memoryTotalBytes() / (1024 * 1024);
            boolean ok = mib == want;
            return Results.gpu(id(), ok ? CheckStatus.PASS : CheckStatus.FAIL, g, mib + " MiB", want + " MiB",
                    ok ? mib + " MiB" : Results.name(g) + " has " + mib + " MiB, expected " + want + " MiB",
                    ok ? null : "RMA " + Results.name(g) + " (memory size differs from its SKU)");
        }
    }

    static final class Vbios extends PerGpuCheck {
        java.util.Set<String> readings() {
            return java.util.Set.of("vbiosVersion");
        }

        public String id() {
            return "gpu.vbios";
        }

        public String description() {
            return "every GPU runs an allowed VBIOS version";
        }

        String missingSpecField(NodeSpec spec) {
            return gpuSpec(spec).vbios().isEmpty() ? "gpu.vbios" : null;
        }

        CheckResult judge(GpuInventory g, CheckContext ctx) {
            List<String> allowed = gpuSpec(ctx.spec()).vbios();
            if (g.vbiosVersion() == null) {
                return Results.errorGpu(id(), g, "VBIOS version not readable on " + Results.name(g));
            }
            boolean ok = allowed.stream().anyMatch(v -> v.equalsIgnoreCase(g.vbiosVersion()));
            return Results.gpu(id(), ok ? CheckStatus.PASS : CheckStatus.FAIL, g, g.vbiosVersion(),
                    String.join(" or ", allowed),
                    ok ? g.vbiosVersion() : Results.name(g) + " runs VBIOS " + g.vbiosVersion() + ", allowed "
                            + String.join(", ", allowed),
                    ok ? null : "flash VBIOS " + allowed.get(0) + " on " + Results.name(g)
                            + " with the vendor's tool, or RMA the board");
        }
    }

    static final class Lost implements Check {
        public String id() {
            return "gpu.lost";
        }

        public String description() {
            return "no GPU has fallen off the bus, needs a reset, or cannot be opened by NVML";
        }

        public List<CheckResult> run(CheckContext ctx) {
            if (!ctx.inventory().nvml().available()) {
                return List.of(Results.error(id(), "NVML unavailable: " + ctx.inventory().nvml().reason()));
            }
            List<CheckResult> out = new ArrayList<>();
            for (GpuInventory g : ctx.inventory().gpus()) {
                boolean ok = GpuInventory.STATE_OK.equals(g.state());
                String action = null;
                if (!ok) {
                    action = (g.recommendedAction() != null ? g.recommendedAction()
                            : "reset the GPU or reboot the node; reseat or RMA it if this recurs") + " (" + Results.name(g) + ")";
                }
                out.add(Results.gpu(id(), ok ? CheckStatus.PASS : CheckStatus.FAIL, g, g.state(), GpuInventory.STATE_OK,
                        ok ? "answers" : Results.name(g) + " is " + g.state().replace('_', ' '), action));
            }
            if (out.isEmpty()) {
                out.add(Results.skip(id(), "no GPU enumerated (gpu.count reports it)"));
            }
            return out;
        }
    }

    static final class Recovery extends PerGpuCheck {
        java.util.Set<String> readings() {
            return java.util.Set.of("recoveryAction");
        }

        public String id() {
            return "gpu.recovery.action";
        }

        public String description() {
            return "the driver recommends no recovery action (NVML field 230: reset, reboot, drain)";
        }

        String missingSpecField(NodeSpec spec) {
            return null;
        }

        CheckResult judge(GpuInventory g, CheckContext ctx) {
            String a = g.recoveryAction();
            if (a == null) {
                return Results.skipGpu(id(), g, "the driver does not report a recovery action for " + Results.name(g));
            }
            if ("none".equals(a)) {
                return Results.gpu(id(), CheckStatus.PASS, g, a, "none", "no recovery action pending", null);
            }
            return Results.gpu(id(), CheckStatus.FAIL, g, a, "none",
                    "the driver asks for '" + a.replace('_', ' ') + "' on " + Results.name(g),
                    (g.recommendedAction() != null ? g.recommendedAction() : a.replace('_', ' '))
                            + " (" + Results.name(g) + ")");
        }
    }
}
