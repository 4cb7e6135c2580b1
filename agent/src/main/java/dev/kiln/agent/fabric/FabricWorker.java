package dev.kiln.agent.fabric;

import dev.kiln.agent.burnin.WorkerJob;
import dev.kiln.agent.burnin.WorkerLine;
import dev.kiln.agent.fabric.net.IbCounterSource;
import dev.kiln.agent.fabric.net.IbWriteBw;
import dev.kiln.agent.fabric.net.NcclAllReduce;
import dev.kiln.agent.fabric.net.NetworkShaper;
import dev.kiln.agent.fabric.net.SimulatedIbCounterSource;
import dev.kiln.agent.fabric.net.SysfsIbCounterSource;
import dev.kiln.agent.fabric.net.TcpProbe;
import dev.kiln.agent.fabric.net.ToolRunner;
import dev.kiln.nvml.NvmlSession;
import dev.kiln.nvml.raw.NvmlLoader;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultFile;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.nvml.sim.SimulatedServer;
import dev.kiln.protocol.fabric.FabricTestIds;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Builds a fabric job's tests in the worker process: on a simulated node from the preset and the node's
 * faults (NVML through the simulator, figures from {@link dev.kiln.nvml.sim.SimulatedFabric}), on a real node
 * from NVML and the CUDA driver of this host. Resources are closed when the run ends.
 */
public final class FabricWorker implements AutoCloseable {
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Map<String, FabricTest> tests = new LinkedHashMap<>();

    private FabricWorker() {
    }

    /** Runs a fabric job to the end; the worker's exit status follows {@code BurninWorker}'s. */
    public static String run(WorkerJob job, Consumer<WorkerLine> out) throws InterruptedException {
        try (FabricWorker w = open(job)) {
            return new FabricRun(job, w.tests, out).run();
        }
    }

    static FabricWorker open(WorkerJob job) {
        FabricWorker w = new FabricWorker();
        List<Fault> faults = List.of();
        Supplier<LinkReader> links;
        PeerMeasurer measurer = null;
        String noMeasurer = null;
        if (WorkerJob.SIMULATED.equals(job.backend())) {
            FaultPlan plan = job.faultsFile() == null ? FaultPlan.NONE : FaultFile.load(Path.of(job.faultsFile()));
            faults = plan.forNode(job.node(), 1);
            SimulatedServer server = new SimulatedServer(job.node(), ServerPresets.get(job.preset()), faults);
            NvmlSession session = NvmlSession.open(server.binding());
            w.resources.add(session);
            LinkReader reader = new LinkReader(session);
            links = () -> reader;
            measurer = new SimulatedPeerMeasurer(server);
        } else {
            LinkReader[] reader = new LinkReader[1];
            String[] why = new String[1];
            links = () -> {
                synchronized (reader) {
                    if (reader[0] == null) {
                        if (why[0] != null) {
                            throw new IllegalStateException(why[0]);
                        }
                        NvmlLoader.Result r = NvmlLoader.system();
                        if (r instanceof NvmlLoader.Unavailable u) {
                            why[0] = "NVML (libnvidia-ml) is not available: " + u.reason();
                            throw new IllegalStateException(why[0]);
                        }
                        NvmlSession s = NvmlSession.open(((NvmlLoader.Loaded) r).binding());
                        w.resources.add(s);
                        reader[0] = new LinkReader(s);
                    }
                    return reader[0];
                }
            };
            dev.kiln.cuda.raw.CudaLoader.Result cudaLib = dev.kiln.cuda.raw.CudaLoader.system();
            if (cudaLib instanceof dev.kiln.cuda.raw.CudaLoader.Loaded loaded) {
                CudaPeerMeasurer m = new CudaPeerMeasurer(dev.kiln.cuda.CudaSession.open(loaded.binding()),
                        new dev.kiln.cuda.fabric.PeerCopyMatrix());
                w.resources.add(m);
                measurer = m;
            } else {
                noMeasurer = "the CUDA driver (libcuda) is not available: "
                        + ((dev.kiln.cuda.raw.CudaLoader.Unavailable) cudaLib).reason();
            }
        }
        w.tests.put(FabricTestIds.NVLINK, new NvlinkTest(links));
        w.tests.put(FabricTestIds.P2P, new P2pTest(links, measurer, noMeasurer));
        boolean simulated = WorkerJob.SIMULATED.equals(job.backend());
        WorkerJob.FabricOptions opts = job.fabric() == null
                ? new WorkerJob.FabricOptions(null, null, null, List.of(), null) : job.fabric();
        // A simulated node runs the standard tools only from a tools directory it was given (recorded fakes in
        // tests): tools on this host's PATH would measure this host's real GPUs and HCAs, not the simulated node.
        ToolRunner tools = simulated && opts.toolsPath().isEmpty() ? null
                : ToolRunner.forNode(opts.toolsPath(), simulated);
        String noTools = "simulated node: nccl-tests and perftest are not simulated (give the agent a tools "
                + "directory of recorded fakes to exercise them)";
        IbCounterSource ib = simulated
                ? new SimulatedIbCounterSource(job.node(), ServerPresets.get(job.preset()), faults)
                : new SysfsIbCounterSource(Path.of(opts.sysfsRoot() == null ? "/sys" : opts.sysfsRoot()));
        w.tests.put(FabricTestIds.RDMA, new RdmaTest(ib, tools == null ? null : new IbWriteBw(tools)));
        w.tests.put(FabricTestIds.NCCL, new NcclTest(tools == null ? null : new NcclAllReduce(tools), noTools));
        w.tests.put(FabricTestIds.NETWORK, new NetworkTest(new TcpProbe(),
                simulated ? NetworkShaper.of(faults) : NetworkShaper.NONE));
        return w;
    }

    @Override
    public void close() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                // Closing on the way out: nothing left to tell.
            }
        }
    }
}
