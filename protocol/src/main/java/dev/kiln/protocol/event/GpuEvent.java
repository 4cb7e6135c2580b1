package dev.kiln.protocol.event;

import java.time.Instant;

/**
 * One GPU event the agent saw (from NVML's event set, or injected in simulation).
 *
 * @param type     {@code xid}, {@code ecc_double_bit}, {@code ecc_single_bit_storm}, {@code remap},
 *                 {@code remap_failure}, {@code gpu_unavailable}, {@code recovery_action}
 * @param code     the Xid number for {@code xid}; the recovery action for {@code recovery_action}; else null
 * @param severity {@code fail}, {@code warn} or {@code info}, per the default Xid policy
 */
public record GpuEvent(Instant time, String bootId, int gpuIndex, String uuid, String pciBusId, String type,
                       Long code, String severity, String description) {
}
