package dev.kiln.cli.bringup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cli.db.AttemptState;
import dev.kiln.cli.db.HookRecord;
import dev.kiln.cli.db.HookRun;
import dev.kiln.cli.db.Lease;
import dev.kiln.cli.db.LeaseGrant;
import dev.kiln.cli.db.NewRun;
import dev.kiln.cli.db.NodeVerdict;
import dev.kiln.cli.db.ResultsDb;
import dev.kiln.cli.db.ResumeState;
import dev.kiln.cli.db.StageAttempt;
import dev.kiln.cli.db.StageResult;
import dev.kiln.cli.db.StageStart;
import dev.kiln.cli.db.VerdictRecord;
import dev.kiln.cli.fabric.FabricAttribution;
import dev.kiln.cli.fanout.NodeResult;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.cli.fleet.FleetPower;
import dev.kiln.cli.fleet.PowerBudget;
import dev.kiln.cli.fleet.SpecRef;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckRequest;
import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricPeer;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.FabricSession;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.NetworkResult;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * {@code kiln bringup}: moves every node of a rollout through the {@link Stage}s, reachable to network fabric, and
 * decides it accepted or quarantined, recording everything in the {@link ResultsDb}.
 *
 * <h2>How it runs</h2>
 * One control loop on the caller's thread owns all state. Agent calls are asynchronous ({@link AgentApi}); their
 * answers come back as tasks on the loop's inbox, so no node has a thread and nothing is shared. Each iteration:
 * admits nodes the {@link Scheduler} lets start (slots, power, stagger), moves each node on (sends its next request,
 * polls its job about once a {@link Settings#pollInterval()}, starts its burn-in at its staggered slot), pairs nodes
 * for network tests, renews the leases, and hands a progress snapshot to the {@link BringupListener}.
 *
 * <h2>Per node</h2>
 * <ol>
 *   <li>{@link Stage#REACHABLE}: {@code GET /v1/node}, {@link Settings#reachableTries()} tries; a node that never
 *       answers is quarantined as unreachable.</li>
 *   <li>{@link Stage#INVENTORY}: {@code GET /v1/inventory?fresh=true}, then {@code POST /v1/checks} with only the
 *       inventory-vs-spec checks ({@link Judge#INVENTORY_CHECKS}), the node's spec inline. The inventory also
 *       re-estimates the node's draw: a node that would draw more at full load than the plan holds for it (its
 *       GPUs' enforced limits above its spec's) fails here, before it could break a budget.</li>
 *   <li>{@link Stage#HEALTH}: {@code POST /v1/checks} with the other checks ({@link Judge#HEALTH_CHECKS}).</li>
 *   <li>{@link Stage#BURNIN}: at the node's staggered high-power slot ({@link Scheduler#highPowerSlot}), a burn-in
 *       job; the agent confirms a low throughput by a repeat before it fails a GPU, so a FAIL is final.</li>
 *   <li>{@link Stage#GPU_FABRIC}: a fabric job with the node-local tests; then the node's burn-in headroom goes back
 *       ({@link Scheduler#highPowerEnded}).</li>
 *   <li>{@link Stage#NETWORK_FABRIC}: TCP tests ({@code fabric.network}) against peers that passed GPU fabric in this
 *       rollout, accepted ones first, one test at a time per node and never two on one peer. Pairs are judged with
 *       {@link FabricAttribution} over every pair of the rollout: a node passes with two peers it is fine with, and
 *       fails only as a bad node, i.e. slow with two or more peers that are fine with others (a slow pair is retried
 *       with another peer before the node fails). When no pair can be started and nothing else can move, the nodes
 *       still waiting are judged against what exists, and their verdicts say so.</li>
 * </ol>
 * A stage that FAILs quarantines the node with its findings and recommended actions; one that could not run (ERROR)
 * too, with the reason. Every attempt is recorded with the agent's answer as evidence and the node's estimated
 * watts, so {@link RolloutSummary#replay} (and {@code PowerTimeline}) can rebuild the draw from the events.
 *
 * <p>Failures count against the {@link FailureBudget}; when it halts, nothing more starts, nodes in flight finish,
 * and the run exits {@link dev.kiln.cli.ExitCodes#ROLLOUT_HALTED}.
 */
public final class BringupEngine {
    /** Exit status of a run stopped by a signal (128 + SIGINT), resumable with {@code --resume}. */
    public static final int INTERRUPTED = 130;

    /** One node of the rollout: where it is, its spec (null: the agent's default) and its plan (rack, draw, times). */
    public record Target(FleetNode node, SpecRef spec, PlanNode plan) {
        public Target {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(plan, "plan");
        }
    }

    /**
     * The rollout: its run id, the command line to record (JSON), its nodes in fleet order, the fleet's other nodes
     * (outside the rollout: at full draw in shared budgets) and the fleet's power budgets.
     */
    public record Rollout(String runId, String argsJson, List<Target> nodes, List<PlanNode> outside, FleetPower power) {
        public Rollout {
            nodes = List.copyOf(nodes);
            outside = List.copyOf(outside);
        }
    }

    /**
     * @param burnin             burn-in job duration ({@code --burnin})
     * @param gpuFabric          node-local fabric job duration ({@code --fabric-duration})
     * @param networkPair        each TCP test's duration ({@code --network-duration})
     * @param minNetworkGbps     absolute minimum per pair, each way (null: half the median of the rollout's pairs)
     * @param limits             slots and stagger
     * @param maxFailures        {@code --max-failures} (null: none)
     * @param maxFailureRate     {@code --max-failure-rate} in percent (null: none)
     * @param runDir             where the per-node evidence files go
     * @param requestTimeout     each agent request's timeout (sizes the fabric sessions' lifetime)
     * @param maxPeersPerNode    network tests a node drives at most before it is judged with what exists
     * @param hookParallelism    hooks running at once at most
     */
    public record Settings(Duration burnin, Duration gpuFabric, Duration networkPair, Double minNetworkGbps,
                           String minNetworkSource, Limits limits, Integer maxFailures, Double maxFailureRate,
                           String onAccepted, String onQuarantined, Duration hookTimeout, Path runDir,
                           Duration pollInterval, Duration leaseTtl, Duration leaseRenewEvery, int reachableTries,
                           Duration reachableRetryDelay, Duration requestTimeout, int maxPeersPerNode,
                           int hookParallelism) {
        public Settings {
            Objects.requireNonNull(burnin, "burnin");
            Objects.requireNonNull(gpuFabric, "gpuFabric");
            Objects.requireNonNull(networkPair, "networkPair");
            Objects.requireNonNull(limits, "limits");
            Objects.requireNonNull(runDir, "runDir");
            hookTimeout = hookTimeout == null ? Duration.ofMinutes(2) : hookTimeout;
            pollInterval = pollInterval == null ? Duration.ofSeconds(1) : pollInterval;
            leaseTtl = leaseTtl == null ? Duration.ofMinutes(2) : leaseTtl;
            leaseRenewEvery = leaseRenewEvery == null ? Duration.ofSeconds(30) : leaseRenewEvery;
            reachableRetryDelay = reachableRetryDelay == null ? Duration.ofSeconds(2) : reachableRetryDelay;
            requestTimeout = requestTimeout == null ? Duration.ofSeconds(10) : requestTimeout;
            if (reachableTries < 1 || maxPeersPerNode < 2 || hookParallelism < 1) {
                throw new IllegalArgumentException("reachableTries >= 1, maxPeersPerNode >= 2, hookParallelism >= 1");
            }
        }

        /** The command's defaults around the given durations and limits. */
        public static Settings of(Duration burnin, Duration gpuFabric, Duration networkPair, Limits limits,
                                  Path runDir) {
            return new Settings(burnin, gpuFabric, networkPair, null, null, limits, null, null, null, null, null,
                    runDir, null, null, null, 3, null, null, 4, 8);
        }

        public Settings withFailureBudget(Integer maxFailures, Double maxFailureRate) {
            return new Settings(burnin, gpuFabric, networkPair, minNetworkGbps, minNetworkSource, limits, maxFailures,
                    maxFailureRate, onAccepted, onQuarantined, hookTimeout, runDir, pollInterval, leaseTtl,
                    leaseRenewEvery, reachableTries, reachableRetryDelay, requestTimeout, maxPeersPerNode,
                    hookParallelism);
        }

        public Settings withHooks(String onAccepted, String onQuarantined, Duration hookTimeout) {
            return new Settings(burnin, gpuFabric, networkPair, minNetworkGbps, minNetworkSource, limits, maxFailures,
                    maxFailureRate, onAccepted, onQuarantined, hookTimeout, runDir, pollInterval, leaseTtl,
                    leaseRenewEvery, reachableTries, reachableRetryDelay, requestTimeout, maxPeersPerNode,
                    hookParallelism);
        }

        public Settings withNetworkMinimum(Double gbps, String source) {
            return new Settings(burnin, gpuFabric, networkPair, gbps, source, limits, maxFailures, maxFailureRate,
                    onAccepted, onQuarantined, hookTimeout, runDir, pollInterval, leaseTtl, leaseRenewEvery,
                    reachableTries, reachableRetryDelay, requestTimeout, maxPeersPerNode, hookParallelism);
        }

        /** Timings: job polls, lease time to live and renewal, reachable retries. */
        public Settings withTimings(Duration pollInterval, Duration leaseTtl, Duration leaseRenewEvery,
                                    int reachableTries, Duration reachableRetryDelay, Duration requestTimeout) {
            return new Settings(burnin, gpuFabric, networkPair, minNetworkGbps, minNetworkSource, limits, maxFailures,
                    maxFailureRate, onAccepted, onQuarantined, hookTimeout, runDir, pollInterval, leaseTtl,
                    leaseRenewEvery, reachableTries, reachableRetryDelay, requestTimeout, maxPeersPerNode,
                    hookParallelism);
        }
    }

    // --- per node ----------------------------------------------------------------------------------

    private enum Phase {
        /** Not started (waiting for the scheduler). */
        PENDING,
        /** Its current stage is to begin. */
        READY,
        /** A request is out; its answer moves the node on. */
        REQUEST,
        /** Reachable: waiting to try again. */
        RETRY_WAIT,
        /** Burn-in: waiting for its staggered slot. */
        SLOT_WAIT,
        /** A job runs on its agent; polled. */
        JOB,
        /** Network fabric: testing against peers or waiting for them. */
        PEERS,
        /** Verdict decided. */
        DONE,
        /** Another run holds it (skipped), or took it over (lease lost). */
        HELD
    }

    private static final class NodeRun {
        final Target target;
        final String name;
        final String rack;
        final NodeLoad load;
        Phase phase = Phase.PENDING;
        Stage stage;
        StageAttempt attempt;
        int gen;
        long stageSinceMs;
        int wave;
        // jobs
        String jobId;
        JobStatus job;
        int failedPolls;
        long pollAtMs;
        long deadlineMs;
        boolean pollBusy;
        /** The job was found on a resumed attempt: a 404 means the agent lost it (run the stage again). */
        boolean reattached;
        /** Resumed with the stage running but no job id recorded: a 409 may be our own job, to adopt. */
        boolean adoptable;
        Instant adoptAfter;
        long slotAtMs = -1;
        boolean highReleased;
        /** The GPU-fabric stage was repeated to confirm a performance finding. */
        boolean fabricRepeated;
        // reachable
        int tries;
        long retryAtMs;
        // inventory
        InventoryDocument inventory;
        // network
        final Set<String> tested = new LinkedHashSet<>();
        int driven;
        int served;
        Pair pair;
        // outcome
        final Map<Stage, StageAttempt> recorded = new LinkedHashMap<>();
        final List<String> notes = new ArrayList<>();
        NodeVerdict.Outcome outcome;
        boolean unreachable;
        Instant firstContact;
        String heldBy;
        /** Started (or resumed) in the scheduler and not finished there. */
        boolean scheduled;

        NodeRun(Target t) {
            this.target = t;
            this.name = t.node().name();
            this.rack = t.node().rack();
            this.load = t.plan().load();
        }

        boolean inFlight() {
            return phase != Phase.PENDING && phase != Phase.DONE && phase != Phase.HELD;
        }

        Double watts(Stage s) {
            if (!load.known()) {
                return null;
            }
            return (double) (s.highPower() ? load.burninWatts() : load.idleWatts());
        }
    }

    /** One network test: {@code driver} sends to {@code server}'s session. */
    private static final class Pair {
        final NodeRun driver;
        NodeRun server;
        String serverName;
        String jobId;
        JobStatus job;
        long pollAtMs;
        long deadlineMs;
        boolean pollBusy;
        int failedPolls;

        Pair(NodeRun driver, NodeRun server) {
            this.driver = driver;
            this.server = server;
            this.serverName = server == null ? null : server.name;
        }
    }

    /** A finished network test, kept for judging the whole rollout's pairs and for the nodes' evidence. */
    private record PairRecord(String driver, String server, String jobId, NetworkResult result, String failure,
                              Instant at) {
        FabricAttribution.PairOutcome outcome() {
            return result != null ? FabricAttribution.PairOutcome.measured(driver, server, result)
                    : FabricAttribution.PairOutcome.failed(driver, server, failure);
        }
    }

    // --- state ------------------------------------------------------------------------------------

    private final ResultsDb db;
    private final AgentApi api;
    private final BringupListener listener;
    private final Settings settings;
    private final Rollout rollout;
    private final String runId;
    private final Map<String, NodeRun> nodes = new LinkedHashMap<>();
    private final LinkedBlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
    private final Map<String, String> rackOf = new HashMap<>();
    private final Set<String> gpuFabricPassed = new HashSet<>();
    private final Set<String> unusablePeers = new HashSet<>();
    private final List<PairRecord> pairs = new ArrayList<>();
    private final Set<String> pairJobs = new HashSet<>();
    private final List<Pair> activePairs = new ArrayList<>();
    private final ExecutorService hookPool = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore hookPermits;
    private final List<CompletableFuture<Void>> hookRuns = new ArrayList<>();
    private final List<Hooks.Result> hookResults = new ArrayList<>();
    private final List<BringupListener.Held> held = new ArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile String interruptReason;

    private Scheduler scheduler;
    private FailureBudget budget;
    private ResumeState resume;
    private long t0;
    private long nextRenewMs;
    private long nextProgressMs;
    private int wave;
    private boolean releasedInWave;
    private boolean haltReported;
    private Instant runStartedAt;
    private Map<String, Long> outsideLoad = Map.of();

    public BringupEngine(ResultsDb db, AgentApi api, BringupListener listener, Settings settings, Rollout rollout) {
        this.db = Objects.requireNonNull(db, "db");
        this.api = Objects.requireNonNull(api, "api");
        this.listener = listener == null ? new BringupListener() { } : listener;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.rollout = Objects.requireNonNull(rollout, "rollout");
        this.runId = rollout.runId();
        this.hookPermits = new Semaphore(settings.hookParallelism());
        for (Target t : rollout.nodes()) {
            if (nodes.put(t.node().name(), new NodeRun(t)) != null) {
                throw new IllegalArgumentException("node '" + t.node().name() + "' is in the rollout twice");
            }
            rackOf.put(t.node().name(), t.node().rack());
        }
    }

    public String runId() {
        return runId;
    }

    /**
     * Asks the loop to stop (Ctrl-C, SIGTERM): it records the run as interrupted and returns; jobs keep running on the
     * agents and leases stay until they expire, so {@code --resume} re-attaches. Waits up to {@code wait} for that.
     */
    public boolean interrupt(String reason, Duration wait) {
        interruptReason = reason;
        try {
            return stopped.await(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The planned nodes as recorded with the run, so {@code --resume} knows the rollout. */
    public static String planJson(Rollout rollout) {
        ObjectNode plan = KilnJson.mapper().createObjectNode();
        ArrayNode ns = plan.putArray("nodes");
        for (Target t : rollout.nodes()) {
            ns.addObject().put("name", t.node().name()).put("rack", t.node().rack());
        }
        return plan.toString();
    }

    // --- the run ------------------------------------------------------------------------------------

    /**
     * Runs the rollout to its end (or until {@link #interrupt}): records a new run, or continues {@code runId} when
     * {@code resumeRun} is set.
     *
     * @throws InfeasiblePlanException when the power budgets cannot carry the nodes this run got leases for (exit 2);
     *                                 the run is recorded as finished with exit 2
     */
    public RolloutSummary run(boolean resumeRun) {
        try {
            return execute(resumeRun);
        } finally {
            stopped.countDown();
            hookPool.shutdown();
        }
    }

    private RolloutSummary execute(boolean resumeRun) {
        String who = ResultsDb.whoAmI();
        if (resumeRun) {
            db.resumeRun(runId, who);
            resume = db.pendingWork(runId);
        } else {
            db.createRun(new NewRun(runId, who, rollout.argsJson(), planJson(rollout)));
        }
        t0 = System.nanoTime();
        runStartedAt = Instant.now();
        Set<String> decided = new HashSet<>();
        if (resume != null) {
            for (VerdictRecord v : resume.verdicts()) {
                decided.add(v.verdict().node());
            }
        }
        List<String> want = nodes.keySet().stream().filter(n -> !decided.contains(n)).toList();
        LeaseGrant grant = want.isEmpty() ? new LeaseGrant(List.of(), List.of())
                : db.acquire(runId, want, settings.leaseTtl());
        for (Lease l : grant.refused()) {
            NodeRun n = nodes.get(l.node());
            n.phase = Phase.HELD;
            n.heldBy = l.describe();
            BringupListener.Held h = new BringupListener.Held(n.name, n.rack, l.describe());
            held.add(h);
        }
        buildScheduler();
        budget = new FailureBudget(settings.maxFailures(), settings.maxFailureRate(),
                (int) nodes.values().stream().filter(n -> n.phase != Phase.HELD).count());
        listener.runStarted(new BringupListener.RunStarted(runId, resumeRun, db.url(), settings.runDir(),
                nodes.size(), decided.size(), held, settings.limits(), who));
        held.forEach(listener::held);
        if (resume != null) {
            restore();
        }
        nextRenewMs = settings.leaseRenewEvery().toMillis();
        loop();
        if (interruptReason != null) {
            return interrupted();
        }
        return finish();
    }

    /** Nodes held by others count outside the rollout, at full draw, like any node not in it. */
    private void buildScheduler() {
        List<PlanNode> rolloutNodes = new ArrayList<>();
        List<PlanNode> outside = new ArrayList<>(rollout.outside());
        for (NodeRun n : nodes.values()) {
            (n.phase == Phase.HELD ? outside : rolloutNodes).add(n.target.plan());
        }
        try {
            outsideLoad = PowerModel.outsideLoad(rollout.power(), outside);
            scheduler = new Scheduler(rolloutNodes, rollout.power(), outsideLoad, settings.limits());
        } catch (InfeasiblePlanException e) {
            db.finishRun(runId, dev.kiln.cli.ExitCodes.USAGE, "infeasible plan: " + e.getMessage());
            throw e;
        }
    }

    /** {@code --resume}: decided nodes stay decided; nodes in flight go on from their first stage not passed. */
    private void restore() {
        Map<String, VerdictRecord> verdicts = new HashMap<>();
        resume.verdicts().forEach(v -> verdicts.put(v.verdict().node(), v));
        Set<String> hooked = new HashSet<>();
        for (HookRecord h : db.hooks(runId)) {
            hooked.add(h.hook().node() + "/" + h.hook().hook());
        }
        for (NodeRun n : nodes.values()) {
            for (Stage s : Stage.values()) {
                resume.latest(n.name, s.id()).ifPresent(a -> {
                    if (a.state() == AttemptState.PASSED || a.state() == AttemptState.SKIPPED) {
                        n.recorded.put(s, a);
                    }
                    if (a.startedAt() != null && (n.firstContact == null || a.startedAt().isBefore(n.firstContact))) {
                        n.firstContact = a.startedAt();
                    }
                });
            }
            if (resume.passed(n.name, Stage.GPU_FABRIC.id())) {
                gpuFabricPassed.add(n.name);
            }
            restorePairs(n);
        }
        for (NodeRun n : nodes.values()) {
            VerdictRecord v = verdicts.get(n.name);
            if (v != null) {
                n.outcome = v.verdict().outcome();
                n.phase = Phase.DONE;
                n.unreachable = v.verdict().reasons().stream().anyMatch(BringupEngine::unreachableReason);
                scheduler.withdraw(n.name);
                if (n.outcome == NodeVerdict.Outcome.ACCEPTED) {
                    budget.passed(n.name);
                } else {
                    budget.failed(n.name);
                }
                String hook = hookFor(n.outcome);
                if (hook != null && !hooked.contains(n.name + "/" + hookName(n.outcome))) {
                    listener.note(n.name + ": its " + hookName(n.outcome) + " hook had not run before the stop; running it now");
                    startHook(n, reportPath(n));
                }
                continue;
            }
            if (n.phase == Phase.HELD) {
                continue;
            }
            Stage next = null;
            for (Stage s : Stage.values()) {
                if (!resume.passed(n.name, s.id()) && !(resume.latest(n.name, s.id()).map(a -> a.state()
                        == AttemptState.SKIPPED).orElse(false))) {
                    next = s;
                    break;
                }
            }
            boolean touched = resume.latest().stream().anyMatch(a -> a.node().equals(n.name));
            if (!touched) {
                continue; // never started: the scheduler starts it in its turn
            }
            boolean highOver = next == null || next == Stage.NETWORK_FABRIC;
            scheduler.resumed(n.name, highOver);
            n.scheduled = true;
            n.highReleased = highOver;
            budget.started(n.name);
            startWave(n);
            if (next == null) {
                n.stage = Stage.NETWORK_FABRIC;
                decide(n, NodeVerdict.Outcome.ACCEPTED, List.of(), List.of(), List.of(), false);
                continue;
            }
            n.stage = next;
            n.phase = Phase.READY;
            Optional<StageAttempt> latest = resume.latest(n.name, next.id());
            if (latest.isPresent()) {
                StageAttempt a = latest.get();
                if (a.state() == AttemptState.RUNNING) {
                    boolean jobStage = next == Stage.BURNIN || next == Stage.GPU_FABRIC
                            || next == Stage.NETWORK_FABRIC;
                    if (jobStage && a.agentJobId() != null) {
                        reattach(n, a);
                    } else if (next == Stage.BURNIN || next == Stage.GPU_FABRIC) {
                        // The POST may have reached the agent before the id was recorded: adopt that job on a 409.
                        n.attempt = a;
                        n.adoptable = true;
                        n.adoptAfter = a.startedAt();
                        n.stageSinceMs = now();
                    } else {
                        finishAttempt(n, a, StageOutcome.error(next, "interrupted before the agent answered; "
                                + "started again after the resume", null, null, false));
                    }
                } else if (next == Stage.GPU_FABRIC && a.state() == AttemptState.FAILED && a.summary() != null
                        && a.summary().endsWith("repeating to confirm")) {
                    n.fabricRepeated = true; // the stop came between a performance finding and its repeat
                } else if (a.state() == AttemptState.FAILED || a.state() == AttemptState.ERROR) {
                    // The run stopped between the stage's end and the node's verdict: decide it from the record.
                    n.attempt = a;
                    List<String> reasons = List.of(next.id() + ": " + (a.summary() == null ? a.state().id()
                            : a.summary()));
                    listener.note(n.name + ": " + next.id() + " had ended " + a.state().id() + " before the stop; "
                            + "quarantined from the record");
                    decide(n, NodeVerdict.Outcome.QUARANTINED, reasons, List.of("see the evidence of attempt "
                            + a.attempt() + " of " + next.id() + " ('kiln history --node " + n.name + "')"), List.of(),
                            false);
                }
            }
        }
        if (budget.halted()) {
            scheduler.halt();
        }
    }

    /** Network pairs recorded in finished network-fabric attempts, so the rollout's judging keeps them. */
    private void restorePairs(NodeRun n) {
        resume.latest(n.name, Stage.NETWORK_FABRIC.id()).filter(a -> a.state().finished() && a.evidenceJson() != null)
                .ifPresent(a -> {
                    try {
                        JsonNode ev = KilnJson.mapper().readTree(a.evidenceJson());
                        for (JsonNode p : ev.path("pairs")) {
                            String job = p.path("jobId").asText(null);
                            if (job != null && !pairJobs.add(job)) {
                                continue;
                            }
                            NetworkResult r = p.hasNonNull("result")
                                    ? KilnJson.mapper().treeToValue(p.get("result"), NetworkResult.class) : null;
                            String failure = p.path("failure").asText(null);
                            if (r == null && failure == null) {
                                continue;
                            }
                            pairs.add(new PairRecord(p.path("driver").asText(), p.path("server").asText(), job, r,
                                    r == null ? failure : null, a.finishedAt()));
                        }
                    } catch (IOException | RuntimeException e) {
                        listener.note(n.name + ": the network pairs recorded before the stop could not be read back ("
                                + e.getMessage() + "); they are not used for judging");
                    }
                });
    }

    private void reattach(NodeRun n, StageAttempt a) {
        n.attempt = a;
        n.jobId = a.agentJobId();
        n.reattached = true;
        n.stageSinceMs = now();
        n.failedPolls = 0;
        n.pollAtMs = now();
        n.deadlineMs = now() + jobDeadline(n.stage).toMillis();
        db.attachJob(a.id(), a.agentJobId()); // records the re-attach (event job-attached)
        if (n.stage == Stage.NETWORK_FABRIC) {
            Pair p = new Pair(n, null);
            p.jobId = a.agentJobId();
            p.pollAtMs = now();
            p.deadlineMs = now() + pairDeadline().toMillis();
            n.pair = p;
            activePairs.add(p);
            n.phase = Phase.PEERS;
        } else {
            n.phase = Phase.JOB;
        }
        listener.stage(change(n, a, AttemptState.RUNNING, null, "re-attached after the resume", a.agentJobId()));
        listener.note(n.name + ": " + n.stage.id() + ": re-attached to job " + a.agentJobId() + " (attempt "
                + a.attempt() + ")");
    }

    private void loop() {
        while (true) {
            if (interruptReason != null) {
                return;
            }
            long now = now();
            drain();
            admit(now);
            for (NodeRun n : nodes.values()) {
                step(n, now);
            }
            schedulePairs(now);
            pollPairs(now);
            if (stalled(now)) {
                judgeNetwork(true);
            }
            if (now >= nextRenewMs) {
                renewLeases();
                nextRenewMs = now + settings.leaseRenewEvery().toMillis();
            }
            if (now >= nextProgressMs) {
                listener.progress(progress());
                nextProgressMs = now + 1000;
            }
            if (finishedAll()) {
                return;
            }
            long wait = Math.max(1, Math.min(200, nextWake(now) - now()));
            try {
                Runnable r = inbox.poll(wait, TimeUnit.MILLISECONDS);
                if (r != null) {
                    r.run();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                interruptReason = "interrupted";
                return;
            }
        }
    }

    private void drain() {
        Runnable r;
        while ((r = inbox.poll()) != null) {
            r.run();
        }
    }

    private long nextWake(long now) {
        long next = now + 200;
        for (NodeRun n : nodes.values()) {
            switch (n.phase) {
                case JOB -> next = Math.min(next, n.pollAtMs);
                case SLOT_WAIT -> next = Math.min(next, n.slotAtMs);
                case RETRY_WAIT -> next = Math.min(next, n.retryAtMs);
                default -> {
                }
            }
        }
        if (scheduler.pending() > 0 && !scheduler.halted()) {
            next = Math.min(next, Math.max(now + 1, scheduler.nextStartNotBefore(Duration.ofMillis(now)).toMillis()));
        }
        return next;
    }

    private boolean finishedAll() {
        if (!activePairs.isEmpty()) {
            return false;
        }
        for (NodeRun n : nodes.values()) {
            if (n.inFlight()) {
                return false;
            }
        }
        return scheduler.pending() == 0 || scheduler.halted();
    }

    private long now() {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    // --- admission -----------------------------------------------------------------------------------

    private void admit(long now) {
        Duration t = Duration.ofMillis(now);
        while (!scheduler.halted()) {
            Optional<String> next = scheduler.nextStartable(t);
            if (next.isEmpty()) {
                return;
            }
            NodeRun n = nodes.get(next.get());
            scheduler.started(n.name, t);
            n.scheduled = true;
            budget.started(n.name);
            startWave(n);
            n.stage = Stage.REACHABLE;
            n.phase = Phase.READY;
            if (budget.halted()) {
                halt();
            }
        }
    }

    /** Waves as the plan shows them: a new wave begins with the first start after a node of the current one released. */
    private void startWave(NodeRun n) {
        if (wave == 0 || releasedInWave) {
            wave++;
            releasedInWave = false;
        }
        n.wave = wave;
    }

    private void released(NodeRun n, boolean highPowerEnd) {
        // As the plan counts releases: the end of the GPU tests when budgets are in play, else the finish.
        boolean counts = rollout.power().hasBudgets() || !highPowerEnd;
        if (counts && n.wave == wave) {
            releasedInWave = true;
        }
    }

    private void halt() {
        scheduler.halt();
        if (!haltReported) {
            haltReported = true;
            budget.halt().ifPresent(listener::halted);
        }
    }

    // --- stages -------------------------------------------------------------------------------------

    private void step(NodeRun n, long now) {
        switch (n.phase) {
            case READY -> begin(n, now);
            case RETRY_WAIT -> {
                if (now >= n.retryAtMs) {
                    sendReachable(n);
                }
            }
            case SLOT_WAIT -> {
                if (now >= n.slotAtMs) {
                    startJob(n);
                }
            }
            case JOB -> {
                if (now > n.deadlineMs) {
                    giveUpJob(n);
                } else if (!n.pollBusy && now >= n.pollAtMs) {
                    pollJob(n);
                }
            }
            default -> {
            }
        }
    }

    private void begin(NodeRun n, long now) {
        n.stageSinceMs = now;
        switch (n.stage) {
            case REACHABLE -> {
                n.attempt = startAttempt(n);
                n.tries = 0;
                sendReachable(n);
            }
            case INVENTORY -> {
                n.attempt = startAttempt(n);
                request(n, api.inventory(n.target.node()), (r, x) -> onInventory(n, r));
            }
            case HEALTH -> {
                n.attempt = startAttempt(n);
                request(n, api.checks(n.target.node(), checkRequest(n, Judge.HEALTH_CHECKS)),
                        (r, x) -> onChecks(n, r, Stage.HEALTH, r.ok() ? r.body() : null));
            }
            case BURNIN -> {
                if (n.slotAtMs < 0) {
                    n.slotAtMs = scheduler.highPowerSlot(n.name, Duration.ofMillis(now)).toMillis();
                }
                if (now < n.slotAtMs) {
                    n.phase = Phase.SLOT_WAIT;
                } else {
                    startJob(n);
                }
            }
            case GPU_FABRIC -> startJob(n);
            case NETWORK_FABRIC -> {
                n.attempt = startAttempt(n);
                n.phase = Phase.PEERS;
            }
        }
    }

    private StageAttempt startAttempt(NodeRun n) {
        StageAttempt a = db.startStage(new StageStart(runId, n.name, n.rack, n.stage.id(), n.watts(n.stage)));
        if (n.firstContact == null) {
            n.firstContact = a.startedAt();
        }
        listener.stage(change(n, a, AttemptState.RUNNING, null, null, null));
        return a;
    }

    /** Sends a request for the node; its answer runs on the loop, unless the node moved on meanwhile. */
    private <T> void request(NodeRun n, CompletableFuture<NodeResult<T>> f, BiConsumer<NodeResult<T>, Void> then) {
        n.phase = Phase.REQUEST;
        int gen = ++n.gen;
        f.whenComplete((r, ex) -> inbox.add(() -> {
            if (n.gen != gen || n.phase != Phase.REQUEST || interruptReason != null) {
                return;
            }
            then.accept(r != null ? r : failed(n.target.node(), ex), null);
        }));
    }

    private static <T> NodeResult<T> failed(FleetNode node, Throwable ex) {
        return new NodeResult<>(node, 0, 0, null, new dev.kiln.cli.fanout.NodeError(
                dev.kiln.cli.fanout.NodeError.Kind.NETWORK, String.valueOf(ex)));
    }

    private void sendReachable(NodeRun n) {
        n.tries++;
        request(n, api.node(n.target.node()), (r, x) -> {
            if (r.ok()) {
                complete(n, Judge.reachable(r.body()));
            } else if (n.tries < settings.reachableTries()) {
                n.phase = Phase.RETRY_WAIT;
                n.retryAtMs = now() + settings.reachableRetryDelay().toMillis();
            } else {
                String why = (r.reachable() ? "no usable answer: " : "unreachable: ") + r.error().message() + " ("
                        + n.tries + " tr" + (n.tries == 1 ? "y" : "ies") + ")";
                StageOutcome o = new StageOutcome(AttemptState.FAILED, "UNREACHABLE", why,
                        Map.of("error", r.error(), "httpStatus", r.httpStatus(), "tries", n.tries), List.of(why),
                        List.of(Stage.REACHABLE.id() + ": " + why), List.of(Judge.UNREACHABLE_ACTION
                        .replace("<node>", n.name)), List.of(), true);
                complete(n, o);
            }
        });
    }

    private CheckRequest checkRequest(NodeRun n, List<String> only) {
        return new CheckRequest(null, n.target.spec() == null ? null : n.target.spec().spec(), only, List.of());
    }

    private void onInventory(NodeRun n, NodeResult<InventoryDocument> r) {
        if (!r.ok()) {
            complete(n, lost(n, "GET /v1/inventory", r));
            return;
        }
        n.inventory = r.body();
        request(n, api.checks(n.target.node(), checkRequest(n, Judge.INVENTORY_CHECKS)),
                (c, x) -> onChecks(n, c, Stage.INVENTORY, c.ok() ? c.body() : null));
    }

    private void onChecks(NodeRun n, NodeResult<CheckReport> r, Stage stage, CheckReport report) {
        if (!r.ok()) {
            complete(n, lost(n, "POST /v1/checks", r));
            return;
        }
        Object evidence = report;
        if (stage == Stage.INVENTORY) {
            // An array of the agent's documents (each with its kind), as readers of evidence expect, then kiln's
            // estimate of the node's draw from this inventory.
            NodeLoad measured = PowerModel.estimate(n.target.spec() == null ? null : n.target.spec().spec(),
                    n.inventory);
            Map<String, Object> draw = new LinkedHashMap<>();
            draw.put("kind", "kiln.bringup.draw-estimate");
            draw.put("burninWatts", measured.known() ? measured.burninWatts() : null);
            draw.put("idleWatts", measured.known() ? measured.idleWatts() : null);
            draw.put("basis", measured.basis());
            draw.put("problem", measured.problem());
            draw.put("plannedBurninWatts", n.load.known() ? n.load.burninWatts() : null);
            evidence = List.of(n.inventory, report, draw);
            StageOutcome o = Judge.checks(stage, report, evidence);
            List<PowerBudget> budgets = rollout.power().enclosing(n.rack);
            if (o.passed() && !budgets.isEmpty() && measured.known() && n.load.known()
                    && measured.burninWatts() > n.load.burninWatts()) {
                String why = "its inventory puts its full-load draw at " + PowerModel.kw(measured.burninWatts()) + " ("
                        + measured.basis() + "), above the " + PowerModel.kw(n.load.burninWatts()) + " the power plan "
                        + "holds for it (" + n.load.basis() + "): burning it in could break "
                        + PowerModel.describe(budgets.getFirst());
                o = new StageOutcome(AttemptState.FAILED, "FAIL", why, evidence, List.of(why),
                        List.of(stage.id() + ": " + why), List.of("set the GPUs' power limits to the spec's "
                        + "gpu.powerLimitWatts (nvidia-smi -pl), or correct the spec, then rerun"), List.of(), false);
            }
            n.inventory = null;
            complete(n, o);
            return;
        }
        complete(n, Judge.checks(stage, report, evidence));
    }

    /** A request of a stage failed: the stage could not run (unreachable when no HTTP answer came). */
    private StageOutcome lost(NodeRun n, String what, NodeResult<?> r) {
        String why = what + " failed: " + (r.reachable() ? "" : "unreachable: ") + r.error().message();
        return StageOutcome.error(n.stage, why, Map.of("error", r.error(), "httpStatus", r.httpStatus()),
                r.reachable() ? "fix what the agent answered, then rerun the bring-up of this node"
                        : Judge.UNREACHABLE_ACTION.replace("<node>", n.name), !r.reachable());
    }

    private BurninRequest jobRequest(NodeRun n) {
        if (n.stage == Stage.BURNIN) {
            return SpecRef.judged(new BurninRequest(BurninRequest.TYPE, List.of(), List.of(),
                    settings.burnin().toSeconds(), false, null), n.target.spec());
        }
        // No test list: the agent runs every node-local fabric test it has.
        return SpecRef.judged(new BurninRequest(BurninRequest.FABRIC, List.of(), List.of(),
                settings.gpuFabric().toSeconds(), false, null, null), n.target.spec());
    }

    private void startJob(NodeRun n) {
        n.stageSinceMs = now();
        if (n.attempt == null || n.attempt.state().finished() || !n.attempt.stage().equals(n.stage.id())) {
            n.attempt = startAttempt(n);
        }
        request(n, api.startJob(n.target.node(), jobRequest(n)), (r, x) -> onJobStarted(n, r));
    }

    private void onJobStarted(NodeRun n, NodeResult<JobStatus> r) {
        if (!r.ok()) {
            if (n.adoptable && r.httpStatus() == 409) {
                adopt(n, r);
                return;
            }
            complete(n, lost(n, "POST /v1/jobs", r));
            return;
        }
        n.adoptable = false;
        jobAttached(n, r.body());
    }

    private void jobAttached(NodeRun n, JobStatus s) {
        n.jobId = s.id();
        n.job = s;
        n.attempt = db.attachJob(n.attempt.id(), s.id());
        listener.stage(change(n, n.attempt, AttemptState.RUNNING, null, "job started", s.id()));
        n.phase = Phase.JOB;
        n.failedPolls = 0;
        n.pollAtMs = now() + settings.pollInterval().toMillis();
        n.deadlineMs = now() + jobDeadline(n.stage).toMillis();
        if (s.state().terminal()) {
            jobEnded(n, s);
        }
    }

    /** Resumed without a job id and the agent says a job runs: if it is ours (same type, started after), follow it. */
    private void adopt(NodeRun n, NodeResult<JobStatus> refusal) {
        request(n, api.jobs(n.target.node()), (r, x) -> {
            String type = n.stage == Stage.BURNIN ? BurninRequest.TYPE : BurninRequest.FABRIC;
            Optional<JobStatus> ours = !r.ok() ? Optional.empty() : r.body().jobs().stream()
                    .filter(j -> !j.state().terminal() && j.request() != null && type.equals(j.request().type())
                            && (n.adoptAfter == null || j.createdAt() == null
                            || !j.createdAt().isBefore(n.adoptAfter.minusSeconds(5))))
                    .reduce((a, b) -> b);
            n.adoptable = false;
            if (ours.isPresent()) {
                listener.note(n.name + ": " + n.stage.id() + ": adopted job " + ours.get().id() + ", started before the "
                        + "stop but not recorded");
                jobAttached(n, ours.get());
            } else {
                complete(n, lost(n, "POST /v1/jobs", refusal));
            }
        });
    }

    private Duration jobDeadline(Stage stage) {
        return switch (stage) {
            case BURNIN -> settings.burnin().multipliedBy(2).plusMinutes(3);
            case GPU_FABRIC -> settings.gpuFabric().plus(max(Duration.ofMinutes(2), settings.gpuFabric().dividedBy(2)));
            default -> pairDeadline();
        };
    }

    private Duration pairDeadline() {
        return settings.networkPair().plusSeconds(60);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private void pollJob(NodeRun n) {
        n.pollBusy = true;
        int gen = n.gen;
        api.job(n.target.node(), n.jobId).whenComplete((r, ex) -> inbox.add(() -> {
            n.pollBusy = false;
            if (n.gen != gen || n.phase != Phase.JOB || interruptReason != null) {
                return;
            }
            onPolled(n, r != null ? r : failed(n.target.node(), ex));
        }));
    }

    private void onPolled(NodeRun n, NodeResult<JobStatus> r) {
        n.pollAtMs = now() + settings.pollInterval().toMillis();
        if (r.ok()) {
            n.failedPolls = 0;
            n.reattached = false;
            n.job = r.body();
            if (r.body().state().terminal()) {
                jobEnded(n, r.body());
            }
            return;
        }
        if (n.reattached && r.httpStatus() == 404) {
            // The agent no longer knows the job (it restarted, or its state was lost): run the stage again.
            String why = "the agent no longer knows job " + n.jobId + " (" + r.error().message() + "); running "
                    + n.stage.id() + " again";
            db.finishStage(n.attempt.id(), new StageResult(AttemptState.ERROR, "LOST", why, null, null));
            listener.stage(change(n, n.attempt, AttemptState.ERROR, "LOST", why, n.jobId));
            listener.note(n.name + ": " + why);
            n.reattached = false;
            n.attempt = null;
            n.jobId = null;
            n.phase = Phase.READY;
            return;
        }
        n.failedPolls++;
        if (n.failedPolls >= 3) {
            String why = "lost track of job " + n.jobId + " after 3 failed polls (last known: "
                    + (n.job == null ? "not seen" : n.job.state() + ", " + Math.round(n.job.progress() * 100) + "%")
                    + "): " + (r.reachable() ? "" : "unreachable: ") + r.error().message();
            complete(n, StageOutcome.error(n.stage, why, n.job, r.reachable() ? "rerun the bring-up of this node"
                    : Judge.UNREACHABLE_ACTION.replace("<node>", n.name), !r.reachable()));
        }
    }

    private void giveUpJob(NodeRun n) {
        String why = "job " + n.jobId + " did not end within " + jobDeadline(n.stage).toSeconds() + " s (last known: "
                + (n.job == null ? "not seen" : n.job.state() + ", " + Math.round(n.job.progress() * 100) + "%")
                + "); kiln cancelled it";
        api.cancelJob(n.target.node(), n.jobId);
        complete(n, StageOutcome.error(n.stage, why, n.job, "find why the job hung (the agent's worker log), then "
                + "rerun the bring-up of this node", false));
    }

    private void jobEnded(NodeRun n, JobStatus s) {
        StageOutcome o = n.stage == Stage.BURNIN ? Judge.burnin(s) : Judge.gpuFabric(n.name, s);
        complete(n, o);
    }

    /** Records the attempt's end, then moves the node on or quarantines it. */
    private void complete(NodeRun n, StageOutcome o) {
        n.gen++;
        if (n.stage == Stage.GPU_FABRIC && o.state() == AttemptState.FAILED && !n.fabricRepeated
                && performanceOnly(o)) {
            // A bandwidth or latency figure below its minimum is confirmed by a repeat before the node fails (as the
            // agent does for burn-in); the node keeps its headroom, the repeat is attempt 2.
            n.fabricRepeated = true;
            finishAttempt(n, n.attempt, new StageOutcome(o.state(), o.verdict(), o.summary() + "; repeating to "
                    + "confirm", o.evidence(), o.findings(), o.reasons(), o.actions(), o.rma(), false));
            listener.note(n.name + ": " + Stage.GPU_FABRIC.id() + ": a performance finding (" + String.join(", ",
                    failingTests(o)) + "); running it again to confirm before failing the node");
            n.attempt = null;
            n.jobId = null;
            n.job = null;
            n.phase = Phase.READY;
            return;
        }
        finishAttempt(n, n.attempt, o);
        if (n.stage == Stage.GPU_FABRIC || (n.stage.highPower() && !o.passed())) {
            releaseHighPower(n);
        }
        if (!o.passed()) {
            n.unreachable |= o.unreachable();
            decide(n, NodeVerdict.Outcome.QUARANTINED, o.reasons(), o.actions(), o.rma(), o.unreachable());
            return;
        }
        n.notes.addAll(o.reasons());
        if (n.stage == Stage.GPU_FABRIC) {
            gpuFabricPassed.add(n.name);
        }
        advance(n);
    }

    /**
     * Every failing finding is a measured figure below its minimum (GPU-pair or host bandwidth and latency, RDMA
     * bandwidth, NCCL bus bandwidth), none a link down, an error counter, wrong results or a test that could not run:
     * only then can a repeat tell a transient dip from a fault.
     */
    static boolean performanceOnly(StageOutcome o) {
        boolean any = false;
        for (Object f : o.findings()) {
            if (f instanceof FabricFinding ff && FabricAttribution.failing(ff)) {
                if (!ff.performance() || !FabricFinding.FAIL.equals(ff.severity())) {
                    return false;
                }
                any = true;
            }
        }
        return any;
    }

    private static List<String> failingTests(StageOutcome o) {
        return o.findings().stream().filter(f -> f instanceof FabricFinding ff && FabricAttribution.failing(ff))
                .map(f -> ((FabricFinding) f).test()).distinct().toList();
    }

    private void finishAttempt(NodeRun n, StageAttempt a, StageOutcome o) {
        StageAttempt done = db.finishStage(a.id(), new StageResult(o.state(), o.verdict(), o.summary(),
                json(o.evidence()), json(o.findings())));
        n.recorded.put(Stage.valueOf(stageEnum(a.stage())), done);
        listener.stage(change(n, done, o.state(), o.verdict(), o.summary(), done.agentJobId()));
    }

    private static String stageEnum(String id) {
        for (Stage s : Stage.values()) {
            if (s.id().equals(id)) {
                return s.name();
            }
        }
        throw new IllegalArgumentException("unknown stage " + id);
    }

    private void releaseHighPower(NodeRun n) {
        if (!n.highReleased) {
            n.highReleased = true;
            scheduler.highPowerEnded(n.name, Duration.ofMillis(now()));
            released(n, true);
        }
    }

    private void advance(NodeRun n) {
        n.attempt = null;
        n.jobId = null;
        n.job = null;
        int next = n.stage.ordinal() + 1;
        while (next < Stage.values().length && resume != null && resume.passed(n.name, Stage.values()[next].id())) {
            next++;
        }
        if (next >= Stage.values().length) {
            decide(n, NodeVerdict.Outcome.ACCEPTED, n.notes, List.of(), List.of(), false);
            return;
        }
        n.stage = Stage.values()[next];
        n.phase = Phase.READY;
    }

    // --- verdicts and hooks --------------------------------------------------------------------------

    private void decide(NodeRun n, NodeVerdict.Outcome outcome, List<String> reasons, List<String> actions,
                        List<NodeVerdict.RmaPart> rma, boolean unreachable) {
        n.gen++;
        n.outcome = outcome;
        n.unreachable |= unreachable;
        VerdictRecord v = db.recordVerdict(new NodeVerdict(runId, n.name, n.rack, outcome, reasons, actions, rma));
        Path report = writeEvidence(n, v);
        Duration ttp = outcome == NodeVerdict.Outcome.ACCEPTED && n.firstContact != null
                ? Duration.between(n.firstContact, v.decidedAt()) : null;
        listener.verdict(new BringupListener.Verdict(v.decidedAt(), runId, n.name, n.rack, outcome, n.unreachable,
                n.stage, reasons, actions, rma, report, ttp));
        n.phase = Phase.DONE;
        if (n.pair != null) {
            activePairs.remove(n.pair);
            n.pair = null;
        }
        if (n.scheduled) {
            n.scheduled = false;
            scheduler.finished(n.name, Duration.ofMillis(now()));
            released(n, false);
        }
        if (outcome == NodeVerdict.Outcome.QUARANTINED) {
            if (budget.failed(n.name).isPresent()) {
                halt();
            }
        } else {
            budget.passed(n.name);
        }
        n.recorded.clear();
        if (hookFor(outcome) != null) {
            startHook(n, report);
        }
    }

    private String hookFor(NodeVerdict.Outcome o) {
        String h = o == NodeVerdict.Outcome.ACCEPTED ? settings.onAccepted() : settings.onQuarantined();
        return h == null || h.isBlank() ? null : h;
    }

    private static String hookName(NodeVerdict.Outcome o) {
        return o == NodeVerdict.Outcome.ACCEPTED ? Hooks.ON_ACCEPTED : Hooks.ON_QUARANTINED;
    }

    private void startHook(NodeRun n, Path report) {
        String name = hookName(n.outcome);
        String template = hookFor(n.outcome);
        Map<String, String> values = Hooks.values(n.name, n.rack, n.outcome.name().toLowerCase(java.util.Locale.ROOT),
                report, runId);
        CompletableFuture<Void> f = new CompletableFuture<>();
        hookRuns.add(f);
        hookPool.submit(() -> {
            Hooks.Result result;
            try {
                hookPermits.acquire();
                try {
                    result = Hooks.run(name, template, values, settings.hookTimeout());
                } finally {
                    hookPermits.release();
                }
            } catch (Throwable t) {
                result = new Hooks.Result(n.name, n.rack, name, template, null, false, "", Duration.ZERO,
                        String.valueOf(t));
            }
            Hooks.Result done = result;
            inbox.add(() -> {
                db.recordHook(new HookRun(runId, n.name, null, done.hook(), done.command(), done.exitCode(),
                        done.outputTail(), done.duration()));
                hookResults.add(done);
                listener.hook(done);
                f.complete(null);
            });
        });
    }

    /** The node's evidence file ({@link EvidenceFile}); a write that fails is noted, the database has it all. */
    private Path writeEvidence(NodeRun n, VerdictRecord v) {
        Path file = reportPath(n);
        try {
            EvidenceFile.write(file, runId, n.name, n.rack, n.unreachable, n.firstContact, v, n.recorded);
        } catch (IOException e) {
            listener.note(n.name + ": cannot write its evidence file " + file + ": " + e.getMessage()
                    + " (everything is in the results database: kiln history --node " + n.name + ")");
        }
        return file;
    }

    private Path reportPath(NodeRun n) {
        return settings.runDir().resolve(n.name + ".json");
    }

    private static String json(Object o) {
        return o == null ? null : KilnJson.write(o);
    }

    // --- network fabric ------------------------------------------------------------------------------

    /** Pairs each node that needs more network tests with a free peer, accepted peers first. */
    private void schedulePairs(long now) {
        for (NodeRun n : nodes.values()) {
            if (n.phase != Phase.PEERS || n.pair != null || busyAsServer(n.name) || n.driven >= settings.maxPeersPerNode()) {
                continue;
            }
            NodeRun peer = choosePeer(n);
            if (peer != null) {
                startPair(n, peer, now);
            }
        }
    }

    private boolean busyAsServer(String node) {
        for (Pair p : activePairs) {
            if (node.equals(p.serverName)) {
                return true;
            }
        }
        return false;
    }

    private boolean netBusy(NodeRun n) {
        return n.pair != null || busyAsServer(n.name);
    }

    private NodeRun choosePeer(NodeRun n) {
        NodeRun best = null;
        int bestRank = Integer.MAX_VALUE;
        for (NodeRun p : nodes.values()) {
            if (p == n || !gpuFabricPassed.contains(p.name) || p.outcome == NodeVerdict.Outcome.QUARANTINED
                    || p.phase == Phase.HELD || unusablePeers.contains(p.name) || n.tested.contains(p.name)
                    || netBusy(p)) {
                continue;
            }
            int rank = (p.outcome == NodeVerdict.Outcome.ACCEPTED ? 0 : 1_000_000) + p.served * 1000
                    + (p.rack.equals(n.rack) ? 0 : 1);
            if (rank < bestRank) {
                best = p;
                bestRank = rank;
            }
        }
        return best;
    }

    private void startPair(NodeRun driver, NodeRun server, long now) {
        Pair p = new Pair(driver, server);
        driver.pair = p;
        activePairs.add(p);
        driver.tested.add(server.name);
        server.tested.add(driver.name);
        driver.driven++;
        server.served++;
        long ttl = Math.min(3600, settings.networkPair().toSeconds() + 60 + 2 * Math.max(1,
                settings.requestTimeout().toSeconds()));
        int gen = driver.gen;
        api.openSession(server.target.node(), ttl).whenComplete((r, ex) -> inbox.add(() -> {
            NodeResult<FabricSession> s = r != null ? r : failed(server.target.node(), ex);
            if (driver.gen != gen || driver.pair != p || interruptReason != null) {
                return;
            }
            if (!s.ok()) {
                listener.note(driver.name + ": network test with " + server.name + " not run: no session on "
                        + server.name + ": " + s.error().message() + "; trying another peer");
                unusablePeers.add(server.name);
                endPair(p);
                return;
            }
            FabricSession session = s.body();
            String address = session.address();
            if (address == null || address.isBlank() || address.equals("0.0.0.0") || address.equals("::")
                    || address.equals("[::]")) {
                address = server.target.node().host();
            }
            FabricPeer peer = new FabricPeer(server.name, address, session.port(), session.token(), null, null);
            BurninRequest req = SpecRef.judged(new BurninRequest(BurninRequest.FABRIC, List.of(FabricTestIds.NETWORK),
                    List.of(), settings.networkPair().toSeconds(), false, null, peer), driver.target.spec());
            api.startJob(driver.target.node(), req).whenComplete((j, ex2) -> inbox.add(() -> {
                NodeResult<JobStatus> js = j != null ? j : failed(driver.target.node(), ex2);
                if (driver.gen != gen || driver.pair != p || interruptReason != null) {
                    return;
                }
                if (!js.ok()) {
                    endPair(p);
                    complete(driver, lost(driver, "POST /v1/jobs (network test with " + server.name + ")", js));
                    return;
                }
                p.jobId = js.body().id();
                p.job = js.body();
                p.pollAtMs = now() + settings.pollInterval().toMillis();
                p.deadlineMs = now() + pairDeadline().toMillis();
                driver.attempt = db.attachJob(driver.attempt.id(), p.jobId);
                if (js.body().state().terminal()) {
                    pairEnded(p, js.body());
                }
            }));
        }));
    }

    private void pollPairs(long now) {
        for (Pair p : List.copyOf(activePairs)) {
            if (p.jobId == null || p.pollBusy) {
                continue;
            }
            if (now > p.deadlineMs) {
                api.cancelJob(p.driver.target.node(), p.jobId);
                recordPair(p, null, "the test did not end within " + pairDeadline().toSeconds() + " s; kiln cancelled it");
                continue;
            }
            if (now < p.pollAtMs) {
                continue;
            }
            p.pollBusy = true;
            int gen = p.driver.gen;
            api.job(p.driver.target.node(), p.jobId).whenComplete((r, ex) -> inbox.add(() -> {
                p.pollBusy = false;
                if (p.driver.gen != gen || p.driver.pair != p || interruptReason != null) {
                    return;
                }
                NodeResult<JobStatus> s = r != null ? r : failed(p.driver.target.node(), ex);
                p.pollAtMs = now() + settings.pollInterval().toMillis();
                if (s.ok()) {
                    p.failedPolls = 0;
                    p.job = s.body();
                    if (s.body().state().terminal()) {
                        pairEnded(p, s.body());
                    }
                    return;
                }
                if (p.server == null && s.httpStatus() == 404) {
                    // Re-attached after a resume and the agent lost the job: test with peers afresh.
                    listener.note(p.driver.name + ": the agent no longer knows network job " + p.jobId
                            + "; choosing peers afresh");
                    endPair(p);
                    return;
                }
                if (++p.failedPolls >= 3) {
                    endPair(p);
                    complete(p.driver, lost(p.driver, "GET /v1/jobs/" + p.jobId + " (network test)", s));
                }
            }));
        }
    }

    private void pairEnded(Pair p, JobStatus s) {
        FabricResult r = Judge.result(s, FabricTestIds.NETWORK);
        if (p.server == null) {
            // re-attached: the peer is in the request the agent echoes, or in the result
            String peer = s.request() != null && s.request().peer() != null ? s.request().peer().node()
                    : r != null && !r.network().isEmpty() ? r.network().getFirst().peer() : null;
            p.serverName = peer;
            p.server = peer == null ? null : nodes.get(peer);
            if (p.server != null) {
                p.driver.tested.add(peer);
                p.server.tested.add(p.driver.name);
                p.driver.driven++;
            }
            if (peer == null) {
                endPair(p);
                return;
            }
        }
        if (r != null && !r.network().isEmpty()) {
            recordPair(p, r.network().getFirst(), null);
        } else {
            String why = r != null && r.reason() != null ? r.reason() : s.reason() != null ? s.reason()
                    : "the job ended " + s.state() + " without a network result";
            recordPair(p, null, why);
        }
    }

    private void recordPair(Pair p, NetworkResult result, String failure) {
        if (p.jobId == null || pairJobs.add(p.jobId)) {
            pairs.add(new PairRecord(p.driver.name, p.serverName, p.jobId, result, failure, Instant.now()));
        }
        endPair(p);
        judgeNetwork(false);
    }

    private void endPair(Pair p) {
        activePairs.remove(p);
        if (p.driver.pair == p) {
            p.driver.pair = null;
        }
    }

    /**
     * Judges every node waiting in its network stage over all pairs of the rollout ({@link NetworkJudging}): a bad node
     * fails, a node fine with two peers passes; with {@code end}, the others are judged against what exists.
     */
    private void judgeNetwork(boolean end) {
        FabricAttribution.Result attribution = FabricAttribution.attribute(
                pairs.stream().map(PairRecord::outcome).toList(), settings.minNetworkGbps(),
                settings.minNetworkSource(), rackOf);
        String noMorePeers = !end ? null : scheduler.pending() > 0 && !scheduler.halted()
                ? "no other peer could be tested before more nodes can start (max-parallel / max-per-rack full of "
                + "nodes waiting for peers)"
                : "no other node of this rollout passed GPU fabric and was free to be a peer";
        for (NodeRun n : nodes.values()) {
            if (n.phase != Phase.PEERS || netBusy(n)) {
                continue;
            }
            NetworkJudging.Decision d = NetworkJudging.judge(n.name, attribution, n.tested, this::latestPairJob, end,
                    noMorePeers);
            if (d == null) {
                continue;
            }
            if (d.note() != null) {
                listener.note(n.name + ": " + d.note());
            }
            complete(n, d.outcome());
        }
    }

    /** The agent job of the latest recorded test from {@code driver} to {@code server}, or null. */
    private String latestPairJob(String driver, String server) {
        String job = null;
        for (PairRecord r : pairs) {
            if (r.driver().equals(driver) && r.server().equals(server) && r.jobId() != null) {
                job = r.jobId();
            }
        }
        return job;
    }

    /** Nothing moves without judging: every node in flight waits for peers, none can be paired, none can start. */
    private boolean stalled(long now) {
        if (!activePairs.isEmpty()) {
            return false;
        }
        boolean waiting = false;
        for (NodeRun n : nodes.values()) {
            if (n.inFlight()) {
                if (n.phase != Phase.PEERS) {
                    return false;
                }
                waiting = true;
            }
        }
        if (!waiting) {
            return false;
        }
        if (scheduler.pending() > 0 && !scheduler.halted()) {
            Duration t = Duration.ofMillis(now);
            if (scheduler.nextStartable(t).isPresent() || scheduler.nextStartNotBefore(t).toMillis() > now) {
                return false;
            }
        }
        return true;
    }


    // --- leases ----------------------------------------------------------------------------------

    private void renewLeases() {
        Set<String> still = new HashSet<>(db.renew(runId, settings.leaseTtl()));
        for (NodeRun n : nodes.values()) {
            if (n.phase == Phase.HELD || n.phase == Phase.DONE || still.contains(n.name)) {
                continue;
            }
            Optional<Lease> by = db.holder(n.name);
            String who = by.map(Lease::describe).orElse("nobody (released)");
            listener.note(n.name + ": lease lost, now held by " + who + "; this run stops testing it");
            if (n.phase == Phase.PENDING) {
                scheduler.withdraw(n.name);
            } else {
                if (n.jobId != null) {
                    api.cancelJob(n.target.node(), n.jobId);
                }
                if (n.attempt != null && !n.attempt.state().finished()) {
                    finishAttempt(n, n.attempt, StageOutcome.error(n.stage, "lease taken over by " + who
                            + "; this run stopped testing the node", null, null, false));
                }
                if (n.pair != null) {
                    endPair(n.pair);
                }
                if (n.scheduled) {
                    n.scheduled = false;
                    scheduler.finished(n.name, Duration.ofMillis(now()));
                }
            }
            n.gen++;
            n.phase = Phase.HELD;
            n.heldBy = who;
            BringupListener.Held h = new BringupListener.Held(n.name, n.rack, who);
            held.add(h);
            listener.held(h);
        }
    }

    // --- progress and the end ---------------------------------------------------------------------

    private BringupListener.Progress progress() {
        int accepted = 0;
        int quarantined = 0;
        int inFlight = 0;
        int pending = 0;
        List<BringupListener.NodeLine> lines = new ArrayList<>();
        long now = now();
        for (NodeRun n : nodes.values()) {
            if (n.outcome == NodeVerdict.Outcome.ACCEPTED) {
                accepted++;
            } else if (n.outcome == NodeVerdict.Outcome.QUARANTINED) {
                quarantined++;
            } else if (n.phase == Phase.PENDING) {
                pending++;
            }
            if (n.inFlight()) {
                inFlight++;
                lines.add(new BringupListener.NodeLine(n.name, n.rack, n.wave, n.stage, status(n, now),
                        Duration.ofMillis(Math.max(0, now - n.stageSinceMs))));
            }
        }
        List<BringupListener.BudgetLine> budgets = new ArrayList<>();
        Map<String, Long> committed = scheduler.committedWatts();
        for (PowerBudget b : scheduler.budgets()) {
            budgets.add(new BringupListener.BudgetLine(b.id(), committed.getOrDefault(b.key(), 0L),
                    PowerModel.limitWatts(b)));
        }
        return new BringupListener.Progress(runId, Duration.ofMillis(now), nodes.size(), accepted, quarantined,
                inFlight, pending, held.size(), wave, scheduler.halted(), lines, budgets);
    }

    private String status(NodeRun n, long now) {
        return switch (n.phase) {
            case READY, REQUEST -> "running";
            case RETRY_WAIT -> "no answer yet, try " + (n.tries + 1) + " of " + settings.reachableTries();
            case SLOT_WAIT -> "waiting " + Math.max(1, (n.slotAtMs - now + 999) / 1000) + " s for its burn-in slot (stagger)";
            case JOB -> n.job == null ? "job " + n.jobId : "job " + n.jobId + " " + n.job.state() + " "
                    + Math.round(n.job.progress() * 100) + "%" + (n.job.current() == null ? "" : " " + n.job.current());
            case PEERS -> n.pair != null ? "testing with " + (n.pair.serverName == null ? "a peer" : n.pair.serverName)
                    : busyAsServer(n.name) ? "serving a peer's test" : n.driven >= settings.maxPeersPerNode()
                    ? "waiting for the other tests to judge it" : "waiting for a free peer (" + n.tested.size()
                    + " tested)";
            default -> n.phase.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private BringupListener.StageChange change(NodeRun n, StageAttempt a, AttemptState state, String verdict,
                                               String summary, String jobId) {
        return new BringupListener.StageChange(Instant.now(), runId, n.name, n.rack, n.wave,
                Stage.valueOf(stageEnum(a.stage())), a.attempt(), state, verdict, summary, jobId, a.estimatedWatts(),
                null);
    }

    private RolloutSummary interrupted() {
        db.markInterrupted(runId, interruptReason);
        int running = (int) nodes.values().stream().filter(n -> n.phase == Phase.JOB || n.pair != null).count();
        listener.note("interrupted (" + interruptReason + "): " + running + " job" + (running == 1 ? "" : "s")
                + " left running on their agents; the leases hold for " + settings.leaseTtl().toSeconds()
                + " s; continue with: kiln bringup --resume " + runId);
        RolloutSummary s = summary(INTERRUPTED, "interrupted: resume with kiln bringup --resume " + runId, true);
        listener.finished(s);
        return s;
    }

    /**
     * Whether a quarantine reason says the node could not be reached (exit 4): at the reachable stage, no answer or no
     * usable one; later, a request without any HTTP answer.
     */
    static boolean unreachableReason(String reason) {
        return reason.startsWith(Stage.REACHABLE.id() + ": unreachable") || reason.startsWith(Stage.REACHABLE.id()
                + ": no usable answer") || reason.contains(" failed: unreachable: ")
                || reason.contains("): unreachable: ");
    }

    private RolloutSummary finish() {
        awaitHooks();
        int accepted = 0;
        int quarantined = 0;
        boolean unreachable = false;
        for (NodeRun n : nodes.values()) {
            if (n.outcome == NodeVerdict.Outcome.ACCEPTED) {
                accepted++;
            } else if (n.outcome == NodeVerdict.Outcome.QUARANTINED) {
                quarantined++;
                unreachable |= n.unreachable;
            }
        }
        boolean hookFailed = hookResults.stream().anyMatch(h -> !h.ok());
        int exit;
        String why;
        if (budget.halted()) {
            exit = dev.kiln.cli.ExitCodes.ROLLOUT_HALTED;
            why = "halted by the failure budget: " + budget.halt().map(FailureBudget.Halt::reason).orElse("");
        } else if (unreachable) {
            exit = dev.kiln.cli.ExitCodes.UNREACHABLE;
            why = "a node was unreachable";
        } else if (quarantined > 0 || hookFailed) {
            exit = dev.kiln.cli.ExitCodes.CHECK_FAILED;
            why = quarantined > 0 ? quarantined + " node" + (quarantined == 1 ? "" : "s") + " quarantined"
                    + (hookFailed ? "; a hook failed" : "") : "a hook failed";
        } else {
            exit = dev.kiln.cli.ExitCodes.OK;
            why = accepted + " node" + (accepted == 1 ? "" : "s") + " accepted";
        }
        RolloutSummary s = summary(exit, why, false);
        db.finishRun(runId, exit, accepted + " accepted, " + quarantined + " quarantined" + (held.isEmpty() ? ""
                : ", " + held.size() + " held by other runs") + (s.notStarted().isEmpty() ? "" : ", "
                + s.notStarted().size() + " not started") + "; " + why);
        listener.finished(s);
        return s;
    }

    private void awaitHooks() {
        while (hookRuns.stream().anyMatch(f -> !f.isDone())) {
            try {
                Runnable r = inbox.poll(200, TimeUnit.MILLISECONDS);
                if (r != null) {
                    r.run();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        drain();
    }

    private RolloutSummary summary(int exit, String why, boolean interrupted) {
        List<BringupListener.Verdict> verdicts = new ArrayList<>();
        List<Duration> ttps = new ArrayList<>();
        String slowest = null;
        Duration slowestTtp = null;
        Instant firstContact = null;
        Instant lastAccept = null;
        Map<String, VerdictRecord> recorded = new HashMap<>();
        for (VerdictRecord v : db.verdicts(runId)) {
            recorded.put(v.verdict().node(), v);
        }
        int accepted = 0;
        int quarantined = 0;
        int unreachable = 0;
        List<String> notStarted = new ArrayList<>();
        for (NodeRun n : nodes.values()) {
            if (n.firstContact != null && (firstContact == null || n.firstContact.isBefore(firstContact))) {
                firstContact = n.firstContact;
            }
            VerdictRecord v = recorded.get(n.name);
            if (v == null) {
                if (n.phase == Phase.PENDING) {
                    notStarted.add(n.name);
                }
                continue;
            }
            Duration ttp = null;
            if (v.verdict().outcome() == NodeVerdict.Outcome.ACCEPTED) {
                accepted++;
                if (n.firstContact != null) {
                    ttp = Duration.between(n.firstContact, v.decidedAt());
                    ttps.add(ttp);
                    if (slowestTtp == null || ttp.compareTo(slowestTtp) > 0) {
                        slowestTtp = ttp;
                        slowest = n.name;
                    }
                }
                if (lastAccept == null || v.decidedAt().isAfter(lastAccept)) {
                    lastAccept = v.decidedAt();
                }
            } else {
                quarantined++;
                if (n.unreachable) {
                    unreachable++;
                }
            }
            verdicts.add(new BringupListener.Verdict(v.decidedAt(), runId, n.name, n.rack, v.verdict().outcome(),
                    n.unreachable, null, v.verdict().reasons(), v.verdict().actions(), v.verdict().rma(),
                    reportPath(n), ttp));
        }
        ttps.sort(Comparator.naturalOrder());
        Double throughput = null;
        if (firstContact != null && lastAccept != null && lastAccept.isAfter(firstContact)) {
            double hours = Duration.between(firstContact, lastAccept).toMillis() / 3_600_000.0;
            throughput = accepted / hours;
        }
        Map<String, List<PowerBudget>> budgetsOf = new LinkedHashMap<>();
        Map<String, Long> idleOf = new HashMap<>();
        for (NodeRun n : nodes.values()) {
            if (n.phase == Phase.HELD && n.firstContact == null) {
                continue; // counted outside, at full draw
            }
            List<PowerBudget> bs = rollout.power().enclosing(n.rack);
            if (!bs.isEmpty() && n.load.known()) {
                budgetsOf.put(n.name, bs);
                idleOf.put(n.name, n.load.idleWatts());
            }
        }
        List<RolloutSummary.BudgetPeak> peaks = RolloutSummary.replay(db.events(runId), scheduler.budgets(),
                budgetsOf, idleOf, outsideLoad);
        return new RolloutSummary(runId, exit, why, interrupted, nodes.size(), accepted, quarantined, unreachable, held,
                notStarted, budget.halt().map(FailureBudget.Halt::reason).orElse(null),
                Duration.ofMillis(now()), RolloutSummary.percentile(ttps, 0.5), RolloutSummary.percentile(ttps, 0.9),
                ttps.isEmpty() ? null : ttps.getLast(), slowest, throughput, peaks, hookResults.size(),
                hookResults.stream().filter(h -> !h.ok()).toList(), verdicts, settings.runDir(), db.url());
    }
}
