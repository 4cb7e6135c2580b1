package dev.kiln.agent.checks;

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
                out.add(judge(g, ctx));
            }
        }
        return out;
    }

    static NodeSpec.GpuSpec gpuSpec(NodeSpec spec) {
        return spec.gpu() == null ? new NodeSpec.GpuSpec(null, null, null, null, null, null, null, null, null, null,
                null, null) : spec.gpu();
    }
}
