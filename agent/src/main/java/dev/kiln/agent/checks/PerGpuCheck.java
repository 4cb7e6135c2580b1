package dev.kiln.agent.checks;

import dev.kiln.protocol.ErrorEntry;
import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.spec.NodeSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * Base of checks that judge every GPU on its own. It handles what they all share: a spec field
 * that is not set (SKIP with the field's name), NVML unavailable (ERROR: the check could not run),
 * and GPUs that are lost (SKIP pointing at {@code gpu.lost}, which reports them).
 */
abstract class PerGpuCheck implements Check {

    /** The spec field this check needs, or null when it needs none / it is set. */
    abstract String missingSpecField(NodeSpec spec);

    abstract CheckResult judge(GpuInventory gpu, CheckContext context);

    /**
     * The GPU readings (as named in the inventory's {@code errors[].field}) this check judges. When
     * one of them could not be read on a GPU, that GPU's result is ERROR with NVML's message: an
     * unreadable value must never look like "not supported" or a pass.
     */
    abstract java.util.Set<String> readings();

    @Override
    public List<CheckResult> run(CheckContext ctx) {
        return runPerGpu(ctx);
    }

    final List<CheckResult> runPerGpu(CheckContext ctx) {
        String missing = missingSpecField(ctx.spec());
        if (missing != null) {
            return List.of(Results.skip(id(), "spec '" + ctx.spec().name() + "' does not set " + missing));
        }
        if (!ctx.inventory().nvml().available()) {
            return List.of(Results.error(id(), "NVML unavailable: " + ctx.inventory().nvml().reason()));
        }
        if (ctx.inventory().gpus().isEmpty()) {
            return List.of(Results.skip(id(), "no GPU enumerated (gpu.count reports it)"));
        }
        List<CheckResult> out = new ArrayList<>();
        for (GpuInventory g : ctx.inventory().gpus()) {
            if (!GpuInventory.STATE_OK.equals(g.state())) {
                out.add(Results.skipGpu(id(), g, "GPU is " + g.state() + " (gpu.lost reports it)"));
            } else {
                ErrorEntry unreadable = unreadable(ctx, g);
                out.add(unreadable != null
                        ? Results.errorGpu(id(), g, "could not read " + unreadable.field() + " of " + Results.name(g)
                        + ": " + unreadable.message())
                        : judge(g, ctx));
            }
        }
        return out;
    }

    private ErrorEntry unreadable(CheckContext ctx, GpuInventory g) {
        for (ErrorEntry e : ctx.inventory().errors()) {
            if ("gpu".equals(e.component()) && e.gpuIndex() != null && e.gpuIndex() == g.index()
                    && readings().contains(e.field())) {
                return e;
            }
        }
        return null;
    }

    static NodeSpec.GpuSpec gpuSpec(NodeSpec spec) {
        return spec.gpu() == null ? new NodeSpec.GpuSpec(null, null, null, null, null, null, null, null, null, null,
                null, null) : spec.gpu();
    }
}
