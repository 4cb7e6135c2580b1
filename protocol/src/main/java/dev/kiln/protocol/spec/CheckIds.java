package dev.kiln.protocol.spec;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The stable dotted ids of Kiln's checks. Specs ({@code checks.disabled}) and the CLI
 * ({@code --only}, {@code --skip}) name checks by these ids; they never change meaning once released.
 */
public final class CheckIds {
    private CheckIds() {
    }

    public static final String GPU_COUNT = "gpu.count";
    public static final String GPU_MODEL = "gpu.model";
    public static final String GPU_MEMORY = "gpu.memory";
    public static final String DRIVER_VERSION = "driver.version";
    public static final String GPU_VBIOS = "gpu.vbios";
    public static final String GPU_PCIE_LINK = "gpu.pcie.link";
    public static final String GPU_NVLINK_LINKS = "gpu.nvlink.links";
    public static final String GPU_ECC_MODE = "gpu.ecc.mode";
    public static final String GPU_ECC_UNCORRECTABLE = "gpu.ecc.uncorrectable";
    public static final String GPU_REMAP_PENDING = "gpu.remap.pending";
    public static final String GPU_REMAP_FAILURE = "gpu.remap.failure";
    public static final String GPU_XID_RECENT = "gpu.xid.recent";
    public static final String GPU_THERMAL = "gpu.thermal";
    public static final String GPU_CLOCKS_EVENTS = "gpu.clocks.events";
    public static final String GPU_POWER_LIMIT = "gpu.power.limit";
    public static final String GPU_PERSISTENCE = "gpu.persistence";
    public static final String GPU_MIG = "gpu.mig";
    public static final String GPU_PROCESSES = "gpu.processes";
    public static final String GPU_LOST = "gpu.lost";
    public static final String GPU_RECOVERY_ACTION = "gpu.recovery.action";
    public static final String IB_PORT_STATE = "ib.port.state";
    public static final String IB_PORT_RATE = "ib.port.rate";
    public static final String HOST_MEMORY = "host.memory";
    public static final String HOST_CPU = "host.cpu";

    /** Every id, in the order reports list them. */
    public static final List<String> ALL = List.of(
            GPU_COUNT, GPU_MODEL, GPU_MEMORY, DRIVER_VERSION, GPU_VBIOS, GPU_PCIE_LINK, GPU_NVLINK_LINKS,
            GPU_ECC_MODE, GPU_ECC_UNCORRECTABLE, GPU_REMAP_PENDING, GPU_REMAP_FAILURE, GPU_XID_RECENT,
            GPU_THERMAL, GPU_CLOCKS_EVENTS, GPU_POWER_LIMIT, GPU_PERSISTENCE, GPU_MIG, GPU_PROCESSES, GPU_LOST,
            GPU_RECOVERY_ACTION,
            IB_PORT_STATE, IB_PORT_RATE, HOST_MEMORY, HOST_CPU);

    private static final Set<String> KNOWN = Set.copyOf(ALL);

    public static boolean isKnown(String id) {
        return id != null && KNOWN.contains(id);
    }

    /** The known id closest to a misspelt one ({@code gpu.pcie} -> {@code gpu.pcie.link}), if any is close. */
    public static Optional<String> suggest(String id) {
        return Suggestions.closest(id, ALL);
    }
}
