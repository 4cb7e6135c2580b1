package dev.kiln.cli.bringup;

import dev.kiln.agent.core.NodeAgent;
import dev.kiln.cli.fanout.NodeError;
import dev.kiln.cli.fanout.NodeResult;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.NodeInfo;
import dev.kiln.protocol.ProtocolVersion;
import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.JobList;
import dev.kiln.protocol.burnin.JobState;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckRequest;
import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.FabricSession;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.NetworkResult;
import dev.kiln.protocol.spec.BuiltinSpecs;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * An {@link AgentApi} answering for a fleet of simulated HGX H100 nodes without HTTP and without worker processes:
 * node info, inventories and check reports come from real simulated {@link NodeAgent}s (the agent's own checks over
 * the NVML simulator, so NVML-visible faults fail exactly as on a real agent), and jobs are played by a clock: a job
 * runs for {@code jobTime}, then ends with what the node's burn-in or fabric faults make the worker report
 * ({@code burnin-wrong-results}, {@code worker-crash}, {@code nvlink-degraded}, {@code ib-port-errors},
 * {@code nic-slow}). Nodes listed as down refuse every connection. Thread-safe; answers on a small pool.
 */
final class FakeFleet implements AgentApi {
    static final double HEALTHY_GBPS = 90;

    private final Map<String, NodeAgent> agents = new LinkedHashMap<>();
    private final Map<String, List<Fault>> faults = new LinkedHashMap<>();
    private final Set<String> down;
    private final Duration jobTime;
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final Map<String, String> running = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final ExecutorService pool = Executors.newFixedThreadPool(4);
    /** Every request, by node: what a node saw ("untouched" checks). */
    final Map<String, List<String>> requests = new ConcurrentHashMap<>();
    /** Job starts of each type, by node. */
    final Map<String, AtomicInteger> jobStarts = new ConcurrentHashMap<>();

    private record Job(String id, String node, BurninRequest request, Instant created, Instant ends) {
    }

    FakeFleet(List<String> names, FaultPlan plan, Set<String> down, Duration jobTime) {
        this.down = Set.copyOf(down);
        this.jobTime = jobTime;
        int position = 1;
        for (String n : names) {
            agents.put(n, NodeAgent.simulated(n, ServerPresets.HGX_H100, plan, position, true));
            faults.put(n, plan.forNode(n, position));
            position++;
        }
    }

    NodeAgent agent(String node) {
        return agents.get(node);
    }

    /** The serial of GPU {@code index} of a node, as its inventory reports it. */
    String serial(String node, int index) {
        return agents.get(node).inventory(false).gpus().get(index).serial();
    }

    private <T> CompletableFuture<NodeResult<T>> answer(FleetNode node, String what, Supplier<NodeResult<T>> body) {
        requests.computeIfAbsent(node.name(), k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(what);
        if (down.contains(node.name())) {
            return CompletableFuture.completedFuture(new NodeResult<>(node, 0, 1, null,
                    new NodeError(NodeError.Kind.CONNECTION_REFUSED, "connection refused by " + node.hostPort())));
        }
        return CompletableFuture.supplyAsync(body, pool);
    }

    private static <T> NodeResult<T> ok(FleetNode n, T body) {
        return new NodeResult<>(n, 200, 1, body, null);
    }

    @Override
    public CompletableFuture<NodeResult<NodeInfo>> node(FleetNode node) {
        return answer(node, "node", () -> ok(node, agents.get(node.name()).nodeInfo()));
    }

    @Override
    public CompletableFuture<NodeResult<InventoryDocument>> inventory(FleetNode node) {
        return answer(node, "inventory", () -> ok(node, agents.get(node.name()).inventory(true)));
    }

    @Override
    public CompletableFuture<NodeResult<CheckReport>> checks(FleetNode node, CheckRequest request) {
        return answer(node, "checks", () -> ok(node, agents.get(node.name()).check(request.spec() != null
                ? request.spec() : BuiltinSpecs.get("hgx-h100"), request.only(), request.skip())));
    }

    @Override
    public CompletableFuture<NodeResult<JobStatus>> startJob(FleetNode node, BurninRequest request) {
        return answer(node, "job:" + request.type(), () -> {
            String busy = running.get(node.name());
            if (busy != null && !status(jobs.get(busy)).state().terminal()) {
                return new NodeResult<>(node, 409, 1, null, new NodeError(NodeError.Kind.HTTP_ERROR,
                        "HTTP 409: job_running: job " + busy + " is running"));
            }
            Instant now = Instant.now();
            Job j = new Job(request.type() + "-" + ids.incrementAndGet(), node.name(), request, now,
                    now.plus(jobTime));
            jobs.put(j.id(), j);
            running.put(node.name(), j.id());
            jobStarts.computeIfAbsent(node.name() + "/" + kind(request), k -> new AtomicInteger()).incrementAndGet();
            return ok(node, status(j));
        });
    }

    private static String kind(BurninRequest r) {
        return r.fabric() ? (r.peer() != null ? "network" : "fabric") : "burnin";
    }

    @Override
    public CompletableFuture<NodeResult<JobStatus>> job(FleetNode node, String jobId) {
        return answer(node, "poll", () -> {
            Job j = jobs.get(jobId);
            if (j == null || !j.node().equals(node.name())) {
                return new NodeResult<>(node, 404, 1, null, new NodeError(NodeError.Kind.HTTP_ERROR,
                        "HTTP 404: not_found: no job " + jobId));
            }
            return ok(node, status(j));
        });
    }

    @Override
    public CompletableFuture<NodeResult<JobList>> jobs(FleetNode node) {
        return answer(node, "jobs", () -> ok(node, new JobList(ProtocolVersion.SCHEMA_VERSION, JobList.KIND,
                node.name(), jobs.values().stream().filter(j -> j.node().equals(node.name())).map(this::status)
                .toList(), List.of())));
    }

    @Override
    public CompletableFuture<NodeResult<JobStatus>> cancelJob(FleetNode node, String jobId) {
        return job(node, jobId);
    }

    @Override
    public CompletableFuture<NodeResult<FabricSession>> openSession(FleetNode node, long ttlSeconds) {
        return answer(node, "session", () -> ok(node, new FabricSession(ProtocolVersion.SCHEMA_VERSION, node.name(),
                "127.0.0.1", 40000, "token-" + node.name(), Instant.now().plusSeconds(ttlSeconds), null, null,
                List.of())));
    }

    private JobStatus status(Job j) {
        Instant now = Instant.now();
        BurninRequest r = j.request();
        if (now.isBefore(j.ends())) {
            double progress = (double) Duration.between(j.created(), now).toMillis()
                    / Math.max(1, Duration.between(j.created(), j.ends()).toMillis());
            return new JobStatus(ProtocolVersion.SCHEMA_VERSION, JobStatus.KIND, j.id(), j.node(), r, JobState.RUNNING,
                    j.created(), j.created(), null, progress, r.type(), null, List.of(), List.of(), List.of());
        }
        List<Fault> fs = faults.get(j.node());
        if (!r.fabric()) {
            for (Fault f : fs) {
                if (f instanceof Fault.WorkerCrash) {
                    return ended(j, JobState.FAILED, "the worker exited with status 134 (a native crash) during "
                            + "burnin.compute", List.of(), List.of());
                }
            }
            List<GpuTestResult> results = new ArrayList<>();
            boolean failed = false;
            for (GpuInventory g : agents.get(j.node()).inventory(false).gpus()) {
                boolean wrong = fs.stream().anyMatch(f -> f instanceof Fault.BurninWrongResults w && w.gpu() == g.index());
                failed |= wrong;
                results.add(new GpuTestResult(g.index(), g.uuid(), g.serial(), g.pci() == null ? null : g.pci().busId(),
                        "burnin.compute", wrong ? "FAIL" : "PASS", null, Map.of("tflops", 50.0, "mismatches",
                        wrong ? 1024.0 : 0.0), wrong ? List.of("1024 mismatched elements between identical repeats")
                        : List.of(), 10));
            }
            return ended(j, failed ? JobState.FAILED : JobState.PASSED, failed ? "1 GPU failed" : null, results,
                    List.of());
        }
        if (r.peer() == null) {
            List<FabricResult> results = new ArrayList<>();
            boolean failed = false;
            for (Fault f : fs) {
                if (f instanceof Fault.NvlinkDegraded d) {
                    failed = true;
                    results.add(new FabricResult(FabricTestIds.P2P, "FAIL", null, 10, null, null, null, null, null,
                            null, List.of(FabricFinding.performance(FabricTestIds.P2P, FabricFinding.FAIL, "gpu",
                            List.of("GPU " + d.gpu()), "120 GB/s with 7 of 7 peers", ">= 335 GB/s (spec hgx-h100)",
                            "GPU " + d.gpu() + " is slow with every peer: its NVLinks or the GPU",
                            "reseat GPU " + d.gpu() + "; if it stays slow, RMA it"))));
                } else if (f instanceof Fault.IbPortErrors e) {
                    failed = true;
                    results.add(new FabricResult(FabricTestIds.RDMA, "FAIL", null, 10, null, null, null, null, null,
                            null, List.of(new FabricFinding(FabricTestIds.RDMA, FabricFinding.FAIL, "port",
                            List.of(e.device() + " port " + e.port()), e.counter() + " +" + e.count(), "0",
                            "the port's cable or transceiver", "reseat or replace the cable of " + e.device()))));
                }
            }
            if (!failed) {
                results.add(new FabricResult(FabricTestIds.P2P, "PASS", null, 10, null, null, null, null, null, null,
                        null));
            }
            return ended(j, failed ? JobState.FAILED : JobState.PASSED, null, List.of(), results);
        }
        String peer = r.peer().node();
        double gbps = Math.min(nic(j.node()), nic(peer));
        NetworkResult net = new NetworkResult(j.node(), peer, r.peer().address(), gbps, gbps * 0.98, 50, 90,
                1_000_000, 4, 1000);
        return ended(j, JobState.PASSED, null, List.of(), List.of(new FabricResult(FabricTestIds.NETWORK, "PASS", null,
                1000, null, null, null, List.of(net), null, null, null)));
    }

    private double nic(String node) {
        for (Fault f : faults.getOrDefault(node, List.of())) {
            if (f instanceof Fault.NicSlow s) {
                return s.gbps();
            }
        }
        return HEALTHY_GBPS;
    }

    private static JobStatus ended(Job j, JobState state, String reason, List<GpuTestResult> results,
                                   List<FabricResult> fabric) {
        return new JobStatus(ProtocolVersion.SCHEMA_VERSION, JobStatus.KIND, j.id(), j.node(), j.request(), state,
                j.created(), j.created(), j.ends(), 1.0, null, reason, results, List.of(), fabric);
    }

    /** Nodes that got any request. */
    Set<String> touched() {
        return new HashSet<>(requests.keySet());
    }

    @Override
    public void close() {
        pool.shutdownNow();
        agents.values().forEach(NodeAgent::close);
    }
}
