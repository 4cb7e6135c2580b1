package dev.kiln.protocol.event;

import java.time.Instant;

/**
 * One GPU event the agent saw (from NVML's event set, or injected in simulation). Schema:
 * {@code docs/schema/events.schema.json}.
 *
 * @param bootId   the boot the event happened in, so a check can judge "this boot" only
 * @param gpuIndex the NVML index; -1 when NVML named a device the watcher had not registered
 * @param type     {@code xid}, {@code ecc_double_bit}, {@code ecc_single_bit_storm}, {@code remap},
 *                 {@code remap_failure}, {@code gpu_unavailable}, {@code recovery_action}, or
 *                 {@code other} for an event type this agent does not know
 * @param code     the Xid number for {@code xid}; the recovery action for {@code recovery_action}; else null
 * @param severity {@code fail}, {@code warn} or {@code info}, per the default Xid policy
 */
public record GpuEvent(Instant time, String bootId, int gpuIndex, String uuid, String pciBusId, String type,
                       Long code, String severity, String description) {
}
