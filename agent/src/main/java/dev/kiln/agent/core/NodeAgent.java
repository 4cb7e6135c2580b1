package dev.kiln.agent.core;

import dev.kiln.agent.burnin.JobManager;
import dev.kiln.agent.checks.Check;
import dev.kiln.agent.checks.CheckContext;
import dev.kiln.agent.checks.CheckRunner;
import dev.kiln.agent.checks.RecentEvents;
import dev.kiln.agent.events.EventLog;
import dev.kiln.agent.events.EventOptions;
import dev.kiln.agent.events.EventWatcher;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPreset;
import dev.kiln.nvml.sim.SimulatedServer;
import dev.kiln.nvml.raw.NvmlLoader;
import dev.kiln.protocol.ErrorEntry;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.NodeIdentity;
import dev.kiln.protocol.NodeInfo;
import dev.kiln.protocol.ProtocolVersion;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.event.EventsDocument;
import dev.kiln.protocol.event.GpuEvent;
import dev.kiln.protocol.spec.NodeSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's core: one node's identity and inventory, in plain Java. The HTTP adapter, the
 * Quarkus wiring, the one-shot {@code inventory} command and the fleet simulator all use this
 * class; many instances may live in one process.
 */
public final class NodeAgent implements AutoCloseable {
    /** How long each kind of reading is reused (identity-like readings live longer than telemetry). */
    public record Lifetimes(Duration host, Duration gpus, Duration infiniband) {
        public static final Lifetimes DEFAULT = new Lifetimes(Duration.ofSeconds(30), Duration.ofSeconds(1),
                Duration.ofSeconds(2));
    }

    private final String name;
    private final String mode;
    private final String simulatorPreset;
    private final HostProbe hostProbe;
    private final GpuProbe gpuProbe;
    private final InfinibandProbe ibProbe;
    private final Clock clock;
    private final Instant startedAt;
    private final String bootId;
    private final Memoized<HostProbe.HostReading> host;
    private final Memoized<GpuProbe.GpuReading> gpus;
    private final Memoized<GpuProbe.GpuSummary> gpuSummary;
    private final Memoized<InfinibandProbe.IbReading> ib;
    private final SimulatedServer simulatedServer;
    private final EventLog eventLog;
    private final EventWatcher eventWatcher;   // null when events are not watched
    private final JobManager jobs;

    /** An agent that watches GPU events, keeping them in memory. */
    public NodeAgent(String name, String mode, String simulatorPreset, HostProbe hostProbe, GpuProbe gpuProbe,
                     InfinibandProbe ibProbe, Lifetimes lifetimes, Clock clock, String bootId,
                     SimulatedServer simulatedServer) {
        this(name, mode, simulatorPreset, hostProbe, gpuProbe, ibProbe, lifetimes, clock, bootId, simulatedServer,
                EventOptions.inMemory());
    }

    /** {@code events} says whether and where GPU events are kept; watching starts here, and stops at {@link #close()}. */
    public NodeAgent(String name, String mode, String simulatorPreset, HostProbe hostProbe, GpuProbe gpuProbe,
                     InfinibandProbe ibProbe, Lifetimes lifetimes, Clock clock, String bootId,
                     SimulatedServer simulatedServer, EventOptions events) {
        this.name = name;
        this.mode = mode;
        this.simulatorPreset = simulatorPreset;
        this.hostProbe = hostProbe;
        this.gpuProbe = gpuProbe;
        this.ibProbe = ibProbe;
        this.clock = clock;
        this.startedAt = clock.instant();
        this.bootId = bootId;
        this.simulatedServer = simulatedServer;
        this.host = new Memoized<>(hostProbe::read, lifetimes.host());
        this.gpus = new Memoized<>(gpuProbe::read, lifetimes.gpus());
        this.gpuSummary = new Memoized<>(gpuProbe::summary, lifetimes.gpus());
        this.ib = new Memoized<>(ibProbe::read, lifetimes.infiniband());
        this.eventLog = events.openLog(bootId);
        this.eventWatcher = events.watch() ? EventWatcher.start(name, gpuProbe.nvmlBinding().orElse(null),
                gpuProbe.unavailableReason(), eventLog, clock, events.poller()) : null;
        this.jobs = new JobManager(name, events.stateDir(), simulatedServer != null
                ? JobManager.Backend.simulated(simulatorPreset, simulatedServer.faults()) : JobManager.Backend.cuda(),
                () -> inventory(true));
        this.rdmaServers = new dev.kiln.agent.fabric.RdmaServers(simulatedServer != null);
    }

    /** An agent on this machine's real hardware, keeping GPU events in memory (one-shot commands). */
    public static NodeAgent real(String name, NvmlLoader.Result nvml, Path sysfsRoot) {
        return real(name, nvml, sysfsRoot, EventOptions.inMemory());
    }

    /** An agent on this machine's real hardware (the daemon persists events: {@link EventOptions#persistedIn}). */
    public static NodeAgent real(String name, NvmlLoader.Result nvml, Path sysfsRoot, EventOptions events) {
        String host = name != null ? name : localHostname();
        NodeAgent agent = new NodeAgent(host, NodeInfo.MODE_REAL, null, new OshiHostProbe(), GpuProbe.from(nvml),
                new SysfsInfinibandProbe(sysfsRoot), Lifetimes.DEFAULT, Clock.systemUTC(), readBootId(), null, events);
        agent.configureFabric(sysfsRoot.toString(), List.of(), null);
        return agent;
    }

    /**
     * An agent on a simulated server. The host is real (OSHI) for a single simulated agent and
     * simulated in a fleet, where every node needs its own hostname.
     */
    public static NodeAgent simulated(String name, ServerPreset preset, FaultPlan faults, int fleetPosition,
                                      boolean simulateHost) {
        return simulated(name, preset, faults, fleetPosition, simulateHost, EventOptions.inMemory());
    }

    /** As above; simulated agents keep events in memory unless {@code events} names a state directory. */
    public static NodeAgent simulated(String name, ServerPreset preset, FaultPlan faults, int fleetPosition,
                                      boolean simulateHost, EventOptions events) {
        SimulatedServer server = new SimulatedServer(name, preset, faults.forNode(name, fleetPosition));
        HostProbe hostProbe = simulateHost ? new SimulatedHostProbe(name, preset) : new OshiHostProbe();
        return new NodeAgent(name, NodeInfo.MODE_SIMULATED, preset.id(), hostProbe, GpuProbe.of(server.binding()),
                new SimulatedInfinibandProbe(name, preset), Lifetimes.DEFAULT, Clock.systemUTC(),
                simulateHost ? "sim-" + java.util.UUID.nameUUIDFromBytes(name.getBytes()) : readBootId(), server,
                events);
    }

    public String name() {
        return name;
    }

    /** The simulated server behind this agent, or null on real hardware (test and demo hooks). */
    public SimulatedServer simulatedServer() {
        return simulatedServer;
    }

    /** Cheap: NVML status and GPU count, without walking every GPU (what {@code kiln status} asks for). */
    public NodeInfo nodeInfo() {
        GpuProbe.GpuSummary g = gpuSummary.get();
        HostProbe.HostReading h = host.get();
        Instant now = clock.instant();
        return new NodeInfo(ProtocolVersion.SCHEMA_VERSION, name, h.host().hostname(), ProtocolVersion.KILN_VERSION,
                startedAt, Math.max(0, Duration.between(startedAt, now).toSeconds()), mode, simulatorPreset,
                g.status(), g.count());
    }

    /** The full inventory; {@code fresh} bypasses the reading lifetimes. */
    public InventoryDocument inventory(boolean fresh) {
        // Fresh means "read after this request arrived": concurrent fresh requests share those reads.
        HostProbe.HostReading h = fresh ? host.getFresh() : host.get();
        GpuProbe.GpuReading g = fresh ? gpus.getFresh() : gpus.get();
        InfinibandProbe.IbReading i = fresh ? ib.getFresh() : ib.get();
        if (fresh) {
            gpuSummary.invalidate();
        }
        List<ErrorEntry> errors = new ArrayList<>(h.errors());
        errors.addAll(g.errors());
        errors.addAll(i.errors());
        return new InventoryDocument(ProtocolVersion.SCHEMA_VERSION, InventoryDocument.KIND, clock.instant(),
                new NodeIdentity(name, h.host().hostname(), mode, simulatorPreset, ProtocolVersion.KILN_VERSION, bootId),
                h.host(), g.status(), g.gpus(), i.ports(), List.copyOf(errors));
    }

    /** The spec this node runs when a request names none: its preset's for simulated nodes, else null. */
    public String defaultSpecName() {
        return simulatorPreset;
    }

    /** What {@code gpu.xid.recent} judges: this agent's {@link #events() event log} and whether it is watched. */
    public RecentEvents recentEvents() {
        return new RecentEvents() {
            public boolean watching() {
                return eventsWatched();
            }

            public String reason() {
                return eventsReason();
            }

            public List<GpuEvent> thisBoot() {
                catchUpEvents();
                return eventLog.thisBoot();
            }

            public List<GpuEvent> since(Instant since) {
                catchUpEvents();
                return eventLog.recent(since);
            }

            public java.util.Optional<String> coverage() {
                return java.util.Optional.of("watched since " + startedAt
                        + (eventLog.file().isPresent() ? ", with events saved by earlier runs" : ""));
            }
        };
    }

    /**
     * The GPU events this agent has seen (and, when persisted, earlier runs saw), per GPU, with boot ids.
     * The shared poller fills it every 250 ms; {@link #recentEvents()} and {@link #eventsDocument} catch up first.
     */
    public EventLog events() {
        return eventLog;
    }

    /** Takes whatever NVML has queued now into {@link #events()}. */
    private void catchUpEvents() {
        if (eventWatcher != null) {
            eventWatcher.drain();
        }
    }

    /** True while an NVML event watcher drains events into {@link #events()}. */
    public boolean eventsWatched() {
        return eventWatcher != null && eventWatcher.watching();
    }

    /** Why events are not (all) watched or not persisted; null when there is nothing to say. */
    public String eventsReason() {
        List<String> parts = new ArrayList<>();
        if (eventWatcher == null) {
            parts.add("GPU event watching is off in this agent");
        } else {
            eventWatcher.reason().ifPresent(parts::add);
        }
        parts.addAll(eventLog.notes());
        return parts.isEmpty() ? null : String.join("; ", parts);
    }

    /** {@code GET /v1/events}: events at or after {@code since} (every held event when null), oldest first. */
    public EventsDocument eventsDocument(Instant since) {
        HostProbe.HostReading h = host.get();
        catchUpEvents();
        List<GpuEvent> events = since == null ? eventLog.all() : eventLog.recent(since);
        return new EventsDocument(ProtocolVersion.SCHEMA_VERSION, EventsDocument.KIND,
                new NodeIdentity(name, h.host().hostname(), mode, simulatorPreset, ProtocolVersion.KILN_VERSION, bootId),
                eventsWatched(), eventsReason(), events);
    }

    /**
     * Runs the checks against a fresh inventory. {@code only}/{@code skip} select check ids; unknown
     * ids are an {@link IllegalArgumentException}.
     */
    public CheckReport check(NodeSpec spec, List<String> only, List<String> skip) {
        List<Check> selected = CHECKS.select(only, skip, spec.disabledChecks());
        InventoryDocument inv = inventory(true);
        CheckReport report = CHECKS.run(inv.node(), new CheckContext(inv, spec, recentEvents(), clock.instant()), selected);
        lastCheckReport = report;
        return report;
    }

    private volatile CheckReport lastCheckReport;

    /** The report of the last {@link #check} run in this process ({@code GET /metrics} shows it; never re-run for it). */
    public java.util.Optional<CheckReport> lastCheckReport() {
        return java.util.Optional.ofNullable(lastCheckReport);
    }

    private static final CheckRunner CHECKS = CheckRunner.standard();

    private volatile int fabricPort;
    private final dev.kiln.agent.fabric.RdmaServers rdmaServers;

    /**
     * Fabric settings of a real node: where InfiniBand ports are read and where perftest and nccl-tests are found
     * (directories searched before PATH), and the MPI launcher template for nccl-tests across nodes (null: none).
     */
    public void configureFabric(String sysfsRoot, List<String> toolsPath, String ncclLauncher) {
        jobs.configureFabric(sysfsRoot, toolsPath, ncclLauncher);
        rdmaServers.configure(toolsPath);
    }

    /** ib_write_bw servers started for fabric sessions. */
    public dev.kiln.agent.fabric.RdmaServers rdmaServers() {
        return rdmaServers;
    }

    /** The TCP port node-to-node fabric tests are served on (0: an ephemeral port, chosen at the first session). */
    public int fabricPort() {
        return fabricPort;
    }

    public void setFabricPort(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("fabric port must be 0..65535, got " + port);
        }
        this.fabricPort = port;
    }

    /** This node's burn-in and fabric jobs ({@code /v1/jobs}); they run in a supervised child process. */
    public JobManager jobs() {
        return jobs;
    }

    @Override
    public void close() {
        rdmaServers.close();
        jobs.close();
        if (eventWatcher != null) {
            eventWatcher.close();
        }
        eventLog.close();
        gpuProbe.close();
    }

    static String readBootId() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static String localHostname() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String env = System.getenv("HOSTNAME");
            return env != null ? env : "localhost";
        }
    }
}
