package dev.kiln.cli.bringup;

/**
 * The stages a node moves through in {@code kiln bringup}, in order. A node that passes them all is accepted;
 * one that fails any is quarantined with the findings. Burn-in and the GPU fabric tests run the GPUs at
 * their power limits ({@link #highPower()}); the planner admits a node only within every power budget that
 * encloses it ({@link Scheduler}).
 */
public enum Stage {
    /** The agent answers {@code GET /v1/node}. */
    REACHABLE("reachable", false),
    /** {@code GET /v1/inventory} against the golden spec. */
    INVENTORY("inventory", false),
    /** The health checks ({@code POST /v1/checks}). */
    HEALTH("health", false),
    /** The burn-in job (all GPUs at full load). */
    BURNIN("burn-in", true),
    /** GPU-to-GPU tests inside the node ({@code fabric.p2p}, NCCL in one node): GPUs loaded. */
    GPU_FABRIC("gpu-fabric", true),
    /** Node-to-node network tests (TCP, RDMA): NICs loaded, GPUs near idle. */
    NETWORK_FABRIC("network-fabric", false);

    private final String id;
    private final boolean highPower;

    Stage(String id, boolean highPower) {
        this.id = id;
        this.highPower = highPower;
    }

    /** {@code burn-in}, {@code gpu-fabric}, ...: how output names the stage. */
    public String id() {
        return id;
    }

    /** Whether the stage draws the node's burn-in power (GPUs at their limits) rather than idle power. */
    public boolean highPower() {
        return highPower;
    }
}
