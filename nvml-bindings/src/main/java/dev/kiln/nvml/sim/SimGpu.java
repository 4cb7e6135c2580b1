package dev.kiln.nvml.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The mutable state of one simulated GPU. Fields are set from the preset and faults when the
 * server is built; {@link #loseNow()} and the counters may change later (test hooks, mid-session loss).
 * Guarded by its own monitor: the simulator is called from many threads.
 */
public final class SimGpu {
    final int slot;
    final GpuModel model;
    String name;
    String uuid;
    String serial;
    String busId;
    int pciBus;
    int minor;
    String vbios;
    int temperature;
    int powerUsage;
    int smClock;
    int memClock;
    long clockEventReasons = 0x1L; // GPU idle
    int pcieGen;
    int pcieWidth;
    int pcieReplays;
    boolean eccEnabled = true;
    long volatileCorrected;
    long volatileUncorrected;
    long aggregateCorrected;
    long aggregateUncorrected;
    int remappedCorrectable;
    int remappedUncorrectable;
    boolean remapPending;
    boolean remapFailure;
    boolean persistence = true;
    boolean mig;
    /** nvmlDeviceGpuRecoveryAction_t answered for field 230. */
    int recoveryAction;
    /** What nvmlDeviceGetSupportedEventTypes answers; registering any other type is NOT_SUPPORTED. */
    volatile long supportedEventTypes = DEFAULT_EVENT_TYPES;
    final List<SimLink> links = new ArrayList<>();
    /** NVLink error counter rises from {@code nvlink-errors} faults, keyed "link/counter". */
    final java.util.Map<String, Long> nvlinkErrorRise = new java.util.HashMap<>();
    /** How often each "link/counter" was read: the rise shows from the second read on. */
    final java.util.Map<String, Integer> nvlinkErrorReads = new java.util.HashMap<>();
    final List<long[]> processes = new ArrayList<>(); // {pid, usedBytes}
    final long createdNanos = System.nanoTime();
    final AtomicLong reads = new AtomicLong();
    long lostAfterReads = -1;
    long lostAfterNanos = -1;
    volatile boolean lost;

    /**
     * Event types a simulated GPU supports: {@code 0xff9f}, what an H200 on driver 580 answers (every
     * type but 0x20 and 0x40, which nvml.h does not define). {@link #setSupportedEventTypes} narrows it.
     */
    public static final long DEFAULT_EVENT_TYPES = 0xff9fL;

    record SimLink(int number, boolean active, String remoteBusId) {
    }

    SimGpu(int slot, GpuModel model) {
        this.slot = slot;
        this.model = model;
    }

    /** The slot index (NVML index on a healthy server). */
    public int slot() {
        return slot;
    }

    public String uuid() {
        return uuid;
    }

    public String serial() {
        return serial;
    }

    public String busId() {
        return busId;
    }

    /** Test hook: the GPU falls off the bus now. */
    public void loseNow() {
        lost = true;
    }

    public boolean isLost() {
        return lost;
    }

    /** Test hook: what nvmlDeviceGetSupportedEventTypes answers from now on (0: no events at all). */
    public void setSupportedEventTypes(long mask) {
        supportedEventTypes = mask;
    }

    /** The recovery action code field 230 answers (nvmlDeviceGpuRecoveryAction_t). */
    public synchronized int recoveryAction() {
        return recoveryAction;
    }

    public synchronized long volatileUncorrectedEcc() {
        return volatileUncorrected;
    }

    public synchronized boolean remapPending() {
        return remapPending;
    }

    public synchronized boolean remapFailure() {
        return remapFailure;
    }

    /** How many NVML calls have touched this GPU so far (tests assert that readings are memoized). */
    public long readCount() {
        return reads.get();
    }

    /** Counts one NVML call on this GPU and applies a scheduled loss; true when the GPU is lost. */
    boolean touchAndCheckLost() {
        long n = reads.incrementAndGet();
        if (!lost) {
            if (lostAfterReads >= 0 && n > lostAfterReads) {
                lost = true;
            } else if (lostAfterNanos >= 0 && System.nanoTime() - createdNanos >= lostAfterNanos) {
                lost = true;
            }
        }
        return lost;
    }

    /** Milliseconds since this GPU "powered on", for the energy counter. */
    long uptimeMillis() {
        return (System.nanoTime() - createdNanos) / 1_000_000L;
    }
}
