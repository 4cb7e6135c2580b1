package dev.kiln.agent.fabric;

import dev.kiln.agent.burnin.BurninBackend;
import dev.kiln.nvml.sim.SimulatedFabric;
import dev.kiln.nvml.sim.SimulatedServer;
import dev.kiln.protocol.fabric.HostBandwidth;
import dev.kiln.protocol.fabric.PairBandwidth;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleConsumer;
import java.util.stream.Collectors;

/**
 * {@code fabric.p2p} on a simulated server: the figures of {@link SimulatedFabric} (preset and link faults),
 * spread over the budget like a real measurement, so progress, heartbeats and cancellation behave the same.
 */
public final class SimulatedPeerMeasurer implements PeerMeasurer {
    private final SimulatedServer server;
    private final SimulatedFabric fabric;

    public SimulatedPeerMeasurer(SimulatedServer server) {
        this.server = server;
        this.fabric = new SimulatedFabric(server);
    }

    @Override
    public Measurement measure(List<BurninBackend.GpuRef> gpus, List<LinkReader.PairTopology> topology,
                               Duration budget, BooleanSupplier cancelled, DoubleConsumer progress)
            throws InterruptedException {
        Map<Integer, BurninBackend.GpuRef> byIndex = gpus.stream()
                .collect(Collectors.toMap(BurninBackend.GpuRef::index, g -> g));
        int steps = topology.size() + gpus.size();
        long stepNanos = budget.toNanos() / Math.max(1, steps);
        List<PairBandwidth> pairs = new ArrayList<>();
        int done = 0;
        for (LinkReader.PairTopology t : topology) {
            pause(stepNanos, cancelled);
            int a = server.slotOfIndex(t.gpuA());
            int b = server.slotOfIndex(t.gpuB());
            var f = fabric.pair(a, b);
            pairs.add(new PairBandwidth(t.gpuA(), t.gpuB(), busId(byIndex, t.gpuA()), busId(byIndex, t.gpuB()),
                    t.path(), t.p2p(), f.map(x -> round(x.abGBps())).orElse(null),
                    f.map(x -> round(x.baGBps())).orElse(null), f.map(x -> round(x.bidirGBps())).orElse(null),
                    f.map(x -> round(x.latencyUs())).orElse(null), null, null));
            progress.accept((double) ++done / steps);
        }
        List<HostBandwidth> host = new ArrayList<>();
        for (BurninBackend.GpuRef g : gpus) {
            pause(stepNanos, cancelled);
            double[] h = fabric.host(server.slotOfIndex(g.index()));
            host.add(new HostBandwidth(g.index(), g.pciBusId(), round(h[0]), round(h[1]), null, null));
            progress.accept((double) ++done / steps);
        }
        return new Measurement(pairs, host);
    }

    private static String busId(Map<Integer, BurninBackend.GpuRef> byIndex, int index) {
        BurninBackend.GpuRef g = byIndex.get(index);
        return g == null ? null : g.pciBusId();
    }

    /** Waits one step of the budget in slices, so progress keeps flowing and a cancel is seen within ~50 ms. */
    private static void pause(long nanos, BooleanSupplier cancelled) throws InterruptedException {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end && !cancelled.getAsBoolean()) {
            Thread.sleep(Math.max(1, Math.min(50, (end - System.nanoTime()) / 1_000_000)));
        }
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
