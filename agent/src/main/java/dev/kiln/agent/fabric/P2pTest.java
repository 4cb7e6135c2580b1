package dev.kiln.agent.fabric;

import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.HostBandwidth;
import dev.kiln.protocol.fabric.PairBandwidth;

import java.util.List;
import java.util.function.Supplier;

/** {@code fabric.p2p}: every GPU pair's copy bandwidth and latency, and host<->device per GPU, judged with culprits. */
public final class P2pTest implements FabricTest {
    private final Supplier<LinkReader> links;
    private final PeerMeasurer measurer;
    private final String unavailable;

    /**
     * @param links       NVML topology (supplier: NVML may be missing, then it throws with the reason)
     * @param measurer    the measurement; null when it cannot run here
     * @param unavailable why {@code measurer} is null
     */
    public P2pTest(Supplier<LinkReader> links, PeerMeasurer measurer, String unavailable) {
        this.links = links;
        this.measurer = measurer;
        this.unavailable = unavailable;
    }

    @Override
    public String id() {
        return FabricTestIds.P2P;
    }

    @Override
    public FabricResult run(Context ctx) throws Exception {
        long start = System.nanoTime();
        if (measurer == null) {
            return FabricResult.error(id(), "peer copies cannot run on this node: " + unavailable, 0);
        }
        List<Integer> indices = ctx.gpus().stream().map(g -> g.index()).toList();
        List<LinkReader.PairTopology> topology = links.get().pairs(indices);
        PeerMeasurer.Measurement m = measurer.measure(ctx.gpus(), topology, ctx.budget(), ctx.cancelled(), ctx.progress());
        FabricThresholds t = ctx.thresholds();
        List<PairBandwidth> pairs = m.pairs().stream().map(p -> p.abGBps() == null || t.p2pGBps() == null ? p
                : new PairBandwidth(p.gpuA(), p.gpuB(), p.pciBusIdA(), p.pciBusIdB(), p.path(), p.p2p(), p.abGBps(),
                p.baGBps(), p.bidirGBps(), p.latencyUs(), t.p2pGBps().value(), t.p2pGBps().source())).toList();
        List<HostBandwidth> host = m.host().stream().map(h -> t.hostGBps() == null ? h
                : new HostBandwidth(h.gpu(), h.pciBusId(), h.h2dGBps(), h.d2hGBps(), t.hostGBps().value(),
                t.hostGBps().source())).toList();
        Integer expected = ctx.job().fabric() == null ? null : ctx.job().fabric().expectedNvlinks();
        List<FabricFinding> findings = FabricJudge.p2p(pairs, host, t, expected != null && expected > 0,
                ctx.describe());
        long ms = (System.nanoTime() - start) / 1_000_000;
        if (ctx.cancelled().getAsBoolean() && pairs.size() < topology.size()) {
            return FabricResult.error(id(), "stopped before every pair was measured", ms);
        }
        String verdict = findings.stream().anyMatch(f -> FabricFinding.FAIL.equals(f.severity())) ? "FAIL" : "PASS";
        String reason = "FAIL".equals(verdict) ? findings.size() + " finding(s) on GPU links" : null;
        return new FabricResult(id(), verdict, reason, ms, pairs, host, null, null, null, null, findings);
    }
}
