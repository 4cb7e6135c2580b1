package dev.kiln.agent.burnin;

import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.spec.NodeSpec;

import java.util.List;

/**
 * The job file the agent writes for {@code kiln-agent burnin-worker --job FILE}: the request, resolved to
 * GPUs and tests, and how to build the backend.
 *
 * @param backend         {@value #SIMULATED} (with {@code preset} and an optional {@code faultsFile} of
 *                        burn-in faults) or {@value #CUDA} ({@link CudaBurninBackend}: libcuda and NVML of this host;
 *                        without them the worker answers an error line with the loader's reason)
 * @param gpus            the GPUs to run on, as the agent's inventory saw them
 * @param tests           test ids in the order they run
 * @param durationMillis  total test time; each test gets an equal share on every GPU at once
 * @param settleMillis    pause between tests so one test's heat does not disturb the next
 * @param telemetryMillis telemetry sampling interval per GPU
 * @param heartbeatMillis heartbeat (and progress) interval
 * @param stallMillis     a running test that reports no progress for this long stops the heartbeat
 * @param specName        the spec whose {@code burnin} minimums judge throughput (null: none)
 * @param burnin          that spec's burn-in section (null: Kiln's per-model defaults judge)
 * @param fabric          for a fabric job (request type {@code fabric}): what its tests need; null for a burn-in
 */
public record WorkerJob(int schemaVersion, String jobId, String node, BurninRequest request, String backend,
                        String preset, String faultsFile, List<BurninBackend.GpuRef> gpus, List<String> tests,
                        long durationMillis, long settleMillis, long telemetryMillis, long heartbeatMillis,
                        long stallMillis, String specName, NodeSpec.BurninSpec burnin, FabricOptions fabric) {
    public static final String SIMULATED = "simulated";
    public static final String CUDA = "cuda";

    /**
     * What a fabric job needs besides the request.
     *
     * @param spec           the spec's fabric section (null: Kiln's per-model defaults)
     * @param expectedNvlinks NVLinks every GPU should have active (null or 0: PCIe SKU, links not judged)
     * @param sysfsRoot      where InfiniBand ports are read ({@code /sys} on a real node; null on simulated ones)
     * @param toolsPath      extra directories searched for ib_write_bw and all_reduce_perf before PATH
     * @param ncclLauncher   MPI launcher template for nccl-tests across nodes (null: none configured)
     */
    public record FabricOptions(NodeSpec.FabricSpec spec, Integer expectedNvlinks, String sysfsRoot,
                                List<String> toolsPath, String ncclLauncher) {
        public FabricOptions {
            toolsPath = toolsPath == null ? List.of() : List.copyOf(toolsPath);
        }
    }

    /** A burn-in job (no fabric options). */
    public WorkerJob(int schemaVersion, String jobId, String node, BurninRequest request, String backend,
                     String preset, String faultsFile, List<BurninBackend.GpuRef> gpus, List<String> tests,
                     long durationMillis, long settleMillis, long telemetryMillis, long heartbeatMillis,
                     long stallMillis, String specName, NodeSpec.BurninSpec burnin) {
        this(schemaVersion, jobId, node, request, backend, preset, faultsFile, gpus, tests, durationMillis,
                settleMillis, telemetryMillis, heartbeatMillis, stallMillis, specName, burnin, null);
    }

    public boolean fabricJob() {
        return request != null && request.fabric();
    }

    public WorkerJob {
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
        tests = tests == null ? List.of() : List.copyOf(tests);
    }

    /** A job judged by Kiln's per-model defaults only (no spec). */
    public WorkerJob(int schemaVersion, String jobId, String node, BurninRequest request, String backend,
                     String preset, String faultsFile, List<BurninBackend.GpuRef> gpus, List<String> tests,
                     long durationMillis, long settleMillis, long telemetryMillis, long heartbeatMillis,
                     long stallMillis) {
        this(schemaVersion, jobId, node, request, backend, preset, faultsFile, gpus, tests, durationMillis,
                settleMillis, telemetryMillis, heartbeatMillis, stallMillis, null, null);
    }
}
