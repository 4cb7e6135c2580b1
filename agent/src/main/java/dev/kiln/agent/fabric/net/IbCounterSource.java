package dev.kiln.agent.fabric.net;

/**
 * Where a node's InfiniBand / RoCE port counters come from: sysfs on a real node ({@link SysfsIbCounterSource}),
 * the preset and its faults on a simulated one ({@link SimulatedIbCounterSource}). {@code fabric.rdma} reads it
 * before and after the traffic and judges {@link IbCounters#delta the deltas}.
 */
public interface IbCounterSource {
    IbCounters.Snapshot read();
}
