package dev.kiln.agent.core;

import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPreset;
import dev.kiln.nvml.sim.SimulatedServer;
import dev.kiln.nvml.raw.NvmlLoader;
import dev.kiln.protocol.ErrorEntry;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.NodeIdentity;
import dev.kiln.protocol.NodeInfo;
import dev.kiln.protocol.ProtocolVersion;

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

    public NodeAgent(String name, String mode, String simulatorPreset, HostProbe hostProbe, GpuProbe gpuProbe,
                     InfinibandProbe ibProbe, Lifetimes lifetimes, Clock clock, String bootId,
                     SimulatedServer simulatedServer) {
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
    }

    /** An agent on this machine's real hardware. */
    public static NodeAgent real(String name, NvmlLoader.Result nvml, Path sysfsRoot) {
        String host = name != null ? name : localHostname();
        return new NodeAgent(host, NodeInfo.MODE_REAL, null, new OshiHostProbe(), GpuProbe.from(nvml),
                new SysfsInfinibandProbe(sysfsRoot), Lifetimes.DEFAULT, Clock.systemUTC(), readBootId(), null);
    }

    /**
     * An agent on a simulated server. The host is real (OSHI) for a single simulated agent and
     * simulated in a fleet, where every node needs its own hostname.
     */
    public static NodeAgent simulated(String name, ServerPreset preset, FaultPlan faults, int fleetPosition,
                                      boolean simulateHost) {
        SimulatedServer server = new SimulatedServer(name, preset, faults.forNode(name, fleetPosition));
        HostProbe hostProbe = simulateHost ? new SimulatedHostProbe(name, preset) : new OshiHostProbe();
        return new NodeAgent(name, NodeInfo.MODE_SIMULATED, preset.id(), hostProbe, GpuProbe.of(server.binding()),
                new SimulatedInfinibandProbe(name, preset), Lifetimes.DEFAULT, Clock.systemUTC(),
                simulateHost ? "sim-" + java.util.UUID.nameUUIDFromBytes(name.getBytes()) : readBootId(), server);
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
        if (fresh) {
            host.invalidate();
            gpus.invalidate();
            gpuSummary.invalidate();
            ib.invalidate();
        }
        HostProbe.HostReading h = host.get();
        GpuProbe.GpuReading g = gpus.get();
        InfinibandProbe.IbReading i = ib.get();
        List<ErrorEntry> errors = new ArrayList<>(h.errors());
        errors.addAll(g.errors());
        errors.addAll(i.errors());
        return new InventoryDocument(ProtocolVersion.SCHEMA_VERSION, InventoryDocument.KIND, clock.instant(),
                new NodeIdentity(name, h.host().hostname(), mode, simulatorPreset, ProtocolVersion.KILN_VERSION, bootId),
                h.host(), g.status(), g.gpus(), i.ports(), List.copyOf(errors));
    }

    @Override
    public void close() {
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
