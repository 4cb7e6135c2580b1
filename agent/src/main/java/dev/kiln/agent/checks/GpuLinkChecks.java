package dev.kiln.agent.checks;

import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.spec.NodeSpec;

import java.util.List;

/** PCIe and NVLink: the links a GPU trained, against what its SKU should have. */
final class GpuLinkChecks {
    private GpuLinkChecks() {
    }

    static final class Pcie extends PerGpuCheck {
        java.util.Set<String> readings() {
            return java.util.Set.of("pcie", "clocks", "utilization");
        }

        public String id() {
            return "gpu.pcie.link";
        }

        public String description() {
            return "every GPU's PCIe link runs at the spec's generation and width (generation judged under load only)";
        }

        String missingSpecField(NodeSpec spec) {
            NodeSpec.GpuSpec g = gpuSpec(spec);
            return g.pcieGeneration() == null && g.pcieWidth() == null ? "gpu.pcie" : null;
        }

        CheckResult judge(GpuInventory g, CheckContext ctx) {
            NodeSpec.GpuSpec spec = gpuSpec(ctx.spec());
            GpuInventory.Pcie p = g.pcie();
            if (p == null || p.currentGeneration() == null || p.currentWidth() == null) {
                return Results.errorGpu(id(), g, "PCIe link not readable on " + Results.name(g));
            }
            String observed = "Gen" + p.currentGeneration() + " x" + p.currentWidth()
                    + (p.maxGeneration() == null ? "" : " (max Gen" + p.maxGeneration() + " x" + p.maxWidth() + ")");
            String expected = (spec.pcieGeneration() == null ? "" : "Gen" + spec.pcieGeneration() + " ")
                    + (spec.pcieWidth() == null ? "" : "x" + spec.pcieWidth());
            String reseat = "reseat " + Results.name(g) + " and check its riser/cable; RMA the GPU or board if it stays degraded";
            // Width does not change with power state: a narrow link is trained down.
            if (spec.pcieWidth() != null && p.currentWidth() < spec.pcieWidth()) {
                return Results.gpu(id(), CheckStatus.FAIL, g, observed, expected.trim(),
                        Results.name(g) + " PCIe link is x" + p.currentWidth() + ", expected x" + spec.pcieWidth(), reseat);
            }
            if (spec.pcieGeneration() != null) {
                if (p.maxGeneration() != null && p.maxGeneration() < spec.pcieGeneration()) {
                    return Results.gpu(id(), CheckStatus.FAIL, g, observed, expected.trim(), Results.name(g)
                            + " PCIe link can reach only Gen" + p.maxGeneration() + ", expected Gen" + spec.pcieGeneration(),
                            "check the slot's BIOS PCIe settings; " + reseat);
                }
                if (p.currentGeneration() < spec.pcieGeneration()) {
                    // Idle GPUs lower their link speed to save power; only a busy GPU's speed is a finding.
                    boolean idle = g.clockEventReasons().contains("gpu_idle")
                            || g.utilizationGpuPercent() != null && g.utilizationGpuPercent() == 0;
                    return Results.gpu(id(), idle ? CheckStatus.WARN : CheckStatus.FAIL, g, observed, expected.trim(),
                            Results.name(g) + " PCIe link runs at Gen" + p.currentGeneration() + ", expected Gen"
                                    + spec.pcieGeneration() + (idle ? " (GPU idle: may be power saving; burn-in confirms)" : ""),
                            idle ? "confirm under load (kiln burn-in); if it stays low, " + reseat : reseat);
                }
            }
            return Results.gpu(id(), CheckStatus.PASS, g, observed, expected.trim(), observed, null);
        }
    }

    static final class NvLinks extends PerGpuCheck {
        java.util.Set<String> readings() {
            return java.util.Set.of("nvlinks");
        }

        public String id() {
            return "gpu.nvlink.links";
        }

        public String description() {
            return "every GPU has the spec's number of NVLinks, all active (skipped on PCIe SKUs)";
        }

        String missingSpecField(NodeSpec spec) {
            return gpuSpec(spec).nvlinks() == null ? "gpu.nvlinks" : null;
        }

        @Override
        public List<CheckResult> run(CheckContext ctx) {
            Integer want = gpuSpec(ctx.spec()).nvlinks();
            if (want != null && want == 0) {
                return List.of(Results.skip(id(), "spec '" + ctx.spec().name() + "' is a PCIe SKU without NVLink"));
            }
            return super.runPerGpu(ctx);
        }

        CheckResult judge(GpuInventory g, CheckContext ctx) {
            int want = gpuSpec(ctx.spec()).nvlinks();
            List<Integer> down = g.nvlinks().stream().filter(l -> !l.active()).map(GpuInventory.NvLink::link).toList();
            long up = g.nvlinks().size() - down.size();
            String observed = up + "/" + g.nvlinks().size() + " up";
            if (g.nvlinks().size() == want && down.isEmpty()) {
                return Results.gpu(id(), CheckStatus.PASS, g, observed, want + " up", observed, null);
            }
            String message = Results.name(g) + ": " + up + " of " + want + " NVLinks up"
                    + (down.isEmpty() ? "" : "; down: " + down)
                    + (g.nvlinks().size() != want ? "; the GPU reports " + g.nvlinks().size() + " links" : "");
            return Results.gpu(id(), CheckStatus.FAIL, g, observed, want + " up", message,
                    "reseat " + Results.name(g) + " on the baseboard and check the NVSwitch trays; "
                            + "RMA the GPU or baseboard if links stay down");
        }
    }
}
