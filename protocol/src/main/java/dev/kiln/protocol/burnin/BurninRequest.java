package dev.kiln.protocol.burnin;

import dev.kiln.protocol.spec.NodeSpec;

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
 * @param specName        built-in spec whose thresholds judge throughput (null: {@code spec}, else the agent's
 *                        default spec, if any)
 * @param peer            fabric only: the agent whose session the node-to-node tests drive traffic to
 * @param ncclHosts       fabric only: run fabric.nccl across these hosts (empty: intra-node)
 * @param spec            a whole spec sent inline (a site's spec file, which the agent does not have); its
 *                        {@code burnin:} and {@code fabric:} sections judge the job. Give this or {@code specName},
 *                        not both. A job's status shows its name in {@code specName} and null here.
 */
public record BurninRequest(String type, List<String> tests, List<Integer> gpus, long durationSeconds, boolean force,
                            String specName, dev.kiln.protocol.fabric.FabricPeer peer, List<String> ncclHosts,
                            NodeSpec spec) {
    public static final String TYPE = "burnin";
    public static final String FABRIC = "fabric";

    /** A burn-in request (no peer). */
    public BurninRequest(String type, List<String> tests, List<Integer> gpus, long durationSeconds, boolean force,
                         String specName) {
        this(type, tests, gpus, durationSeconds, force, specName, null, null, null);
    }

    /** A request judged by a built-in spec (or the agent's default). */
    public BurninRequest(String type, List<String> tests, List<Integer> gpus, long durationSeconds, boolean force,
                         String specName, dev.kiln.protocol.fabric.FabricPeer peer, List<String> ncclHosts) {
        this(type, tests, gpus, durationSeconds, force, specName, peer, ncclHosts, null);
    }

    /** A fabric request without multi-node nccl hosts. */
    public BurninRequest(String type, List<String> tests, List<Integer> gpus, long durationSeconds, boolean force,
                         String specName, dev.kiln.protocol.fabric.FabricPeer peer) {
        this(type, tests, gpus, durationSeconds, force, specName, peer, null, null);
    }

    /** The same request judged by {@code spec} instead of any {@code specName} (null: the agent's default). */
    public BurninRequest withSpec(NodeSpec spec) {
        return new BurninRequest(type, tests, gpus, durationSeconds, force, null, peer, ncclHosts, spec);
    }

    /** The same request judged by the built-in spec {@code name} instead of any {@code spec} (null: the default). */
    public BurninRequest withSpecName(String name) {
        return new BurninRequest(type, tests, gpus, durationSeconds, force, name, peer, ncclHosts, null);
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
