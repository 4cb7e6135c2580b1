package dev.kiln.nvml.raw;

import com.sun.jna.Structure;

/**
 * {@code nvmlEventData_t} (32 bytes), filled by {@code nvmlEventSetWait_v2}. {@code eventType} is
 * one bit of the event type mask; {@code eventData} is the Xid for Xid events and the recovery
 * action for recovery-action events. The instance ids are {@code 0xFFFFFFFF} outside MIG.
 */
@Structure.FieldOrder({"device", "eventType", "eventData", "gpuInstanceId", "computeInstanceId"})
public class NvmlEventData extends Structure {
    public DeviceHandle device;
    public long eventType;
    public long eventData;
    public int gpuInstanceId;
    public int computeInstanceId;
}
