package dev.kiln.agent.core;

import dev.kiln.nvml.GpuSnapshot;
import dev.kiln.nvml.GpuState;
import dev.kiln.nvml.NvmlException;
import dev.kiln.nvml.NvmlSession;
import dev.kiln.nvml.NvmlSystemInfo;
import dev.kiln.nvml.raw.NvmlBinding;
import dev.kiln.nvml.raw.NvmlLoader;
import dev.kiln.nvml.raw.NvmlSymbols;
import dev.kiln.protocol.ErrorEntry;
import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.NvmlStatus;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agent's view of NVML: one long-lived session (opened on first use, retried on the next read
 * if init failed), a walk over every GPU, and the memory of each GPU's last good identity so a GPU
 * that falls off the bus is still named by its serial and UUID.
 */
public final class GpuProbe implements AutoCloseable {
    private final NvmlBinding binding;         // null when NVML could not be loaded
    private final String unavailableReason;    // why binding is null
    private final Map<Integer, GpuSnapshot> lastGood = new ConcurrentHashMap<>();
    private NvmlSession session;
    private String initFailure;

    private GpuProbe(NvmlBinding binding, String unavailableReason) {
        this.binding = binding;
        this.unavailableReason = unavailableReason;
    }

    public static GpuProbe of(NvmlBinding binding) {
        return new GpuProbe(binding, null);
    }

    public static GpuProbe from(NvmlLoader.Result result) {
        return switch (result) {
            case NvmlLoader.Loaded l -> new GpuProbe(l.binding(), null);
            case NvmlLoader.Unavailable u -> new GpuProbe(null, u.reason());
        };
    }

    /** Result of one walk. */
    public record GpuReading(NvmlStatus status, List<GpuInventory> gpus, List<ErrorEntry> errors) {
        public int count() {
            return gpus.size();
        }
    }

    /** The NVML this probe reads, or empty when it could not be loaded ({@link #unavailableReason()} says why). */
    public Optional<NvmlBinding> nvmlBinding() {
        return Optional.ofNullable(binding);
    }

    /** Why NVML could not be loaded; null when it was. */
    public String unavailableReason() {
        return unavailableReason;
    }

    public boolean simulated() {
        return binding != null && binding.simulated();
    }

    private synchronized Optional<NvmlSession> session() {
        if (binding == null) {
            return Optional.empty();
        }
        if (session == null) {
            try {
                session = NvmlSession.open(binding);
                initFailure = null;
            } catch (NvmlException e) {
                initFailure = "NVML could not initialize: " + e.getMessage()
                        + (e.result() == dev.kiln.nvml.NvmlReturn.ERROR_DRIVER_NOT_LOADED
                        ? " (is the nvidia kernel module loaded?)" : "");
            }
        }
        return Optional.ofNullable(session);
    }

    /** NVML status and GPU count only: what {@code GET /v1/node} needs, without walking every GPU. */
    public record GpuSummary(NvmlStatus status, int count, List<ErrorEntry> errors) {
    }

    /** How long one NVML walk may take before the reading says NVML is not answering. */
    static final java.time.Duration DEFAULT_DEADLINE = java.time.Duration.ofSeconds(10);

    /** Platform threads (a native call pins a virtual thread's carrier); daemon, reused between reads. */
    private static final java.util.concurrent.ExecutorService READERS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "kiln-nvml-read");
        t.setDaemon(true);
        return t;
    });

    private java.time.Duration deadline = DEFAULT_DEADLINE;
    private java.util.concurrent.Future<?> hung; // a read that overran its deadline and has not returned yet
    // Not "this": a hung walk holds this object's monitor for as long as NVML does not return.
    private final Object hungLock = new Object();

    /** For tests: a shorter deadline. */
    GpuProbe withDeadline(java.time.Duration d) {
        this.deadline = d;
        return this;
    }

    /**
     * Runs one NVML walk with a deadline. A sick GPU can hang an NVML call forever; then this returns
     * {@code onTimeout} (NVML "not answering", so checks report ERROR, never PASS) and, while that call
     * is still stuck, answers at once instead of queueing more threads behind it.
     */
    private <T> T bounded(java.util.concurrent.Callable<T> walk, java.util.function.Function<String, T> onTimeout) {
        synchronized (hungLock) {
            if (hung != null && !hung.isDone()) {
                return onTimeout.apply("NVML has not answered an earlier call for over " + deadline.toSeconds()
                        + " s (a GPU or the driver may be hung; check dmesg for Xid errors)");
            }
            hung = null;
        }
        java.util.concurrent.Future<T> f = READERS.submit(walk);
        try {
            return f.get(deadline.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            synchronized (hungLock) {
                hung = f;
            }
            return onTimeout.apply("NVML did not answer within " + deadline.toSeconds()
                    + " s (a GPU or the driver may be hung; check dmesg for Xid errors)");
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return onTimeout.apply("interrupted while waiting for NVML");
        }
    }

    private NvmlStatus notAnswering(String why) {
        return new NvmlStatus(false, why, binding == null ? null : binding.description(), null, null, null, List.of());
    }

    public GpuSummary summary() {
        return bounded(this::summaryNow, why -> new GpuSummary(notAnswering(why), 0,
                List.of(new ErrorEntry("nvml", null, null, "NVML_TIMEOUT", why))));
    }

    public GpuReading read() {
        return bounded(this::readNow, why -> new GpuReading(notAnswering(why), List.of(),
                List.of(new ErrorEntry("nvml", null, null, "NVML_TIMEOUT", why))));
    }

    private synchronized GpuSummary summaryNow() {
        Optional<NvmlSession> s = session();
        if (s.isEmpty()) {
            return new GpuSummary(unavailableStatus(), 0, List.of(unavailableError()));
        }
        List<ErrorEntry> errors = new ArrayList<>();
        NvmlStatus status = status(s.get(), errors);
        int count = 0;
        try {
            count = s.get().deviceCount();
        } catch (NvmlException e) {
            errors.add(new ErrorEntry("nvml", null, "deviceCount", e.result().name(), e.getMessage()));
            // NVML answered init but not the count: zero GPUs must not read as "available, 0 GPUs".
            status = new NvmlStatus(false, "NVML could not count GPUs: " + e.getMessage(), status.library(),
                    status.driverVersion(), status.nvmlVersion(), status.cudaDriverVersion(), status.missingSymbols());
        }
        return new GpuSummary(status, count, List.copyOf(errors));
    }

    private NvmlStatus unavailableStatus() {
        return new NvmlStatus(false, binding == null ? unavailableReason : initFailure, null, null, null, null, List.of());
    }

    private ErrorEntry unavailableError() {
        return new ErrorEntry("nvml", null, null, "NVML_UNAVAILABLE", binding == null ? unavailableReason : initFailure);
    }

    private NvmlStatus status(NvmlSession nvml, List<ErrorEntry> errors) {
        NvmlSystemInfo sys = null;
        try {
            sys = nvml.systemInfo();
        } catch (NvmlException e) {
            errors.add(new ErrorEntry("nvml", null, "systemInfo", e.result().name(), e.getMessage()));
        }
        List<String> missing = NvmlSymbols.OPTIONAL.stream().filter(sym -> !binding.has(sym)).sorted().toList();
        return new NvmlStatus(true, null, binding.description(),
                sys == null ? null : sys.driverVersion(), sys == null ? null : sys.nvmlVersion(),
                sys == null ? null : sys.cudaDriverVersionString().orElse(null), missing);
    }

    private synchronized GpuReading readNow() {
        Optional<NvmlSession> s = session();
        if (s.isEmpty()) {
            return new GpuReading(unavailableStatus(), List.of(), List.of(unavailableError()));
        }
        NvmlSession nvml = s.get();
        List<ErrorEntry> errors = new ArrayList<>();
        NvmlStatus status = status(nvml, errors);
        List<GpuInventory> gpus = new ArrayList<>();
        try {
            for (GpuSnapshot snap : nvml.snapshotAll()) {
                GpuSnapshot named = withLastKnownIdentity(snap);
                gpus.add(GpuInventoryMapper.toWire(named));
                errors.addAll(GpuInventoryMapper.errors(snap));
            }
        } catch (NvmlException e) {
            errors.add(new ErrorEntry("nvml", null, "deviceCount", e.result().name(), e.getMessage()));
        }
        return new GpuReading(status, List.copyOf(gpus), List.copyOf(errors));
    }

    /** A lost GPU keeps the identity it last answered with, so the report can say which board to pull. */
    private GpuSnapshot withLastKnownIdentity(GpuSnapshot snap) {
        if (snap.state() == GpuState.OK) {
            if (snap.uuid().isPresent()) {
                lastGood.put(snap.index(), snap);
            }
            return snap;
        }
        GpuSnapshot known = lastGood.get(snap.index());
        if (known == null) {
            return snap;
        }
        return new GpuSnapshot(snap.index(), snap.state(), or(snap.name(), known.name()), or(snap.uuid(), known.uuid()),
                or(snap.serial(), known.serial()), or(snap.boardPartNumber(), known.boardPartNumber()),
                or(snap.vbiosVersion(), known.vbiosVersion()), or(snap.inforomImageVersion(), known.inforomImageVersion()),
                or(snap.pci(), known.pci()), or(snap.minorNumber(), known.minorNumber()),
                or(snap.architecture(), known.architecture()), or(snap.computeCapability(), known.computeCapability()),
                snap.memory(), snap.temperatures(), snap.power(), snap.clocks(), snap.utilization(), snap.ecc(),
                snap.remappedRows(), snap.pcie(), snap.nvlinks(), snap.persistenceMode(), snap.migMode(),
                snap.computeProcesses(), snap.recoveryAction(), snap.errors());
    }

    private static <T> Optional<T> or(Optional<T> a, Optional<T> b) {
        return a.isPresent() ? a : b;
    }

    @Override
    public synchronized void close() {
        if (session != null) {
            session.close();
            session = null;
        }
    }
}
