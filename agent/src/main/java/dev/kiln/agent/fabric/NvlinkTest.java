package dev.kiln.agent.fabric;

import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.NvLinkStatus;

import java.util.List;
import java.util.function.Supplier;

/**
 * {@code fabric.nvlink}: every NVLink's state, version and far end, and its error counters read before the
 * job's other tests and after them, so the deltas cover their traffic (judged: deltas, never lifetime totals).
 * On a PCIe SKU (no NVLink expected, none present) it passes with nothing to report.
 */
public final class NvlinkTest implements FabricTest {
    private final Supplier<LinkReader> links;
    private List<LinkReader.LinkReading> before;
    private long beganNanos;

    public NvlinkTest(Supplier<LinkReader> links) {
        this.links = links;
    }

    @Override
    public String id() {
        return FabricTestIds.NVLINK;
    }

    /** Reads the counters before the other tests run; an error here is reported by {@link #run}. */
    public void begin(List<Integer> gpus) {
        beganNanos = System.nanoTime();
        try {
            before = links.get().links(gpus);
        } catch (RuntimeException e) {
            before = null;
        }
    }

    @Override
    public FabricResult run(Context ctx) throws Exception {
        long start = beganNanos == 0 ? System.nanoTime() : beganNanos;
        List<Integer> indices = ctx.gpus().stream().map(g -> g.index()).toList();
        if (before == null) {
            begin(indices);
            // Nothing else ran since: watch the idle links for this test's budget.
            long end = System.nanoTime() + ctx.budget().toNanos();
            while (System.nanoTime() < end && !ctx.cancelled().getAsBoolean()) {
                Thread.sleep(Math.max(1, Math.min(100, (end - System.nanoTime()) / 1_000_000)));
                ctx.progress().accept(1.0 - (double) Math.max(0, end - System.nanoTime()) / ctx.budget().toNanos());
            }
        }
        List<NvLinkStatus> statuses;
        try {
            statuses = LinkReader.deltas(before, links.get().links(indices));
        } catch (RuntimeException e) {
            return FabricResult.error(id(), "NVLinks could not be read: " + e.getMessage(),
                    (System.nanoTime() - start) / 1_000_000);
        }
        Integer expected = ctx.job().fabric() == null ? null : ctx.job().fabric().expectedNvlinks();
        List<FabricFinding> findings = FabricJudge.nvlinks(statuses, expected, ctx.describe());
        long ms = (System.nanoTime() - start) / 1_000_000;
        String verdict = findings.stream().anyMatch(f -> FabricFinding.FAIL.equals(f.severity())) ? "FAIL" : "PASS";
        String reason = null;
        if ("FAIL".equals(verdict)) {
            reason = findings.size() + " finding(s) on NVLinks";
        } else if (statuses.isEmpty()) {
            reason = "no NVLinks on these GPUs";
        }
        return new FabricResult(id(), verdict, reason, ms, null, null, statuses, null, null, null, findings);
    }
}
