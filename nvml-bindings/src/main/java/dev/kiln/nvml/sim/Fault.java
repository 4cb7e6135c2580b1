package dev.kiln.nvml.sim;

import dev.kiln.nvml.RecoveryAction;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A fault injected into a simulated server. {@code gpu} is the GPU's slot: its NVML index on a
 * healthy server (a missing GPU shifts the NVML indices of those after it, as on real hardware).
 * The {@link #type()} strings are the {@code type:} values of a faults file.
 */
public sealed interface Fault {

    String type();

    /** The GPU does not enumerate at all (dead, unseated, or fell off before the driver loaded). */
    record GpuMissing(int gpu) implements Fault {
        public String type() {
            return "gpu-missing";
        }
    }

    /** Uncorrectable (double-bit) ECC errors: volatile and aggregate counts rise by {@code count}. */
    record EccUncorrectable(int gpu, long count) implements Fault {
        public String type() {
            return "ecc-uncorrectable";
        }
    }

    /** A row remap is pending and needs a GPU reset to take effect. */
    record RemapPending(int gpu) implements Fault {
        public String type() {
            return "remap-pending";
        }
    }

    /** A row remap failed (no spare rows left): RMA territory. */
    record RemapFailure(int gpu) implements Fault {
        public String type() {
            return "remap-failure";
        }
    }

    /** The PCIe link trained below its maximum generation and/or width. */
    record PcieDowntrained(int gpu, Optional<Integer> generation, Optional<Integer> width) implements Fault {
        public String type() {
            return "pcie-downtrained";
        }
    }

    /** NVLinks down; an empty list means every link of the GPU. */
    record NvlinkDown(int gpu, List<Integer> links) implements Fault {
        public NvlinkDown {
            links = List.copyOf(links);
        }

        public String type() {
            return "nvlink-down";
        }
    }

    /** Thermal slowdown active: hot GPU, SW and HW thermal clock-event reasons set, SM clock held down. */
    record ThermalSlowdown(int gpu) implements Fault {
        public String type() {
            return "thermal-slowdown";
        }
    }

    /**
     * The GPU falls off the bus mid-session: every call answers GPU_IS_LOST once it has been read
     * {@code afterReads} times or {@code after} has passed since the server was created, whichever
     * comes first (both zero: lost from the start).
     */
    record GpuLost(int gpu, long afterReads, Duration after) implements Fault {
        public String type() {
            return "gpu-lost";
        }
    }

    /** An older driver: the named optional symbols are not exported, and the driver reports {@code driverVersion}. */
    record MissingSymbol(List<String> symbols, Optional<String> driverVersion) implements Fault {
        public MissingSymbol {
            symbols = List.copyOf(symbols);
        }

        public String type() {
            return "missing-symbol";
        }
    }

    /** One GPU flashed with a different VBIOS than its siblings. */
    record WrongVbios(int gpu, String version) implements Fault {
        public String type() {
            return "wrong-vbios";
        }
    }

    /** Someone's process holds the GPU. */
    record ProcessRunning(int gpu, long pid, long usedMemoryBytes) implements Fault {
        public String type() {
            return "process-running";
        }
    }

    /**
     * The driver reports Xid {@code code} on the GPU {@code after} the server was created (zero: at
     * once), as an {@code nvmlEventTypeXidCriticalError} event with the Xid as its data. Some Xids
     * also change what the GPU answers from then on: 79 (fell off the bus) makes it lost; 48
     * (double-bit ECC) adds one volatile and aggregate uncorrectable ECC error; 63 sets a pending row
     * remap with one uncorrectable remapped row; 64 sets a row remap failure. Others only raise the event.
     */
    record Xid(int gpu, int code, Duration after) implements Fault {
        public String type() {
            return "xid";
        }
    }

    /**
     * The driver recommends {@code action} for the GPU: field {@code NVML_FI_DEV_GET_GPU_RECOVERY_ACTION}
     * (230) answers it, and an {@code nvmlEventTypeGpuRecoveryAction} event carries it.
     */
    record DriverRecoveryAction(int gpu, RecoveryAction action) implements Fault {
        public DriverRecoveryAction {
            if (action == RecoveryAction.UNKNOWN) {
                throw new IllegalArgumentException("recovery-action fault needs a known action");
            }
        }

        public String type() {
            return "recovery-action";
        }
    }

    // --- fabric faults: they change what a simulated fabric test measures ---

    /** Fabric faults; the simulated fabric backends act on them (NVLink error counters also show in NVML). */
    sealed interface Fabric extends Fault {
    }

    /**
     * NVLinks up but running slow (a marginal cable, connector or retimer): the GPU's peer bandwidth through
     * these links is {@code factor} of normal. An empty list means every link of the GPU.
     */
    record NvlinkDegraded(int gpu, List<Integer> links, double factor) implements Fabric {
        public NvlinkDegraded {
            links = List.copyOf(links);
        }

        public String type() {
            return "nvlink-degraded";
        }
    }

    /** Copies between these two GPUs run at {@code factor} of normal (and only between them). */
    record SlowGpuPair(int gpu, int peer, double factor) implements Fabric {
        public String type() {
            return "slow-gpu-pair";
        }
    }

    /**
     * An NVLink error counter ({@code replay}, {@code recovery}, {@code crc_flit}, {@code crc_data},
     * {@code ecc_data}) rises by {@code count} during a fabric test: NVML answers a lifetime total
     * before the first read and that total plus {@code count} on every later read.
     */
    record NvlinkErrors(int gpu, int link, String counter, long count) implements Fabric {
        public static final List<String> COUNTERS = List.of("replay", "recovery", "crc_flit", "crc_data", "ecc_data");

        public NvlinkErrors {
            if (!COUNTERS.contains(counter)) {
                throw new IllegalArgumentException("unknown NVLink error counter '" + counter + "'; one of " + COUNTERS);
            }
        }

        public String type() {
            return "nvlink-errors";
        }
    }

    /** The node's network interface carries at most {@code gbps} Gbit/s (a port negotiated down, a bad optic). */
    record NicSlow(double gbps) implements Fabric {
        public String type() {
            return "nic-slow";
        }
    }

    /**
     * The node's network interface loses {@code lossPercent} of its packets: TCP retransmits stretch round
     * trips and cut throughput (modelled as delayed replies and a lower rate).
     */
    record NicLossy(double lossPercent) implements Fabric {
        public String type() {
            return "nic-lossy";
        }
    }

    /**
     * An InfiniBand/RoCE port counter (a file under {@code counters/}, e.g. {@code symbol_error}) rises by
     * {@code count} during a fabric test.
     */
    record IbPortErrors(String device, int port, String counter, long count) implements Fabric {
        public String type() {
            return "ib-port-errors";
        }
    }

    // --- burn-in faults: they change what a simulated burn-in measures, not what NVML answers ---

    /** Burn-in faults; the simulated burn-in backend acts on them, the simulated NVML ignores them. */
    sealed interface Burnin extends Fault {
    }

    /** The GPU computes wrong: the compute test's repeated results differ element-wise. */
    record BurninWrongResults(int gpu) implements Burnin {
        public String type() {
            return "burnin-wrong-results";
        }
    }

    /** The memory test finds mismatches at these device addresses. */
    record BurninMemoryErrors(int gpu, List<Long> addresses) implements Burnin {
        public BurninMemoryErrors {
            addresses = List.copyOf(addresses);
        }

        public String type() {
            return "burnin-memory-errors";
        }
    }

    /** Hardware thermal slowdown starts {@code after} the burn-in worker started (hot GPU, HW_THERMAL_SLOWDOWN). */
    record BurninThermal(int gpu, Duration after) implements Burnin {
        public String type() {
            return "burnin-thermal";
        }
    }

    /** Xid {@code code} on the GPU {@code after} the burn-in worker started; 79 also loses the GPU. */
    record BurninXid(int gpu, int code, Duration after) implements Burnin {
        public String type() {
            return "burnin-xid";
        }
    }

    /** The burn-in worker process exits abnormally {@code after} it started (as a native crash would). */
    record WorkerCrash(Duration after) implements Burnin {
        public String type() {
            return "worker-crash";
        }
    }

    /** The burn-in worker stops heart-beating {@code after} it started and never exits (as a stuck driver call). */
    record WorkerHang(Duration after) implements Burnin {
        public String type() {
            return "worker-hang";
        }
    }
}
