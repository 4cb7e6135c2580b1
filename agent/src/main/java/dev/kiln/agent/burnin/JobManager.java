package dev.kiln.agent.burnin;

import dev.kiln.agent.checks.SpecResolver;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.agent.core.AtomicFiles;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.ProtocolVersion;
import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.burnin.BurninTestIds;
import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.JobState;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.burnin.TelemetrySample;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.spec.BuiltinSpecs;
import dev.kiln.protocol.spec.NodeSpec;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * One node's burn-in jobs: at most one runs at a time, in a supervised child process
 * ({@link BurninSupervisor}). Jobs are kept in {@code <stateDir>/jobs/<id>.json} (written atomically;
 * the last {@value #TELEMETRY_KEPT} telemetry samples kept in it) with every worker line in
 * {@code <id>.jsonl}; a job found RUNNING or QUEUED at start becomes INTERRUPTED. Without a state
 * directory, jobs live in a temporary directory made when the first job starts. No threads until a job runs.
 */
public final class JobManager implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(JobManager.class.getName());
    public static final int TELEMETRY_KEPT = 256;
    /** Finished jobs kept (in memory and on disk); older ones are removed, so a node's state never grows unbounded. */
    public static final int JOBS_KEPT = 100;
    static final int EVENTS_KEPT = 20_000;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,80}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9_.:\\[\\]-]{1,253}");
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss")
            .withZone(ZoneOffset.UTC);
    static final long MAX_DURATION_SECONDS = 7 * 24 * 3600;

    /** How the worker is built for this node: a simulated preset and its burn-in faults, or real GPUs. */
    public record Backend(String kind, String preset, List<Fault> faults) {
        public Backend {
            faults = faults == null ? List.of() : faults.stream().filter(Backend::forWorker).toList();
        }

        /** Faults the worker acts on: burn-in and fabric faults, and those that change the GPU links it measures. */
        static boolean forWorker(Fault f) {
            return f instanceof Fault.Burnin || f instanceof Fault.Fabric || f instanceof Fault.NvlinkDown
                    || f instanceof Fault.PcieDowntrained || f instanceof Fault.GpuMissing;
        }

        public static Backend simulated(String preset, List<Fault> faults) {
            return new Backend(WorkerJob.SIMULATED, preset, faults);
        }

        public static Backend cuda() {
            return new Backend(WorkerJob.CUDA, null, List.of());
        }
    }

    /** One event of a job, as sent on {@code GET /v1/jobs/{id}/events}: its type and JSON data. */
    public record JobEvent(long seq, String type, String json) {
    }

    /** What a subscriber got: the events so far, and whether the job has already ended. */
    public record Subscription(List<JobEvent> backlog, boolean ended, Runnable cancel) {
    }

    private final class Job {
        final String id;
        final BurninRequest request;
        final Instant createdAt;
        JobState state;
        Instant startedAt;
        Instant finishedAt;
        double progress;
        String current;
        String reason;
        final List<GpuTestResult> results = new ArrayList<>();
        final List<dev.kiln.protocol.fabric.FabricResult> fabric = new ArrayList<>();
        final ArrayDeque<TelemetrySample> telemetry = new ArrayDeque<>();
        final ArrayDeque<JobEvent> events = new ArrayDeque<>();
        final List<Listener> listeners = new ArrayList<>();
        long seq;
        BurninSupervisor supervisor;
        BufferedWriter lines;
        long lastSavedNanos;

        Job(String id, BurninRequest request, Instant createdAt) {
            this.id = id;
            this.request = request;
            this.createdAt = createdAt;
        }

        JobStatus status() {
            return new JobStatus(ProtocolVersion.SCHEMA_VERSION, JobStatus.KIND, id, node, request, state, createdAt,
                    startedAt, finishedAt, progress, current, reason, List.copyOf(results), List.copyOf(telemetry),
                    List.copyOf(fabric));
        }
    }

    private record Listener(Consumer<JobEvent> onEvent, Runnable onEnd) {
    }

    private final String node;
    private final JobStore store;
    private final Backend backend;
    private final Supplier<InventoryDocument> inventory;
    private final Map<String, Job> jobs = new LinkedHashMap<>();   // guarded by this
    private volatile String fabricSysfsRoot;
    private volatile List<String> fabricToolsPath = List.of();
    private volatile String ncclLauncher;
    private Job running;                                           // guarded by this

    /**
     * @param stateDir  where jobs persist ({@code jobs/} below it); empty: a temporary directory
     * @param inventory a fresh inventory (GPU identities and their compute processes)
     */
    public JobManager(String node, Optional<Path> stateDir, Backend backend, Supplier<InventoryDocument> inventory) {
        this.node = node;
        this.store = new JobStore(stateDir);
        this.backend = backend;
        this.inventory = inventory;
        load();
    }

    /**
     * Where fabric jobs on a real node read InfiniBand ports ({@code /sys} by default), find perftest and
     * nccl-tests (before PATH), and the MPI launcher template for nccl-tests across nodes (null: none).
     */
    public void configureFabric(String sysfsRoot, List<String> toolsPath, String ncclLauncher) {
        this.fabricSysfsRoot = sysfsRoot;
        this.fabricToolsPath = toolsPath == null ? List.of() : List.copyOf(toolsPath);
        this.ncclLauncher = ncclLauncher;
    }

    // --- reading ----------------------------------------------------------------------------

    public synchronized List<JobStatus> list() {
        return jobs.values().stream().map(Job::status).toList();
    }

    public synchronized Optional<JobStatus> get(String id) {
        return Optional.ofNullable(jobs.get(id)).map(Job::status);
    }

    /** Storage notes (jobs in a temporary directory, unreadable job files). */
    public synchronized List<String> notes() {
        return store.notes();
    }

    /**
     * The job's events so far and, unless it has ended, a subscription to the next ones: {@code onEvent}
     * for each, then {@code onEnd} once. Both are called under the manager's lock, in order; keep them short.
     */
    public synchronized Subscription subscribe(String id, Consumer<JobEvent> onEvent, Runnable onEnd) {
        Job job = find(id);
        List<JobEvent> backlog = List.copyOf(job.events);
        if (job.state.terminal()) {
            return new Subscription(backlog, true, () -> { });
        }
        Listener l = new Listener(onEvent, onEnd);
        job.listeners.add(l);
        return new Subscription(backlog, false, () -> {
            synchronized (JobManager.this) {
                job.listeners.remove(l);
            }
        });
    }

    private Job find(String id) {
        Job job = id == null || !ID.matcher(id).matches() ? null : jobs.get(id);
        if (job == null) {
            throw new JobException(404, "not_found", "no job '" + id + "' on node " + node + "; see GET /v1/jobs");
        }
        return job;
    }

    // --- starting ---------------------------------------------------------------------------

    /** Validates {@code request}, refuses busy GPUs, and starts the worker; the job is RUNNING when this returns. */
    public JobStatus start(BurninRequest request) {
        if (request == null) {
            throw new JobException(400, "bad_request", "request body is missing; send a burn-in request");
        }
        if (request.type() != null && !BurninRequest.TYPE.equals(request.type())
                && !BurninRequest.FABRIC.equals(request.type())) {
            throw new JobException(400, "bad_request", "unknown job type '" + request.type()
                    + "'; expected 'burnin' or 'fabric'");
        }
        boolean fabric = request.fabric();
        List<String> known = fabric ? FabricTestIds.DEFAULT_ORDER : BurninTestIds.DEFAULT_ORDER;
        for (String t : request.tests()) {
            if (!known.contains(t)) {
                throw new JobException(400, "bad_request", "unknown " + (fabric ? "fabric" : "burn-in") + " test '"
                        + t + "'" + dev.kiln.protocol.spec.Suggestions.closest(t, known)
                        .map(c -> " (did you mean '" + c + "'?)").orElse("") + "; known tests: " + known);
            }
        }
        if (!fabric && request.peer() != null) {
            throw new JobException(400, "bad_request", "'peer' is for fabric jobs; a burn-in has no peer");
        }
        if (fabric && request.peer() == null && request.tests().stream().anyMatch(FabricTestIds.NEED_PEER::contains)) {
            throw new JobException(400, "bad_request", "test(s) " + FabricTestIds.NEED_PEER + " need a 'peer' (node, "
                    + "address, port and token of a session opened with POST /v1/fabric/sessions on that agent)");
        }
        if (!request.ncclHosts().isEmpty()) {
            if (!fabric) {
                throw new JobException(400, "bad_request", "'ncclHosts' is for fabric jobs");
            }
            if (!request.tests().isEmpty() && !request.tests().contains(FabricTestIds.NCCL)) {
                throw new JobException(400, "bad_request", "'ncclHosts' runs fabric.nccl across nodes; add it to 'tests'");
            }
            if (request.ncclHosts().size() > 4096 || request.ncclHosts().stream()
                    .anyMatch(h -> h == null || !HOST.matcher(h).matches())) {
                throw new JobException(400, "bad_request", "'ncclHosts' must be up to 4096 host names or addresses "
                        + "(letters, digits, '.', '-', ':', '_'), got " + request.ncclHosts());
            }
        }
        if (fabric && request.peer() != null && (request.peer().address() == null || request.peer().port() <= 0
                || request.peer().port() > 65535 || request.peer().token() == null)) {
            throw new JobException(400, "bad_request", "'peer' needs 'address', 'port' (1-65535) and 'token'");
        }
        if (new HashSet<>(request.tests()).size() != request.tests().size()) {
            throw new JobException(400, "bad_request", "a test is named twice in 'tests': " + request.tests());
        }
        if (request.durationSeconds() < 1 || request.durationSeconds() > MAX_DURATION_SECONDS) {
            throw new JobException(400, "bad_request", "'durationSeconds' must be between 1 and " + MAX_DURATION_SECONDS
                    + ", got " + request.durationSeconds());
        }
        if (request.spec() != null && request.specName() != null) {
            throw new JobException(400, "bad_request", "give 'specName' (a built-in spec) or 'spec' (a whole spec), "
                    + "not both");
        }
        JudgingSpec judging = request.spec() != null ? JudgingSpec.of(request.spec()) : judgingSpec(request.specName());
        synchronized (this) {
            if (running != null) {
                throw busy();
            }
        }
        InventoryDocument inv = inventory.get();
        Map<Integer, GpuInventory> byIndex = new LinkedHashMap<>();
        inv.gpus().forEach(g -> byIndex.put(g.index(), g));
        for (int g : request.gpus()) {
            if (!byIndex.containsKey(g)) {
                throw new JobException(400, "bad_request", "no GPU " + g + " on node " + node + "; its GPUs are "
                        + byIndex.keySet());
            }
        }
        if (new HashSet<>(request.gpus()).size() != request.gpus().size()) {
            throw new JobException(400, "bad_request", "a GPU is named twice in 'gpus': " + request.gpus());
        }
        List<GpuInventory> selected = request.gpus().isEmpty() ? List.copyOf(byIndex.values())
                : request.gpus().stream().map(byIndex::get).toList();
        List<String> tests = !request.tests().isEmpty() ? request.tests() : fabric
                ? FabricTestIds.DEFAULT_ORDER.stream().filter(t -> request.peer() != null
                        || !FabricTestIds.NEED_PEER.contains(t)).toList()
                : BurninTestIds.DEFAULT_ORDER;
        // Only burn-in and peer copies load the GPUs; NVLink counters, NICs and ports can be read beside someone's job.
        boolean loadsGpus = !fabric || tests.contains(FabricTestIds.P2P) || tests.contains(FabricTestIds.NCCL);
        if (selected.isEmpty() && loadsGpus) {
            throw new JobException(409, "no_gpus", "node " + node + " has no GPUs to burn in");
        }
        List<String> busy = new ArrayList<>();
        for (GpuInventory g : loadsGpus ? selected : List.<GpuInventory>of()) {
            if (!GpuInventory.STATE_OK.equals(g.state())) {
                throw new JobException(409, "gpu_unavailable", "GPU " + g.index() + " is " + g.state()
                        + "; a " + (fabric ? "fabric test" : "burn-in") + " cannot run on it");
            }
            if (g.processes() != null) {
                for (GpuInventory.Process p : g.processes()) {
                    busy.add("GPU " + g.index() + " runs compute process pid " + p.pid());
                }
            }
        }
        if (!busy.isEmpty() && !request.force()) {
            throw new JobException(409, "gpu_busy", String.join("; ", busy) + " (someone's job); stop it, or send "
                    + "\"force\": true to burn in anyway");
        }
        List<BurninBackend.GpuRef> refs = selected.stream().map(g -> new BurninBackend.GpuRef(g.index(), g.uuid(),
                g.serial(), g.pci() == null ? null : g.pci().busId(), g.name())).toList();
        BurninRequest effective = new BurninRequest(fabric ? BurninRequest.FABRIC : BurninRequest.TYPE, tests,
                refs.stream().map(BurninBackend.GpuRef::index).toList(), request.durationSeconds(), request.force(),
                // An inline spec is kept by name only: its thresholds went to the worker, and a status carrying the
                // whole spec on every poll would be noise.
                request.spec() != null ? request.spec().name() : request.specName(), request.peer(),
                request.ncclHosts());
        synchronized (this) {
            if (running != null) {
                throw busy();
            }
            Path jobsDir = store.dir();
            Instant now = Instant.now();
            String id = (fabric ? "fabric-" : "burnin-") + ID_TIME.format(now) + "-" + String.format("%04x",
                    ThreadLocalRandom.current().nextInt(0x10000));
            Job job = new Job(id, effective, now);
            job.state = JobState.RUNNING;
            job.startedAt = now;
            job.current = "starting the " + (fabric ? "fabric" : "burn-in") + " worker";
            jobs.put(id, job);
            try {
                launch(job, jobsDir, refs, tests, judging);
            } catch (IOException | RuntimeException e) {
                job.state = JobState.ERROR;
                job.finishedAt = Instant.now();
                job.current = null;
                job.reason = "the burn-in worker could not be started: " + e.getMessage();
                LOG.log(Level.WARNING, job.reason, e);
                save(job);
                return job.status();
            }
            running = job;
            LOG.info(() -> (fabric ? "fabric job " : "burn-in job ") + id + " on " + node + " started: tests " + tests
                    + ", GPUs " + effective.gpus() + ", " + request.durationSeconds() + " s"
                    + (request.peer() == null ? "" : ", peer " + request.peer()));
            emit(job, "state", job.status());
            save(job);
            return job.status();
        }
    }

    private JobException busy() {
        return new JobException(409, "job_running", "job " + running.id + " is running on node " + node
                + "; one burn-in at a time: wait for it or cancel it (DELETE /v1/jobs/" + running.id + ")");
    }

    /** Timings scaled to the job: a 2-second test job is supervised as tightly as a 30-minute one is loosely. */
    record Settings(long settleMillis, long telemetryMillis, long heartbeatMillis, long stallMillis,
                    Duration heartbeatTimeout, Duration deadline, Duration killGrace) {
        static Settings forDuration(long seconds, int tests) {
            long ms = seconds * 1000;
            long settle = clamp(ms / 50, 50, 10_000);
            long telemetry = clamp(ms / 8, 250, 1000);
            long stall = clamp(ms / 4, 500, 20_000);
            Duration timeout = Duration.ofMillis(clamp(ms * 3 / 4, 1_500, 30_000));
            // Room for a confirming repeat of every test, the settle pauses and the worker's start.
            Duration deadline = Duration.ofMillis(2 * ms + settle * tests + 60_000);
            return new Settings(settle, telemetry, 250, stall, timeout, deadline, Duration.ofSeconds(2));
        }

        private static long clamp(long v, long lo, long hi) {
            return Math.max(lo, Math.min(hi, v));
        }
    }

    /** The spec whose burn-in minimums judge a job: its name and its {@code burnin} section (either may be null). */
    record JudgingSpec(String name, NodeSpec.BurninSpec burnin, NodeSpec.FabricSpec fabric, Integer nvlinks) {
        static final JudgingSpec NONE = new JudgingSpec(null, null, null, null);

        static JudgingSpec of(NodeSpec spec) {
            return new JudgingSpec(spec.name(), spec.burnin(), spec.fabric(),
                    spec.gpu() == null ? null : spec.gpu().nvlinks());
        }
    }

    /**
     * The spec named in the request (built-in names only, like the checks API), or on a simulated node
     * the preset's built-in spec, as the checks use by default; none on real hardware without a name,
     * so Kiln's per-model defaults judge. An unknown name is refused.
     */
    JudgingSpec judgingSpec(String specName) {
        if (specName != null) {
            try {
                NodeSpec spec = SpecResolver.builtin(specName);
                return JudgingSpec.of(spec);
            } catch (IllegalArgumentException e) {
                throw new JobException(400, "bad_request", "'specName': " + e.getMessage());
            }
        }
        if (WorkerJob.SIMULATED.equals(backend.kind()) && backend.preset() != null) {
            return BuiltinSpecs.find(backend.preset()).map(JudgingSpec::of).orElse(JudgingSpec.NONE);
        }
        return JudgingSpec.NONE;
    }

    private void launch(Job job, Path jobsDir, List<BurninBackend.GpuRef> refs, List<String> tests,
                        JudgingSpec judging) throws IOException {
        Settings s = Settings.forDuration(job.request.durationSeconds(), tests.size());
        String faultsFile = null;
        if (!backend.faults().isEmpty()) {
            Path f = jobsDir.resolve(job.id + ".faults.yaml");
            AtomicFiles.write(f, BurninFaults.toYaml(backend.faults()).getBytes(StandardCharsets.UTF_8));
            faultsFile = f.toString();
        }
        WorkerJob wj = new WorkerJob(1, job.id, node, job.request, backend.kind(), backend.preset(), faultsFile, refs,
                tests, job.request.durationSeconds() * 1000, s.settleMillis(), s.telemetryMillis(),
                s.heartbeatMillis(), s.stallMillis(), judging.name(), judging.burnin(),
                job.request.fabric() ? new WorkerJob.FabricOptions(judging.fabric(), judging.nvlinks(), fabricSysfsRoot,
                        fabricToolsPath, ncclLauncher) : null);
        Path jobFile = jobsDir.resolve(job.id + ".worker.json");
        AtomicFiles.write(jobFile, KilnJson.pretty().writeValueAsBytes(wj));
        job.lines = Files.newBufferedWriter(jobsDir.resolve(job.id + ".jsonl"), StandardCharsets.UTF_8);
        job.supervisor = BurninSupervisor.start(BurninSupervisor.workerCommand(jobFile),
                jobsDir.resolve(job.id + ".worker.log"),
                new BurninSupervisor.Timing(s.heartbeatTimeout(), s.deadline(), s.killGrace()),
                new BurninSupervisor.Listener() {
                    public void line(WorkerLine line) {
                        onLine(job, line);
                    }

                    public void ended(JobState state, String reason) {
                        onEnded(job, state, reason);
                    }
                });
    }

    // --- what the worker says ---------------------------------------------------------------

    private synchronized void onLine(Job job, WorkerLine line) {
        if (job.state.terminal() || WorkerLine.HEARTBEAT.equals(line.type())) {
            return;
        }
        try {
            job.lines.write(KilnJson.mapper().writeValueAsString(line));
            job.lines.newLine();
        } catch (IOException e) {
            // The jsonl copy is a convenience; the job file keeps results and recent telemetry.
        }
        switch (line.type()) {
            case WorkerLine.PROGRESS -> {
                job.progress = line.progress() == null ? job.progress : line.progress();
                job.current = line.current();
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("progress", job.progress);
                p.put("current", job.current);
                emit(job, "progress", p);
                if (System.nanoTime() - job.lastSavedNanos > 2_000_000_000L) {
                    save(job);
                }
            }
            case WorkerLine.TELEMETRY -> {
                if (line.telemetry() != null) {
                    job.telemetry.addLast(line.telemetry());
                    while (job.telemetry.size() > TELEMETRY_KEPT) {
                        job.telemetry.removeFirst();
                    }
                    emit(job, "telemetry", line.telemetry());
                }
            }
            case WorkerLine.FABRIC -> {
                if (line.fabric() != null) {
                    job.fabric.add(line.fabric());
                    emit(job, "fabric", line.fabric());
                    save(job);
                }
            }
            case WorkerLine.RESULT -> {
                if (line.result() != null) {
                    job.results.add(line.result());
                    emit(job, "result", line.result());
                    save(job);
                }
            }
            default -> {
                // done and error are judged when the worker has exited (BurninSupervisor.Listener#ended).
            }
        }
    }

    private void onEnded(Job job, JobState state, String reason) {
        List<Listener> toEnd;
        synchronized (this) {
            if (job.state.terminal()) {
                return;
            }
            job.state = state;
            job.reason = reason;
            job.finishedAt = Instant.now();
            job.current = null;
            if (state == JobState.PASSED) {
                job.progress = 1.0;
            }
            try {
                job.lines.close();
            } catch (IOException e) {
                // Nothing more to write.
            }
            if (running == job) {
                running = null;
            }
            emit(job, "state", job.status());
            save(job);
            forgetOldEvents();
            prune();
            toEnd = List.copyOf(job.listeners);
            job.listeners.clear();
            for (Listener l : toEnd) {
                l.onEnd().run();
            }
        }
        LOG.info(() -> (job.request.fabric() ? "fabric job " : "burn-in job ") + job.id + " on " + node + " ended " + state + (reason == null ? "" : ": " + reason));
    }

    /** Adds an event to the job's stream and tells the subscribers; caller holds the lock. */
    private void emit(Job job, String type, Object data) {
        String json;
        try {
            json = KilnJson.mapper().writeValueAsString(data);
        } catch (IOException e) {
            return;
        }
        JobEvent e = new JobEvent(++job.seq, type, json);
        job.events.addLast(e);
        while (job.events.size() > EVENTS_KEPT) {
            job.events.removeFirst();
        }
        for (Listener l : job.listeners) {
            l.onEvent().accept(e);
        }
    }

    /**
     * Keeps the full event stream of the last {@value #ENDED_STREAMS_KEPT} ended jobs only; older ones
     * keep their final state event (their results and recent telemetry stay in the job, the full
     * series in {@code <id>.jsonl}). Caller holds the lock.
     */
    private void forgetOldEvents() {
        List<Job> ended = jobs.values().stream().filter(j -> j.state.terminal() && j.events.size() > 1).toList();
        for (int i = 0; i < ended.size() - ENDED_STREAMS_KEPT; i++) {
            Job old = ended.get(i);
            JobEvent last = old.events.peekLast();
            old.events.clear();
            old.events.addLast(last);
        }
    }

    static final int ENDED_STREAMS_KEPT = 3;

    // --- cancel and close -------------------------------------------------------------------

    /**
     * Cancels a running job: the worker is killed (SIGTERM, SIGKILL after 2 s) and the job ends CANCELLED.
     * Blocks until it has ended (a few seconds at most). A job that has ended is a 409.
     */
    public JobStatus cancel(String id) {
        BurninSupervisor sup;
        synchronized (this) {
            Job job = find(id);
            if (job.state.terminal()) {
                throw new JobException(409, "job_ended", "job " + id + " has already ended (" + job.state + ")");
            }
            sup = job.supervisor;
        }
        if (sup != null) {
            sup.cancel();
        }
        long until = System.nanoTime() + 5_000_000_000L;
        synchronized (this) {
            Job job = jobs.get(id);
            while (!job.state.terminal() && System.nanoTime() < until) {
                try {
                    wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return job.status();
        }
    }

    /** Kills a running worker; its job becomes INTERRUPTED (the agent stopped). */
    @Override
    public void close() {
        Job job;
        synchronized (this) {
            job = running;
            // Re-checked under the same lock that ends jobs: never overwrite a verdict that just landed.
            if (job == null || job.supervisor == null || job.state.terminal()) {
                return;
            }
        }
        {
            synchronized (this) {
                if (running != job || job.state.terminal()) {
                    return;
                }
                job.state = JobState.INTERRUPTED;
                job.reason = "the agent stopped while this job ran";
                job.finishedAt = Instant.now();
                job.current = null;
                running = null;
                try {
                    job.lines.close();
                } catch (IOException e) {
                    // Nothing more to write.
                }
                emit(job, "state", job.status());
                save(job);
                job.listeners.forEach(l -> l.onEnd().run());
                job.listeners.clear();
            }
            job.supervisor.cancel();
        }
    }

    // --- persistence ------------------------------------------------------------------------

    /** Writes the job file; a failed write is logged and noted, never fatal. Caller holds the lock. */
    private void save(Job job) {
        notifyAll();
        job.lastSavedNanos = System.nanoTime();
        store.write(job.status());
    }

    private synchronized void load() {
        List<JobStatus> found = new ArrayList<>(store.readAll());
        found.sort(Comparator.comparing(JobStatus::createdAt, Comparator.nullsFirst(Comparator.naturalOrder())));
        for (JobStatus s : found) {
            Job job = new Job(s.id(), s.request(), s.createdAt());
            job.state = s.state();
            job.startedAt = s.startedAt();
            job.finishedAt = s.finishedAt();
            job.progress = s.progress();
            job.current = s.current();
            job.reason = s.reason();
            if (s.results() != null) {
                job.results.addAll(s.results());
            }
            job.fabric.addAll(s.fabric());
            if (s.telemetry() != null) {
                job.telemetry.addAll(s.telemetry());
            }
            if (!job.state.terminal()) {
                job.state = JobState.INTERRUPTED;
                job.reason = "the agent restarted while this job ran";
                job.finishedAt = Instant.now();
                job.current = null;
                save(job);
            }
            emit(job, "state", job.status());
            jobs.put(job.id, job);
        }
        prune();
    }

    /** Drops the oldest finished jobs beyond {@value #JOBS_KEPT}, with their files. Caller holds the lock. */
    private void prune() {
        List<Job> finished = jobs.values().stream().filter(j -> j.state.terminal()).toList();
        for (int i = 0; i < finished.size() - JOBS_KEPT; i++) {
            Job old = finished.get(i);
            jobs.remove(old.id);
            store.delete(old.id);
        }
    }

    /** For tests: the running job's worker pid, if a job runs. */
    synchronized Optional<Long> runningWorkerPid() {
        return running == null || running.supervisor == null ? Optional.empty() : Optional.of(running.supervisor.pid());
    }

    static Set<String> knownTests() {
        return Set.copyOf(BurninTestIds.DEFAULT_ORDER);
    }
}
