package dev.kiln.agent.fabric;

import dev.kiln.agent.fabric.net.FabricNetException;
import dev.kiln.agent.fabric.net.NetworkJudge;
import dev.kiln.agent.fabric.net.NetworkShaper;
import dev.kiln.agent.fabric.net.TcpProbe;
import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricPeer;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.NetworkResult;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;

/**
 * {@code fabric.network}: TCP throughput each way and round-trip latency to the request's peer agent. One pair
 * alone is judged only against an absolute minimum (the spec's {@code networkGbitps}); the CLI judges pairs against
 * each other and tells a bad node from a bad pair.
 */
public final class NetworkTest implements FabricTest {
    static final int STREAMS = 4;
    private final TcpProbe probe;
    private final NetworkShaper shaper;

    public NetworkTest(TcpProbe probe, NetworkShaper shaper) {
        this.probe = probe;
        this.shaper = shaper;
    }

    @Override
    public String id() {
        return FabricTestIds.NETWORK;
    }

    @Override
    public FabricResult run(Context ctx) throws InterruptedException {
        FabricPeer peer = ctx.job().request() == null ? null : ctx.job().request().peer();
        if (peer == null) {
            return FabricResult.skipped(id(), "no peer in the request: the CLI pairs nodes (kiln fabric)");
        }
        long start = System.nanoTime();
        // Send, receive and latency phases share the budget; each at most a minute.
        long phaseMillis = Math.max(100, Math.min(60_000, ctx.budget().toMillis() / 3));
        NetworkResult r;
        try {
            r = Ticking.call(() -> probe.measure(ctx.job().node(), peer, Duration.ofMillis(phaseMillis), STREAMS,
                    shaper, ctx.cancelled()), Duration.ofMillis(3 * phaseMillis), Duration.ofSeconds(30), ctx.progress());
        } catch (FabricNetException e) {
            return FabricResult.error(id(), e.getMessage(), (System.nanoTime() - start) / 1_000_000);
        } catch (CancellationException e) {
            return FabricResult.error(id(), "cancelled before the measurement finished",
                    (System.nanoTime() - start) / 1_000_000);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            return FabricResult.error(id(), "the TCP test to " + peer + " failed: " + e,
                    (System.nanoTime() - start) / 1_000_000);
        }
        FabricThresholds.Minimum min = ctx.thresholds().networkGbitps();
        List<FabricFinding> findings = min == null ? List.of()
                : NetworkJudge.judge(List.of(r), new NetworkJudge.Thresholds(min.value(), 0.5, null, min.source()));
        String verdict = findings.stream().anyMatch(f -> FabricFinding.FAIL.equals(f.severity())) ? "FAIL" : "PASS";
        return new FabricResult(id(), verdict, "FAIL".equals(verdict) ? "below the network minimum" : null,
                (System.nanoTime() - start) / 1_000_000, null, null, null, List.of(r), null, null, findings);
    }
}
