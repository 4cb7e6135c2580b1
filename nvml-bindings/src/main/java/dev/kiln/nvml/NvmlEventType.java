package dev.kiln.nvml;

import dev.kiln.nvml.raw.NvmlConstants;

import java.util.Collection;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/** Bits of the {@code nvmlEventType*} mask; names follow nvml.h ({@code nvmlEventTypePState} is {@link #P_STATE}). */
public enum NvmlEventType {
    SINGLE_BIT_ECC_ERROR(NvmlConstants.EVENT_TYPE_SINGLE_BIT_ECC_ERROR),
    DOUBLE_BIT_ECC_ERROR(NvmlConstants.EVENT_TYPE_DOUBLE_BIT_ECC_ERROR),
    P_STATE(NvmlConstants.EVENT_TYPE_PSTATE),
    XID_CRITICAL_ERROR(NvmlConstants.EVENT_TYPE_XID_CRITICAL_ERROR),
    CLOCK(NvmlConstants.EVENT_TYPE_CLOCK),
    POWER_SOURCE_CHANGE(NvmlConstants.EVENT_TYPE_POWER_SOURCE_CHANGE),
    SINGLE_BIT_ECC_ERROR_STORM(NvmlConstants.EVENT_TYPE_SINGLE_BIT_ECC_ERROR_STORM),
    DRAM_RETIREMENT_EVENT(NvmlConstants.EVENT_TYPE_DRAM_RETIREMENT_EVENT),
    DRAM_RETIREMENT_FAILURE(NvmlConstants.EVENT_TYPE_DRAM_RETIREMENT_FAILURE),
    NON_FATAL_POISON_ERROR(NvmlConstants.EVENT_TYPE_NON_FATAL_POISON_ERROR),
    FATAL_POISON_ERROR(NvmlConstants.EVENT_TYPE_FATAL_POISON_ERROR),
    GPU_UNAVAILABLE_ERROR(NvmlConstants.EVENT_TYPE_GPU_UNAVAILABLE_ERROR),
    GPU_RECOVERY_ACTION(NvmlConstants.EVENT_TYPE_GPU_RECOVERY_ACTION);

    /**
     * The events a health watcher wants: Xids, double-bit ECC, single-bit ECC storms, row remap
     * (DRAM retirement) events and failures, a GPU becoming unavailable, and the driver's recovery action.
     */
    public static final Set<NvmlEventType> HEALTH = Set.copyOf(EnumSet.of(XID_CRITICAL_ERROR, DOUBLE_BIT_ECC_ERROR,
            SINGLE_BIT_ECC_ERROR_STORM, DRAM_RETIREMENT_EVENT, DRAM_RETIREMENT_FAILURE, GPU_UNAVAILABLE_ERROR,
            GPU_RECOVERY_ACTION));

    private final long mask;

    NvmlEventType(long mask) {
        this.mask = mask;
    }

    public long mask() {
        return mask;
    }

    /** The type whose bit is exactly {@code eventType} (NVML delivers one bit per event). */
    public static Optional<NvmlEventType> of(long eventType) {
        for (NvmlEventType t : values()) {
            if (t.mask == eventType) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** Every known type whose bit is set in {@code mask}; unknown bits are ignored. */
    public static Set<NvmlEventType> decode(long mask) {
        EnumSet<NvmlEventType> out = EnumSet.noneOf(NvmlEventType.class);
        for (NvmlEventType t : values()) {
            if ((mask & t.mask) != 0) {
                out.add(t);
            }
        }
        return out;
    }

    public static long maskOf(Collection<NvmlEventType> types) {
        long m = 0;
        for (NvmlEventType t : types) {
            m |= t.mask;
        }
        return m;
    }
}
