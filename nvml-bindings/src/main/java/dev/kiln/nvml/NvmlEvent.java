package dev.kiln.nvml;

import java.util.Optional;

/**
 * One event from an {@link EventSubscription}, with the GPU named as it was when the subscription
 * registered it (so an event of a GPU that has since fallen off the bus still says which one).
 *
 * @param gpuIndex          NVML index of the GPU; -1 when NVML named a device this subscription did not register
 * @param uuid              the GPU's UUID, when it could be read at registration
 * @param pciBusId          the GPU's PCI bus id, when it could be read at registration
 * @param eventType         the raw event type bit ({@link #type()} decodes it)
 * @param eventData         the Xid for Xid events, the {@link RecoveryAction} code for recovery-action events
 * @param gpuInstanceId     the MIG GPU instance, when the event concerns one
 * @param computeInstanceId the MIG compute instance, when the event concerns one
 */
public record NvmlEvent(int gpuIndex, Optional<String> uuid, Optional<String> pciBusId, long eventType,
                        long eventData, Optional<Integer> gpuInstanceId, Optional<Integer> computeInstanceId) {

    /** The event's type, or empty for a bit this build does not know (a newer driver). */
    public Optional<NvmlEventType> type() {
        return NvmlEventType.of(eventType);
    }

    /** The Xid, for an Xid event. */
    public Optional<Long> xid() {
        return eventType == NvmlEventType.XID_CRITICAL_ERROR.mask() ? Optional.of(eventData) : Optional.empty();
    }

    /** The recovery action, for a recovery-action event. */
    public Optional<RecoveryAction> recoveryAction() {
        return eventType == NvmlEventType.GPU_RECOVERY_ACTION.mask()
                ? Optional.of(RecoveryAction.of(eventData)) : Optional.empty();
    }
}
