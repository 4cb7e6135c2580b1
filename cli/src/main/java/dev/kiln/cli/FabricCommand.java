package dev.kiln.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kiln.cli.fabric.FabricPlan;
import dev.kiln.cli.fabric.Heatmap;
import dev.kiln.cli.fanout.FanOut;
import dev.kiln.cli.fanout.NodeError;
import dev.kiln.cli.fanout.ResponseDecoder;
import dev.kiln.cli.fleet.Fleet;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.cli.fleet.SpecRef;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.ProtocolVersion;
import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.fabric.FabricPeer;
import dev.kiln.protocol.fabric.FabricSession;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.spec.NodeSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code kiln fabric}: the interconnect tests. Phase 1 runs the node-local tests (NVLink, GPU P2P, RDMA, NCCL) as
 * a fabric job on every selected node at once; phase 2 runs TCP tests between agents in rounds planned by
 * {@link FabricPlan}; then {@link dev.kiln.cli.fabric.FabricAttribution} tells bad nodes from bad paths.
 */
@Command(name = "fabric", mixinStandardHelpOptions = true,
        header = "Test the interconnects: NVLink, GPU P2P, RDMA and NCCL on each node, TCP between nodes; "
                + "name the bad node, pair or link.",
        description = {"Phase 1 starts a fabric job (POST /v1/jobs, type fabric) on every selected node with the "
                + "node-local tests (fabric.nvlink, fabric.p2p, fabric.rdma, fabric.nccl, or those of --tests) and "
                + "follows each to its end, polling GET /v1/jobs/{id} every second as 'kiln burnin' does.",
                "",
                "Phase 2 (fabric.network, with two or more nodes) tests TCP between agents: one node serves "
                + "(POST /v1/fabric/sessions), its peer drives traffic to it in a fabric.network job. Pairings: every "
                + "pair for up to 6 nodes; otherwise a ring within each rack, node k of each rack with node k of the "
                + "next rack, and extra partners where needed, so every node meets at least two peers. Pairs run in "
                + "rounds in which no node takes part in two tests, at most --max-parallel at once. Nodes that "
                + "could not be queried in phase 1 are left out.",
                "",
                "Then kiln judges the pairs: slow when below --min-network-gbps (else the fleet file spec's "
                + "fabric.networkGbitps, else half the median over all pairs). A node slow with two or more peers "
                + "that are fine with others is a bad node (its NIC, cable or switch port); a slow pair whose ends "
                + "are both fine with other peers is a bad path (the ports and cables between them).",
                "",
                "Table output: a row per node (job state, each test's verdict, its network pairs), a GPU-pair "
                + "heatmap for each node whose fabric.p2p did not pass (every node with --heatmaps or -v; colour "
                + "on a terminal unless NO_COLOR is set, else '!' marks a cell below its minimum), the slow "
                + "network pairs (every pair with -v), then every finding with both ends, observed vs expected, "
                + "the likely culprit and what to do. -o json prints one document with every node's results, the "
                + "plan, the pairs and the findings; -o jsonl the same as one record per line.",
                "",
                "Ctrl-C cancels the jobs of the phase that runs (DELETE /v1/jobs/{id}).",
                "",
                "Exit 3 on any FAIL finding, or a test that could not run (ERROR); exit 4 when a node could not be "
                + "queried (refused a job or session, unreachable, lost mid-run)."})
final class FabricCommand implements Callable<Integer> {
    /** Starting a job reads the node's inventory and launches the worker; polling is a map lookup. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    static final String SESSIONS_PATH = "/v1/fabric/sessions";
    static final int DEFAULT_MAX_PARALLEL = 64;
    /** Node-local job: kiln waits its duration plus this, at least, before giving up on it. */
    static final long LOCAL_GRACE_SECONDS = 120;
    /** Network job: likewise. */
    static final long NETWORK_GRACE_SECONDS = 60;
    /** The agent's bound on a session's time to live. */
    static final long MAX_SESSION_TTL_SECONDS = 3600;

    @Spec
    CommandSpec spec;

    @Mixin
    FleetOptions fleetOptions;

    @Mixin
    FanOutOptions fanOutOptions;

    @Mixin
    OutputOptions outputOptions;

    @Option(names = "--tests", paramLabel = "ID", split = ",",
            description = "Run only these tests: fabric.nvlink, fabric.p2p, fabric.rdma, fabric.nccl, fabric.network "
                    + "(default: all; 'p2p' is short for fabric.p2p).")
    List<String> tests = new ArrayList<>();

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "30s",
            converter = BurninCommand.DurationSeconds.class,
            description = "Time of the node-local job on each node, split over its tests (default: ${DEFAULT-VALUE}).")
    long durationSeconds = 30;

    @Option(names = "--network-duration", paramLabel = "DURATION", defaultValue = "5s",
            converter = BurninCommand.DurationSeconds.class,
            description = "Time of each TCP test between two nodes (default: ${DEFAULT-VALUE}).")
    long networkSeconds = 5;

    private int maxParallel = DEFAULT_MAX_PARALLEL;

    @Option(names = "--max-parallel", paramLabel = "N", defaultValue = "64",
            description = "At most N TCP tests at once in a round (default: ${DEFAULT-VALUE}).")
    void setMaxParallel(int n) {
        if (n < 1 || n > 65_536) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--max-parallel must be between 1 and 65536, got " + n);
        }
        maxParallel = n;
    }

    @Option(names = "--min-network-gbps", paramLabel = "GBITS",
            description = "A network pair is slow below this many Gbit/s in either direction (default: the fleet "
                    + "file spec's fabric.networkGbitps, else half the median over all pairs).")
    Double minNetworkGbps;

    @Option(names = "--ib-device", paramLabel = "HCA",
            description = "With fabric.rdma and fabric.network: also run perftest ib_write_bw between each TCP pair, "
                    + "from this HCA on the driving node to the same HCA on the serving node (e.g. mlx5_0).")
    String ibDevice;

    @Option(names = "--nccl-across", paramLabel = "rack|fleet",
            description = "With fabric.nccl: also run nccl-tests across nodes through the agents' MPI launcher "
                    + "(kiln-agent serve --nccl-launcher): one run per rack (launched from its first node) or one "
                    + "across every selected node.")
    String ncclAcross;

    @Option(names = "--heatmaps", description = "Print every node's GPU-pair heatmap, not only those that did not "
            + "pass (-v does too).")
    boolean heatmaps;

    @Option(names = "--force", description = "Run even on GPUs with compute processes (someone's job).")
    boolean force;

    @Override
    public Integer call() throws InterruptedException {
        CommandLine cmd = spec.commandLine();
        List<String> ids = testIds(cmd, tests);
        if (minNetworkGbps != null && !(minNetworkGbps > 0 && minNetworkGbps < 1e6)) {
            throw new CommandLine.ParameterException(cmd, "--min-network-gbps must be above 0 Gbit/s, got "
                    + minNetworkGbps);
        }
        if (ncclAcross != null && !ncclAcross.equals("rack") && !ncclAcross.equals("fleet")) {
            throw new CommandLine.ParameterException(cmd, "--nccl-across must be 'rack' or 'fleet', got '"
                    + ncclAcross + "'");
        }
        if (ncclAcross != null && !ids.contains(FabricTestIds.NCCL)) {
            throw new CommandLine.ParameterException(cmd, "--nccl-across needs " + FabricTestIds.NCCL
                    + " among the tests");
        }
        if (ibDevice != null && (!ids.contains(FabricTestIds.RDMA) || !ids.contains(FabricTestIds.NETWORK))) {
            throw new CommandLine.ParameterException(cmd, "--ib-device runs ib_write_bw beside the TCP pairs: it needs "
                    + FabricTestIds.RDMA + " and " + FabricTestIds.NETWORK + " among the tests");
        }
        if (ibDevice != null && !ibDevice.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new CommandLine.ParameterException(cmd, "--ib-device must be an HCA name such as mlx5_0, got '"
                    + ibDevice + "'");
        }
        Fleet fleet = fleetOptions.load();
        List<FleetNode> nodes = fleetOptions.select(fleet);
        Duration timeout = fanOutOptions.timeout(fleet, DEFAULT_TIMEOUT);
        PrintWriter err = cmd.getErr();
        boolean verbose = KilnCommand.verbose(spec);
        boolean network = ids.contains(FabricTestIds.NETWORK);
        FabricReport report = new FabricReport(ids, nodes, network);

        try (FanOut fanOut = FanOut.start()) {
            FabricJobs jobs = new FabricJobs(fanOut, timeout, fanOutOptions.maxInFlight(), err, verbose);
            Thread hook = new Thread(jobs::cancelRunning, "kiln-fabric-cancel");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                if (!report.localTests().isEmpty()) {
                    local(report, jobs, err, tests.isEmpty());
                }
                if (ncclAcross != null && !jobs.cancelling) {
                    ncclAcross(report, jobs, err);
                }
                if (network && !jobs.cancelling) {
                    network(report, jobs, fanOut, timeout, err, verbose);
                }
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    hook.join(); // the JVM is exiting: let the hook finish its DELETEs with the client open
                }
            }
        }

        Minimum minimum = minNetworkGbps != null ? new Minimum(minNetworkGbps, "--min-network-gbps")
                : specMinimum(nodes);
        report.finish(minimum == null ? null : minimum.gbps, minimum == null ? null : minimum.source);
        boolean colour = outputOptions.format() == dev.kiln.cli.output.OutputFormat.table
                && Heatmap.colour(BurninCommand.stderrIsTerminal(), System.getenv());
        new FabricOutput(outputOptions.format(), cmd.getOut(), err, heatmaps || verbose, verbose, colour)
                .print(report);
        return report.exitCode();
    }

    /** Phase 1: the node-local tests on every node at once. */
    private void local(FabricReport report, FabricJobs jobs, PrintWriter err, boolean allTests)
            throws InterruptedException {
        List<BurninJob> started = new ArrayList<>();
        Map<String, byte[]> bodies = new HashMap<>();
        for (FleetNode n : report.nodes) {
            BurninJob j = new BurninJob(n);
            report.local.put(n.name(), j);
            started.add(j);
            // No test list: the agent runs every node-local test it has.
            bodies.put(n.name(), body(SpecRef.judged(new BurninRequest(BurninRequest.FABRIC, allTests ? List.of()
                    : report.localTests(), List.of(), durationSeconds, force, null, null), n.spec())));
        }
        err.println("kiln: " + String.join(", ", report.localTests()) + " on " + report.nodes.size() + " node"
                + (report.nodes.size() == 1 ? "" : "s") + ", " + durationSeconds + " s each");
        err.flush();
        jobs.run(started, n -> bodies.get(n.name()),
                Duration.ofSeconds(durationSeconds + Math.max(LOCAL_GRACE_SECONDS, durationSeconds / 2)),
                j -> j.node.name());
    }

    /**
     * Phase 1b ({@code --nccl-across}): nccl-tests across the nodes of each rack (or the whole selection), launched
     * from the group's first node that answered phase 1; its results count as that node's.
     */
    private void ncclAcross(FabricReport report, FabricJobs jobs, PrintWriter err) throws InterruptedException {
        Map<String, List<FleetNode>> groups = new java.util.LinkedHashMap<>();
        for (FleetNode n : report.nodes) {
            BurninJob j = report.local.get(n.name());
            if (j != null && j.outcome.notQueried()) {
                continue;
            }
            groups.computeIfAbsent(ncclAcross.equals("rack") ? n.rack() : "fleet", k -> new ArrayList<>()).add(n);
        }
        List<BurninJob> started = new ArrayList<>();
        Map<String, byte[]> bodies = new HashMap<>();
        for (List<FleetNode> g : groups.values()) {
            if (g.size() < 2) {
                continue;
            }
            BurninJob j = new BurninJob(g.get(0));
            report.extra.add(j);
            started.add(j);
            bodies.put(g.get(0).name(), body(SpecRef.judged(new BurninRequest(BurninRequest.FABRIC,
                    List.of(FabricTestIds.NCCL), List.of(), durationSeconds, force, null, null,
                    g.stream().map(FleetNode::host).toList()), g.get(0).spec())));
        }
        if (started.isEmpty()) {
            return;
        }
        err.println("kiln: " + FabricTestIds.NCCL + " across nodes: " + started.size() + " run"
                + (started.size() == 1 ? "" : "s") + " (" + ncclAcross + ")");
        err.flush();
        jobs.run(started, n -> bodies.get(n.name()),
                Duration.ofSeconds(durationSeconds + Math.max(LOCAL_GRACE_SECONDS, durationSeconds / 2)),
                j -> j.node.name() + " (nccl across)");
    }

    /** Phase 2: the planned TCP tests, round by round. */
    private void network(FabricReport report, FabricJobs jobs, FanOut fanOut, Duration timeout, PrintWriter err,
                         boolean verbose) throws InterruptedException {
        List<FleetNode> candidates = new ArrayList<>();
        for (FleetNode n : report.nodes) {
            BurninJob j = report.local.get(n.name());
            if (j == null || !j.outcome.notQueried()) {
                candidates.add(n);
            }
        }
        if (candidates.size() < 2) {
            report.networkNote = FabricTestIds.NETWORK + " needs two or more nodes"
                    + (candidates.size() < report.nodes.size() ? " that answered phase 1" : "") + "; "
                    + candidates.size() + (candidates.size() == 1 ? " node" : " nodes") + ", not run";
            err.println("kiln: " + report.networkNote);
            err.flush();
            return;
        }
        Map<String, FleetNode> byName = new HashMap<>();
        List<FabricPlan.Node> planNodes = new ArrayList<>();
        for (FleetNode n : candidates) {
            byName.put(n.name(), n);
            planNodes.add(new FabricPlan.Node(n.name(), n.rack()));
        }
        FabricPlan plan = FabricPlan.plan(planNodes, maxParallel);
        report.plan = plan;
        err.println("kiln: " + FabricTestIds.NETWORK + ": " + plan.describe() + ", " + networkSeconds + " s each");
        err.flush();
        // Long enough for the driver's job to start and connect; the agent accepts at most an hour.
        long ttl = Math.min(MAX_SESSION_TTL_SECONDS, networkSeconds + NETWORK_GRACE_SECONDS
                + 2 * Math.max(1, timeout.toSeconds()));
        boolean rdmaPairs = ibDevice != null && report.tests.contains(FabricTestIds.RDMA);
        byte[] sessionBody = body(rdmaPairs ? Map.of("ttlSeconds", ttl, "ibDevice", ibDevice) : Map.of("ttlSeconds", ttl));
        List<String> pairTests = rdmaPairs ? List.of(FabricTestIds.RDMA, FabricTestIds.NETWORK)
                : List.of(FabricTestIds.NETWORK);
        int total = plan.rounds().size();
        for (int r = 0; r < total && !jobs.cancelling; r++) {
            List<FabricPair> round = new ArrayList<>();
            for (FabricPlan.Pairing p : plan.rounds().get(r)) {
                round.add(new FabricPair(p, r + 1, byName.get(p.driver()), byName.get(p.server())));
            }
            report.pairs.addAll(round);
            if (verbose || total > 1) {
                err.println("kiln: round " + (r + 1) + "/" + total + ": " + round.size() + " pair"
                        + (round.size() == 1 ? "" : "s"));
                err.flush();
            }
            openSessions(fanOut, round, sessionBody, timeout, jobs);
            List<FabricPair> ready = round.stream().filter(p -> p.session != null).toList();
            Map<String, byte[]> bodies = new HashMap<>();
            Map<String, FabricPair> byDriver = new HashMap<>();
            for (FabricPair p : ready) {
                FabricSession s = p.session;
                FabricPeer peer = new FabricPeer(p.server.name(), peerAddress(s, p.server), s.port(), s.token(),
                        s.ibDevice(), s.ibWritePort());
                bodies.put(p.driver.name(), body(SpecRef.judged(new BurninRequest(BurninRequest.FABRIC,
                        pairTests, List.of(), networkSeconds, force, null, peer), p.driver.spec())));
                byDriver.put(p.driver.name(), p);
            }
            jobs.run(ready.stream().map(p -> p.job).toList(), n -> bodies.get(n.name()),
                    Duration.ofSeconds(networkSeconds + NETWORK_GRACE_SECONDS),
                    j -> byDriver.get(j.node.name()).label());
        }
    }

    /** {@code POST /v1/fabric/sessions} on every serving node of a round. */
    private void openSessions(FanOut fanOut, List<FabricPair> round, byte[] body, Duration timeout, FabricJobs jobs)
            throws InterruptedException {
        Map<String, FabricPair> byServer = new HashMap<>();
        for (FabricPair p : round) {
            byServer.put(p.server.name(), p);
        }
        fanOut.run(round.stream().map(p -> p.server).toList(), FanOut.Request.postJson(SESSIONS_PATH, n -> body),
                SESSION, timeout, fanOutOptions.maxInFlight(), r -> {
                    FabricPair p = byServer.get(r.node().name());
                    p.sessionHttpStatus = r.httpStatus();
                    if (r.ok()) {
                        p.session = r.body();
                    } else {
                        p.sessionError = r.error();
                        jobs.line(p.label() + ": no session on " + p.server.name() + ": "
                                + (r.reachable() ? "" : "unreachable: ") + r.error().message());
                    }
                }, null);
    }

    /**
     * Where the driver connects: the address the session names, unless it is missing or a wildcard; then the
     * serving node's address from the fleet file.
     */
    static String peerAddress(FabricSession s, FleetNode server) {
        String a = s.address();
        if (a == null || a.isBlank() || a.equals("0.0.0.0") || a.equals("::") || a.equals("[::]")) {
            return server.host();
        }
        return a;
    }

    private record Minimum(double gbps, String source) {
    }

    /** The lowest {@code fabric.networkGbitps} among the nodes' specs, if any sets one. */
    static Minimum specMinimum(List<FleetNode> nodes) {
        Minimum min = null;
        for (FleetNode n : nodes) {
            SpecRef s = n.spec();
            NodeSpec.FabricSpec f = s == null ? null : s.spec().fabric();
            if (f != null && f.networkGbitps() != null && (min == null || f.networkGbitps() < min.gbps)) {
                min = new Minimum(f.networkGbitps(), "spec " + s.name() + ", fabric.networkGbitps");
            }
        }
        return min;
    }

    /** {@code POST /v1/fabric/sessions}: a session with a port and a token, of a schema version kiln reads. */
    static final ResponseDecoder<FabricSession> SESSION = body -> {
        FabricSession s = FanOut.json(FabricSession.class, "a Kiln fabric session").decode(body);
        if (s.schemaVersion() != ProtocolVersion.SCHEMA_VERSION) {
            throw new ResponseDecoder.BadResponseException(NodeError.Kind.INCOMPATIBLE,
                    "the agent speaks schema version " + s.schemaVersion() + "; this kiln reads version "
                            + ProtocolVersion.SCHEMA_VERSION);
        }
        if (s.token() == null || s.port() < 1 || s.port() > 65_535) {
            throw new ResponseDecoder.BadResponseException(NodeError.Kind.BAD_RESPONSE,
                    "answered a fabric session without a port or token");
        }
        return s;
    };

    /** Test ids in run order, {@code p2p} short for {@code fabric.p2p}; none given: all. Unknown ids: exit 2. */
    static List<String> testIds(CommandLine cmd, List<String> given) {
        if (given.isEmpty()) {
            return FabricTestIds.DEFAULT_ORDER;
        }
        LinkedHashSet<String> chosen = TestIdList.resolve(cmd, given, "fabric.", FabricTestIds.DEFAULT_ORDER, "fabric");
        return FabricTestIds.DEFAULT_ORDER.stream().filter(chosen::contains).toList();
    }

    private static byte[] body(Object request) {
        try {
            return KilnJson.mapper().writeValueAsBytes(request);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
