package dev.kiln.agent.fabric;

import dev.kiln.agent.burnin.BurninBackend;
import dev.kiln.protocol.fabric.HostBandwidth;
import dev.kiln.protocol.fabric.PairBandwidth;

import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleConsumer;

/**
 * Measures a node's GPU-pair and host<->device copy bandwidth ({@code fabric.p2p}): peer copies through
 * CUDA on real GPUs, {@link dev.kiln.nvml.sim.SimulatedFabric} on simulated ones. Runs in the worker process.
 */
public interface PeerMeasurer {

    /**
     * Pairs come back with bandwidth and latency filled (null where the pair has no P2P); the caller adds the
     * topology and the minimums. An error that stops the whole measurement throws, with the reason.
     *
     * @param topology NVML's view of every pair (a < b), in the order the result should follow
     * @param progress 0..1, at least every few hundred milliseconds
     */
    Measurement measure(List<BurninBackend.GpuRef> gpus, List<LinkReader.PairTopology> topology, Duration budget,
                        BooleanSupplier cancelled, DoubleConsumer progress) throws Exception;

    record Measurement(List<PairBandwidth> pairs, List<HostBandwidth> host) {
    }
}
