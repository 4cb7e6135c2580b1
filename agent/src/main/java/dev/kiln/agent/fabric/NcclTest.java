package dev.kiln.agent.fabric;

import dev.kiln.agent.fabric.net.NcclAllReduce;
import dev.kiln.agent.fabric.net.ToolOutcome;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.FabricTestIds;

import java.time.Duration;
import java.util.List;

/**
 * {@code fabric.nccl}: nccl-tests {@code all_reduce_perf} over all of the node's GPUs when it is installed (SKIP
 * with what to install when not); bus bandwidth judged against the spec, any wrong result a FAIL.
 */
public final class NcclTest implements FabricTest {
    /** Largest message: 1 GiB reaches the bus-bandwidth plateau on NVLink systems without taking minutes. */
    static final long MAX_BYTES = 1L << 30;
    private final NcclAllReduce nccl;
    private final String notHere;

    /** @param nccl null when tools may not run here; {@code notHere} then says why */
    public NcclTest(NcclAllReduce nccl, String notHere) {
        this.nccl = nccl;
        this.notHere = notHere;
    }

    @Override
    public String id() {
        return FabricTestIds.NCCL;
    }

    @Override
    public FabricResult run(Context ctx) throws Exception {
        if (nccl == null) {
            return FabricResult.skipped(id(), notHere);
        }
        if (ctx.gpus().isEmpty()) {
            return FabricResult.skipped(id(), "no GPUs selected");
        }
        long start = System.nanoTime();
        FabricThresholds.Minimum min = ctx.thresholds().ncclBusbwGBps();
        // The tool cannot be paced: give it the test's share, at least two minutes, before it is killed.
        Duration timeout = ctx.budget().compareTo(Duration.ofMinutes(2)) > 0 ? ctx.budget() : Duration.ofMinutes(2);
        List<String> hosts = ctx.job().request() == null ? List.of() : ctx.job().request().ncclHosts();
        String launcher = ctx.job().fabric() == null ? null : ctx.job().fabric().ncclLauncher();
        if (!hosts.isEmpty() && launcher == null) {
            return FabricResult.skipped(id(), "nccl-tests across " + hosts.size() + " hosts need an MPI launcher: "
                    + "start the agent with --nccl-launcher 'mpirun ... {command}'");
        }
        ToolOutcome o = Ticking.call(() -> hosts.isEmpty()
                        ? nccl.runIntraNode(ctx.job().node(), ctx.gpus().size(), MAX_BYTES,
                        min == null ? null : min.value(), min == null ? null : min.source(), timeout, ctx.cancelled())
                        : nccl.runMultiNode(launcher, hosts, ctx.gpus().size(), MAX_BYTES,
                        min == null ? null : min.value(), min == null ? null : min.source(), timeout, ctx.cancelled()),
                ctx.budget(), timeout, ctx.progress());
        long ms = (System.nanoTime() - start) / 1_000_000;
        String verdict = o.verdict();
        return new FabricResult(id(), verdict, "PASS".equals(verdict) ? null : o.run().reason(), ms, null, null, null,
                null, null, List.of(o.run()), o.findings());
    }
}
