package dev.kiln.agent.fabric;

import dev.kiln.agent.fabric.net.IbCounterSource;
import dev.kiln.agent.fabric.net.IbCounters;
import dev.kiln.agent.fabric.net.IbWriteBw;
import dev.kiln.agent.fabric.net.ToolOutcome;
import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricPeer;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.PortCounters;
import dev.kiln.protocol.fabric.ToolRun;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code fabric.rdma}: InfiniBand/RoCE port error counters read when the job starts and again when this test runs
 * (so they cover the job's traffic; alone, they cover this test's share of the time), judged as deltas; and, when
 * the request's peer started an ib_write_bw server for the session, perftest's bandwidth from this node's HCA of the
 * same name (rail-aligned fabrics pair mlx5_N with mlx5_N). A node without any RDMA port SKIPs with the reason.
 */
public final class RdmaTest implements FabricTest {
    private final IbCounterSource counters;
    private final IbWriteBw perftest;
    private IbCounters.Snapshot before;
    private long beganNanos;

    /** @param perftest null when tools may not run here (a simulated node without a tools directory) */
    public RdmaTest(IbCounterSource counters, IbWriteBw perftest) {
        this.counters = counters;
        this.perftest = perftest;
    }

    @Override
    public String id() {
        return FabricTestIds.RDMA;
    }

    public void begin() {
        beganNanos = System.nanoTime();
        before = counters.read();
    }

    @Override
    public FabricResult run(Context ctx) throws Exception {
        if (before == null) {
            begin();
            long end = System.nanoTime() + ctx.budget().toNanos();
            while (System.nanoTime() < end && !ctx.cancelled().getAsBoolean()) {
                Thread.sleep(Math.max(1, Math.min(100, (end - System.nanoTime()) / 1_000_000)));
                ctx.progress().accept(1.0 - (double) Math.max(0, end - System.nanoTime()) / ctx.budget().toNanos());
            }
        }
        long start = beganNanos;
        List<ToolRun> tools = new ArrayList<>();
        List<FabricFinding> findings = new ArrayList<>();
        FabricPeer peer = ctx.job().request() == null ? null : ctx.job().request().peer();
        if (peer != null && peer.ibDevice() != null && perftest != null) {
            int seconds = (int) Math.max(1, Math.min(30, ctx.budget().toSeconds()));
            FabricThresholds.Minimum min = ctx.thresholds().rdmaGbitps();
            ToolOutcome o = Ticking.call(() -> perftest.runClient(ctx.job().node(), peer.ibDevice(), peer, seconds,
                    min == null ? null : min.value(), min == null ? null : min.source(), ctx.cancelled()),
                    Duration.ofSeconds(seconds), Duration.ofSeconds(60), ctx.progress());
            tools.add(o.run());
            findings.addAll(o.findings());
        }
        IbCounters.Snapshot after = counters.read();
        List<PortCounters> ports = IbCounters.delta(before, after);
        findings.addAll(IbCounters.judge(ports));
        long ms = (System.nanoTime() - start) / 1_000_000;
        if (ports.isEmpty() && tools.isEmpty()) {
            String why = after.errors().isEmpty() ? "no InfiniBand/RoCE ports on this node (" + counters + ")"
                    : "InfiniBand ports could not be read: " + String.join("; ", after.errors());
            return new FabricResult(id(), after.errors().isEmpty() ? "SKIP" : "ERROR", why, ms, null, null, null,
                    null, null, null, null);
        }
        boolean fail = findings.stream().anyMatch(f -> FabricFinding.FAIL.equals(f.severity()));
        boolean toolError = tools.stream().anyMatch(t -> "ERROR".equals(t.verdict()));
        String verdict = fail ? "FAIL" : toolError ? "ERROR" : "PASS";
        String reason = fail ? findings.size() + " finding(s) on RDMA ports"
                : toolError ? "ib_write_bw could not run: " + tools.get(0).reason() : null;
        return new FabricResult(id(), verdict, reason, ms, null, null, null, null, ports, tools, findings);
    }
}
