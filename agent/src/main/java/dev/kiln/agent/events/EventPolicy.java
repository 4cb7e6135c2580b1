package dev.kiln.agent.events;

import dev.kiln.nvml.NvmlEvent;
import dev.kiln.nvml.NvmlEventType;
import dev.kiln.nvml.RecoveryAction;
import dev.kiln.protocol.event.GpuEvent;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The default judgement of a GPU event: its wire type, severity and description. Xids per
 * shared/reference/field-facts.md: {@link #FAIL_XIDS} fail, {@link #WARN_XIDS} warn, any other Xid
 * is informational (usually an application fault). Double-bit ECC, row remap failures, a GPU
 * becoming unavailable and any recovery action but {@code none} fail; single-bit ECC storms and
 * recorded row remaps warn. A check may apply its own policy to the {@code type} and {@code code}.
 */
public final class EventPolicy {
    public static final Set<Integer> FAIL_XIDS = Set.of(48, 64, 74, 79, 92, 95);
    public static final Set<Integer> WARN_XIDS = Set.of(63, 94);

    public static final String FAIL = "fail";
    public static final String WARN = "warn";
    public static final String INFO = "info";

    private static final Map<Integer, String> XID_MEANINGS = Map.of(
            48, "double-bit ECC error: reset the GPU",
            63, "row remap / page retirement recorded: reset the GPU when convenient",
            64, "row remap / page retirement failed to record: reset or reboot promptly",
            74, "NVLink error: check the link and its far end",
            79, "GPU fell off the bus: reset the GPU or reboot; reseat or RMA if it recurs",
            92, "high single-bit ECC error rate",
            94, "contained ECC error: restart the application",
            95, "uncontained ECC error: reset the GPU");

    private EventPolicy() {
    }

    /** The wire record of {@code e}, seen at {@code time} in boot {@code bootId}. */
    public static GpuEvent toGpuEvent(NvmlEvent e, Instant time, String bootId) {
        Optional<NvmlEventType> t = e.type();
        String type;
        Long code = null;
        String severity;
        String description;
        if (t.isEmpty()) {
            type = "other";
            severity = INFO;
            description = "NVML event type 0x" + Long.toHexString(e.eventType()) + " (data " + e.eventData() + ")";
        } else {
            switch (t.get()) {
                case XID_CRITICAL_ERROR -> {
                    type = "xid";
                    code = e.eventData();
                    severity = xidSeverity(e.eventData());
                    description = xidDescription(e.eventData());
                }
                case DOUBLE_BIT_ECC_ERROR -> {
                    type = "ecc_double_bit";
                    severity = FAIL;
                    description = "double-bit (uncorrectable) ECC error: reset the GPU";
                }
                case SINGLE_BIT_ECC_ERROR_STORM -> {
                    type = "ecc_single_bit_storm";
                    severity = WARN;
                    description = "storm of single-bit (correctable) ECC errors";
                }
                case DRAM_RETIREMENT_EVENT -> {
                    type = "remap";
                    severity = WARN;
                    description = "row remap / page retirement recorded: reset the GPU when convenient";
                }
                case DRAM_RETIREMENT_FAILURE -> {
                    type = "remap_failure";
                    severity = FAIL;
                    description = "row remap / page retirement failed: reset or reboot promptly, then RMA";
                }
                case GPU_UNAVAILABLE_ERROR -> {
                    type = "gpu_unavailable";
                    severity = FAIL;
                    description = "GPU became unavailable: reset the GPU or reboot the node";
                }
                case GPU_RECOVERY_ACTION -> {
                    RecoveryAction a = RecoveryAction.of(e.eventData());
                    type = "recovery_action";
                    code = e.eventData();
                    severity = a == RecoveryAction.NONE ? INFO : FAIL;
                    description = a == RecoveryAction.NONE ? "driver recommends no recovery action"
                            : "driver recommends " + a.wireName() + ": " + a.recommendedAction();
                }
                default -> {
                    type = "other";
                    severity = INFO;
                    description = "NVML event " + t.get() + " (data " + e.eventData() + ")";
                }
            }
        }
        return new GpuEvent(time, bootId, e.gpuIndex(), e.uuid().orElse(null), e.pciBusId().orElse(null), type, code,
                severity, description);
    }

    public static String xidSeverity(long xid) {
        if (xid >= Integer.MIN_VALUE && xid <= Integer.MAX_VALUE) {
            if (FAIL_XIDS.contains((int) xid)) {
                return FAIL;
            }
            if (WARN_XIDS.contains((int) xid)) {
                return WARN;
            }
        }
        return INFO;
    }

    static String xidDescription(long xid) {
        String meaning = xid >= 0 && xid <= Integer.MAX_VALUE ? XID_MEANINGS.get((int) xid) : null;
        return "Xid " + xid + (meaning != null ? ": " + meaning : " (not a hardware Xid Kiln acts on; see NVIDIA's Xid catalog)");
    }
}
