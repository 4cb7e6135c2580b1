package dev.kiln.protocol.fabric;

import java.util.List;

/** Stable ids of the interconnect tests; a fabric job runs them in {@link #DEFAULT_ORDER}. */
public final class FabricTestIds {
    private FabricTestIds() {
    }

    /** NVLink state, version, far end and error-counter deltas per link (NVML). */
    public static final String NVLINK = "fabric.nvlink";
    /** GPU-pair and host<->device bandwidth and latency (CUDA peer copies). */
    public static final String P2P = "fabric.p2p";
    /** InfiniBand/RoCE port counter deltas and, when installed, perftest ib_write_bw to a peer. */
    public static final String RDMA = "fabric.rdma";
    /** nccl-tests all_reduce_perf, when installed. */
    public static final String NCCL = "fabric.nccl";
    /** TCP throughput and latency to a peer agent. */
    public static final String NETWORK = "fabric.network";

    /**
     * The node-local tests first; {@code fabric.nvlink} reads its counters around the others' traffic.
     * {@code fabric.network} needs a peer and runs only when one is given.
     */
    public static final List<String> DEFAULT_ORDER = List.of(NVLINK, P2P, RDMA, NCCL, NETWORK);

    /** Tests that need a peer agent in the request. */
    public static final List<String> NEED_PEER = List.of(NETWORK);
}
