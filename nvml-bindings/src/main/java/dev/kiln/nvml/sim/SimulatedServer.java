package dev.kiln.nvml.sim;

import dev.kiln.nvml.raw.NvmlBinding;
import dev.kiln.nvml.raw.NvmlSymbols;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * One simulated GPU server built from a {@link ServerPreset} and a list of faults. Identities
 * (UUIDs, serials) derive from the node name, so the same node always gets the same GPUs and two
 * nodes never share one. {@link #binding()} plugs it in below the typed NVML API.
 *
 * <p>Events: the server raises NVML events (from {@code xid} and {@code recovery-action} faults, and
 * through {@link #injectEvent} / {@link #injectXid}); each goes to every event set registered for
 * its GPU and type, as with the driver. One convenience differs from the driver: events raised before
 * any event set was ever registered on this server (faults active from "boot") are kept in a bounded
 * backlog and handed to the first set that registers for them, so a watcher started after the
 * server still sees them. Timed events fire when due, checked on every NVML call and while an event
 * wait is blocked; no thread per server.
 */
public final class SimulatedServer {
    /** Events raised before any event set registered, at most this many (the oldest are dropped). */
    static final int EVENT_BACKLOG_LIMIT = 1024;
    private static final long XID_EVENT = 0x8L;             // nvmlEventTypeXidCriticalError
    private static final long RECOVERY_ACTION_EVENT = 0x8000L; // nvmlEventTypeGpuRecoveryAction

    /** One raised event: the GPU slot, its {@code nvmlEventType} bit and its data. */
    record SimEvent(int slot, long eventType, long eventData) {
    }

    private record Timed(long dueNanos, int slot, int xid) {
    }

    private final Object eventLock = new Object();
    private final List<SimEventSet> eventSets = new ArrayList<>();      // guarded by eventLock
    private final ArrayDeque<SimEvent> backlog = new ArrayDeque<>();    // guarded by eventLock
    private final List<Timed> timed = new ArrayList<>();                // guarded by eventLock, by due time
    private boolean everRegistered;                                     // guarded by eventLock
    private volatile boolean hasTimed;
    private volatile long nextDueNanos;
    private final long createdNanos = System.nanoTime();

    private final String nodeName;
    private final ServerPreset preset;
    private final List<SimGpu> slots;      // every slot, in preset order
    private final List<SimGpu> visible;    // what NVML enumerates (missing GPUs removed)
    private final Set<String> symbols;
    private final String driverVersion;
    private final List<Fault> faults;

    public SimulatedServer(String nodeName, ServerPreset preset, List<Fault> faults) {
        this.nodeName = nodeName;
        this.preset = preset;
        this.faults = List.copyOf(faults);
        List<SimGpu> all = new ArrayList<>();
        for (int slot = 0; slot < preset.gpuCount(); slot++) {
            all.add(healthyGpu(slot));
        }
        Set<Integer> missing = new HashSet<>();
        Set<String> syms = new HashSet<>(NvmlSymbols.REQUIRED);
        syms.addAll(NvmlSymbols.OPTIONAL);
        String driver = preset.driverVersion();
        for (Fault f : faults) {
            switch (f) {
                case Fault.GpuMissing g -> missing.add(slotIndex(g.gpu()));
                case Fault.MissingSymbol m -> {
                    for (String s : m.symbols()) {
                        if (NvmlSymbols.REQUIRED.contains(s)) {
                            throw new IllegalArgumentException("fault missing-symbol: " + s
                                    + " is required by Kiln; only optional symbols can be removed");
                        }
                        if (!NvmlSymbols.OPTIONAL.contains(s)) {
                            throw new IllegalArgumentException("fault missing-symbol: " + s
                                    + " is not a symbol Kiln uses; known optional symbols: "
                                    + NvmlSymbols.OPTIONAL.stream().sorted().toList());
                        }
                        syms.remove(s);
                    }
                    driver = m.driverVersion().orElse(driver);
                }
                case Fault.WorkerCrash c -> {
                    // Acts on the burn-in worker, not on NVML.
                }
                case Fault.WorkerHang h -> {
                    // Acts on the burn-in worker, not on NVML.
                }
                case Fault.Burnin b -> slotIndex(gpuOf(f)); // validated here; the burn-in backend acts on it
                case Fault.NicSlow n -> {
                    // Acts on the simulated network (SimulatedFabric), not on NVML.
                }
                case Fault.NicLossy n -> {
                    // Acts on the simulated network (SimulatedFabric), not on NVML.
                }
                case Fault.IbPortErrors p -> {
                    // Acts on the simulated InfiniBand counters (SimulatedFabric), not on NVML.
                }
                case Fault.SlowGpuPair p -> {
                    slotIndex(p.gpu());
                    slotIndex(p.peer());
                }
                case Fault.NvlinkDegraded n -> {
                    requireLinks("nvlink-degraded", n.links());
                    slotIndex(n.gpu());
                }
                default -> apply(all.get(slotIndex(gpuOf(f))), f);
            }
        }
        this.slots = List.copyOf(all);
        List<SimGpu> vis = new ArrayList<>();
        for (SimGpu g : all) {
            if (!missing.contains(g.slot)) {
                g.minor = vis.size();
                vis.add(g);
            }
        }
        this.visible = Collections.unmodifiableList(vis);
        this.symbols = Set.copyOf(syms);
        this.driverVersion = driver;
    }

    public SimulatedServer(String nodeName, ServerPreset preset) {
        this(nodeName, preset, List.of());
    }

    private int slotIndex(int gpu) {
        if (gpu < 0 || gpu >= preset.gpuCount()) {
            throw new IllegalArgumentException("fault targets GPU " + gpu + " but preset " + preset.id()
                    + " has GPUs 0.." + (preset.gpuCount() - 1));
        }
        return gpu;
    }

    private static int gpuOf(Fault f) {
        return switch (f) {
            case Fault.GpuMissing g -> g.gpu();
            case Fault.EccUncorrectable e -> e.gpu();
            case Fault.RemapPending r -> r.gpu();
            case Fault.RemapFailure r -> r.gpu();
            case Fault.PcieDowntrained p -> p.gpu();
            case Fault.NvlinkDown n -> n.gpu();
            case Fault.ThermalSlowdown t -> t.gpu();
            case Fault.GpuLost l -> l.gpu();
            case Fault.WrongVbios w -> w.gpu();
            case Fault.ProcessRunning p -> p.gpu();
            case Fault.Xid x -> x.gpu();
            case Fault.DriverRecoveryAction r -> r.gpu();
            case Fault.BurninWrongResults b -> b.gpu();
            case Fault.BurninMemoryErrors b -> b.gpu();
            case Fault.BurninThermal b -> b.gpu();
            case Fault.BurninXid b -> b.gpu();
            case Fault.NvlinkDegraded n -> n.gpu();
            case Fault.SlowGpuPair p -> p.gpu();
            case Fault.NvlinkErrors n -> n.gpu();
            case Fault.NicSlow n -> throw new IllegalArgumentException("not a GPU fault: " + n);
            case Fault.NicLossy n -> throw new IllegalArgumentException("not a GPU fault: " + n);
            case Fault.IbPortErrors p -> throw new IllegalArgumentException("not a GPU fault: " + p);
            case Fault.WorkerCrash c -> throw new IllegalArgumentException("not a GPU fault: " + c);
            case Fault.WorkerHang h -> throw new IllegalArgumentException("not a GPU fault: " + h);
            case Fault.MissingSymbol m -> throw new IllegalArgumentException("not a GPU fault: " + m);
        };
    }

    private SimGpu healthyGpu(int slot) {
        GpuModel m = preset.gpu();
        SimGpu g = new SimGpu(slot, m);
        g.name = m.name();
        g.uuid = "GPU-" + UUID.nameUUIDFromBytes((nodeName + "/" + preset.id() + "/" + slot).getBytes());
        // 13-digit serials like real boards, unique per node and slot.
        long h = Integer.toUnsignedLong((nodeName + "#" + slot).hashCode());
        g.serial = "16549" + String.format("%08d", (h * 31 + slot) % 100_000_000L);
        g.busId = preset.gpuBusIds().get(slot);
        g.pciBus = Integer.parseInt(g.busId.substring(9, 11), 16);
        g.vbios = m.vbiosVersion();
        g.temperature = m.idleCelsius() + (slot * 3) % 7;
        g.powerUsage = m.idlePowerMilliwatts() + slot * 1_250;
        g.smClock = m.smIdleMhz();
        g.memClock = m.memoryMaxMhz();
        g.pcieGen = m.pcieGeneration();
        g.pcieWidth = m.pcieWidth();
        for (int link = 0; link < preset.nvlinksPerGpu(); link++) {
            String remote = preset.nvswitchBusIds().get(link % preset.nvswitchBusIds().size());
            g.links.add(new SimGpu.SimLink(link, true, remote));
        }
        return g;
    }

    private void apply(SimGpu g, Fault f) {
        GpuModel m = preset.gpu();
        switch (f) {
            case Fault.EccUncorrectable e -> {
                g.volatileUncorrected += e.count();
                g.aggregateUncorrected += e.count();
            }
            case Fault.RemapPending r -> {
                g.remapPending = true;
                g.remappedUncorrectable += 1;
            }
            case Fault.RemapFailure r -> g.remapFailure = true;
            case Fault.PcieDowntrained p -> {
                p.generation().ifPresent(v -> g.pcieGen = v);
                p.width().ifPresent(v -> g.pcieWidth = v);
            }
            case Fault.NvlinkDown n -> {
                if (preset.nvlinksPerGpu() == 0) {
                    throw new IllegalArgumentException("fault nvlink-down: preset " + preset.id() + " has no NVLink");
                }
                for (int i = 0; i < g.links.size(); i++) {
                    SimGpu.SimLink l = g.links.get(i);
                    if (n.links().isEmpty() || n.links().contains(l.number())) {
                        g.links.set(i, new SimGpu.SimLink(l.number(), false, l.remoteBusId()));
                    }
                }
                for (int link : n.links()) {
                    if (link >= g.links.size()) {
                        throw new IllegalArgumentException("fault nvlink-down: link " + link + " does not exist; "
                                + preset.id() + " GPUs have links 0.." + (g.links.size() - 1));
                    }
                }
            }
            case Fault.ThermalSlowdown t -> {
                g.temperature = m.slowdownCelsius() + 2;
                g.clockEventReasons = 0x20L | 0x40L;
                g.smClock = m.smMaxMhz() / 2;
            }
            case Fault.GpuLost l -> {
                boolean immediate = l.afterReads() == 0 && l.after().isZero();
                if (immediate) {
                    g.lost = true;
                } else {
                    g.lostAfterReads = l.afterReads() > 0 ? l.afterReads() : -1;
                    g.lostAfterNanos = l.after().isZero() ? -1 : l.after().toNanos();
                }
            }
            case Fault.WrongVbios w -> g.vbios = w.version();
            case Fault.ProcessRunning p -> {
                g.processes.add(new long[]{p.pid(), p.usedMemoryBytes()});
                g.clockEventReasons = 0;
            }
            case Fault.Xid x -> {
                if (x.after().isZero()) {
                    applyXid(g, x.code());
                    deliver(new SimEvent(g.slot, XID_EVENT, x.code()));
                } else {
                    schedule(new Timed(createdNanos + x.after().toNanos(), g.slot, x.code()));
                }
            }
            case Fault.DriverRecoveryAction r -> {
                g.recoveryAction = r.action().code();
                deliver(new SimEvent(g.slot, RECOVERY_ACTION_EVENT, r.action().code()));
            }
            case Fault.GpuMissing gm -> throw new IllegalStateException("handled by the constructor");
            case Fault.MissingSymbol ms -> throw new IllegalStateException("handled by the constructor");
            case Fault.Burnin b -> throw new IllegalStateException("handled by the constructor");
            case Fault.NvlinkErrors n -> {
                requireLinks("nvlink-errors", List.of(n.link()));
                g.nvlinkErrorRise.merge(n.link() + "/" + n.counter(), n.count(), Long::sum);
            }
            case Fault.Fabric fb -> throw new IllegalStateException("handled by the constructor");
        }
    }

    // --- topology -----------------------------------------------------------------------------

    /** The CPU socket a GPU slot hangs off: the first half of the slots on socket 0, the rest on socket 1. */
    public int socketOf(int slot) {
        return preset.host().sockets() <= 1 ? 0 : slot * 2 / preset.gpuCount();
    }

    /** nvmlGpuTopologyLevel_t between two slots: INTERNAL (0) for the same GPU, NODE (40) on one socket, else SYSTEM (50). */
    public int topologyLevel(int slotA, int slotB) {
        if (slotA == slotB) {
            return 0;
        }
        return socketOf(slotA) == socketOf(slotB) ? 40 : 50;
    }

    /** Whether a GPU has at least one active NVLink. */
    public boolean hasActiveNvlink(int slot) {
        return slots.get(slot).links.stream().anyMatch(SimGpu.SimLink::active);
    }

    /**
     * nvmlGpuP2PStatus_t for a capability (nvmlGpuP2PCapsIndex_t): over NVLink when both GPUs have an active
     * link; otherwise over PCIe on the same socket only (1, CHIPSET_NOT_SUPPORTED, across sockets as on most hosts).
     */
    public int p2pStatus(int slotA, int slotB, int capability) {
        boolean nvlink = hasActiveNvlink(slotA) && hasActiveNvlink(slotB);
        if (capability == 2) { // NVLINK
            return nvlink ? 0 : 5;
        }
        if (nvlink || socketOf(slotA) == socketOf(slotB)) {
            return 0;
        }
        return 1;
    }

    /** NVLink version of the preset's GPUs (4 on Hopper, 5 on Blackwell); 0 without NVLink. */
    public int nvlinkVersion() {
        if (preset.nvlinksPerGpu() == 0) {
            return 0;
        }
        return preset.gpu().architecture() >= 10 ? 5 : 4;
    }

    /**
     * An NVLink error counter as NVML would answer it: a small lifetime total that depends on the GPU and link,
     * plus the fault's rise from the second read on (so a test that reads before and after sees it rise).
     */
    long nvlinkErrorCounter(SimGpu g, int link, String counter) {
        String key = link + "/" + counter;
        int reads = g.nvlinkErrorReads.merge(key, 1, Integer::sum);
        long lifetime = "replay".equals(counter) ? (g.slot * 7L + link) % 5 : 0;
        return lifetime + (reads > 1 ? g.nvlinkErrorRise.getOrDefault(key, 0L) : 0L);
    }

    private void requireLinks(String fault, List<Integer> links) {
        if (preset.nvlinksPerGpu() == 0) {
            throw new IllegalArgumentException("fault " + fault + ": preset " + preset.id() + " has no NVLink");
        }
        for (int link : links) {
            if (link < 0 || link >= preset.nvlinksPerGpu()) {
                throw new IllegalArgumentException("fault " + fault + ": link " + link + " does not exist; "
                        + preset.id() + " GPUs have links 0.." + (preset.nvlinksPerGpu() - 1));
            }
        }
    }

    // --- events ------------------------------------------------------------------------------

    /** What an Xid does to the GPU besides the event (see {@link Fault.Xid}). */
    private static void applyXid(SimGpu g, int code) {
        synchronized (g) {
            switch (code) {
                case 79 -> g.lost = true;
                case 48 -> {
                    g.volatileUncorrected += 1;
                    g.aggregateUncorrected += 1;
                }
                case 63 -> {
                    g.remapPending = true;
                    g.remappedUncorrectable += 1;
                }
                case 64 -> g.remapFailure = true;
                default -> {
                    // The event alone.
                }
            }
        }
    }

    private void schedule(Timed t) {
        synchronized (eventLock) {
            timed.add(t);
            timed.sort(Comparator.comparingLong(x -> x.dueNanos() - createdNanos));
            nextDueNanos = timed.get(0).dueNanos();
            hasTimed = true;
        }
    }

    /** Fires every timed event that is due; cheap (one volatile read) when none is. */
    void fireDue() {
        if (!hasTimed || System.nanoTime() - nextDueNanos < 0) {
            return;
        }
        List<Timed> due = new ArrayList<>();
        synchronized (eventLock) {
            long now = System.nanoTime();
            while (!timed.isEmpty() && now - timed.get(0).dueNanos() >= 0) {
                due.add(timed.remove(0));
            }
            hasTimed = !timed.isEmpty();
            if (hasTimed) {
                nextDueNanos = timed.get(0).dueNanos();
            }
        }
        // Outside eventLock: applyXid takes the GPU's monitor, and registration holds that before eventLock.
        for (Timed t : due) {
            SimGpu g = slots.get(t.slot());
            applyXid(g, t.xid());
            deliver(new SimEvent(t.slot(), XID_EVENT, t.xid()));
        }
    }

    /** Nanoseconds until the next timed event, or Long.MAX_VALUE when none is scheduled. */
    long nanosUntilNextDue() {
        return hasTimed ? Math.max(0, nextDueNanos - System.nanoTime()) : Long.MAX_VALUE;
    }

    private void deliver(SimEvent e) {
        synchronized (eventLock) {
            boolean taken = false;
            for (SimEventSet s : eventSets) {
                if (s.wants(e)) {
                    s.queue.offer(e);
                    taken = true;
                }
            }
            if (!taken && !everRegistered) {
                backlog.addLast(e);
                while (backlog.size() > EVENT_BACKLOG_LIMIT) {
                    backlog.removeFirst();
                }
            }
        }
    }

    /** Registers {@code set} for {@code mask} on {@code slot} and hands it the matching backlog. */
    void registerEvents(SimEventSet set, int slot, long mask) {
        synchronized (eventLock) {
            set.add(slot, mask);
            if (!eventSets.contains(set)) {
                eventSets.add(set);
            }
            everRegistered = true;
            backlog.removeIf(e -> {
                if (set.wants(e)) {
                    set.queue.offer(e);
                    return true;
                }
                return false;
            });
        }
    }

    void unregisterEvents(SimEventSet set) {
        synchronized (eventLock) {
            eventSets.remove(set);
        }
    }

    /**
     * Test hook: the driver raises an event of type {@code eventType} (one {@code nvmlEventType} bit)
     * with {@code eventData} on the GPU in {@code slot}, now. Only the event: the GPU's state is not
     * changed (see {@link #injectXid} for an Xid with its effects).
     */
    public void injectEvent(int slot, long eventType, long eventData) {
        if (Long.bitCount(eventType) != 1) {
            throw new IllegalArgumentException("eventType must be one nvmlEventType bit, got 0x"
                    + Long.toHexString(eventType));
        }
        deliver(new SimEvent(slotIndex(slot), eventType, eventData));
    }

    /** Test hook: Xid {@code code} on the GPU in {@code slot} now, with the effects of {@link Fault.Xid}. */
    public void injectXid(int slot, int code) {
        applyXid(slots.get(slotIndex(slot)), code);
        deliver(new SimEvent(slot, XID_EVENT, code));
    }

    /** Test hook: the driver now recommends {@code action} (field 230), and raises the recovery-action event. */
    public void setRecoveryAction(int slot, dev.kiln.nvml.RecoveryAction action) {
        if (action == dev.kiln.nvml.RecoveryAction.UNKNOWN) {
            throw new IllegalArgumentException("the simulator reports known recovery actions only");
        }
        SimGpu g = slots.get(slotIndex(slot));
        synchronized (g) {
            g.recoveryAction = action.code();
        }
        deliver(new SimEvent(slot, RECOVERY_ACTION_EVENT, action.code()));
    }

    public String nodeName() {
        return nodeName;
    }

    public ServerPreset preset() {
        return preset;
    }

    public List<Fault> faults() {
        return faults;
    }

    /** Every GPU slot, including missing ones; for tests and the fleet simulator's hooks. */
    public List<SimGpu> slots() {
        return slots;
    }

    /** The GPU in slot {@code slot}. */
    public SimGpu gpu(int slot) {
        return slots.get(slotIndex(slot));
    }

    /** The slot of the GPU NVML enumerates at {@code index} (they differ once a GPU is missing). */
    public int slotOfIndex(int index) {
        if (index < 0 || index >= visible.size()) {
            throw new IllegalArgumentException("no GPU at NVML index " + index + " on " + nodeName);
        }
        return visible.get(index).slot;
    }

    List<SimGpu> visibleGpus() {
        return visible;
    }

    String driverVersion() {
        return driverVersion;
    }

    Set<String> symbols() {
        return symbols;
    }

    /** A binding whose calls answer from this server, exactly as the real library would. */
    public NvmlBinding binding() {
        return new NvmlBinding(new SimulatedNvml(this), symbols,
                "simulator " + preset.id() + " (" + nodeName + ")", true);
    }
}
