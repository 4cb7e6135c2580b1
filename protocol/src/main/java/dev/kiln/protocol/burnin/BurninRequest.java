package dev.kiln.protocol.burnin;

import java.util.List;

/**
 * Body of {@code POST /v1/jobs}: a burn-in ({@code type: burnin}) or an interconnect test ({@code type: fabric}).
 *
 * @param type            {@value #TYPE} or {@value #FABRIC}
 * @param tests           test ids to run in order (empty: all of the type, in its default order;
 *                        for {@code fabric} without a peer, all but the peer tests)
 * @param gpus            NVML indices (empty: every GPU)
 * @param durationSeconds total time budget; split across the tests
 * @param force           run even on GPUs with compute processes (someone's job)
 * @param specName        spec whose thresholds judge throughput (null: the agent's default spec, if any)
 */
public record BurninRequest(String type, List<String> tests, List<Integer> gpus, long durationSeconds, boolean force,
                            String specName, dev.kiln.protocol.fabric.FabricPeer peer, List<String> ncclHosts) {
    public static final String TYPE = "burnin";
    public static final String FABRIC = "fabric";

    /** A burn-in request (no peer). */
    public BurninRequest(String type, List<String> tests, List<Integer> gpus, long durationSeconds, boolean force,
                         String specName) {
        this(type, tests, gpus, durationSeconds, force, specName, null, null);
    }

    /** A fabric request without multi-node nccl hosts. */
    public BurninRequest(String type, List<String> tests, List<Integer> gpus, long durationSeconds, boolean force,
                         String specName, dev.kiln.protocol.fabric.FabricPeer peer) {
        this(type, tests, gpus, durationSeconds, force, specName, peer, null);
    }

    public boolean fabric() {
        return FABRIC.equals(type);
    }

    public BurninRequest {
        tests = tests == null ? List.of() : List.copyOf(tests);
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
        ncclHosts = ncclHosts == null ? List.of() : List.copyOf(ncclHosts);
    }
}
