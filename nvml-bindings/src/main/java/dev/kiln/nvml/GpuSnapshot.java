package dev.kiln.nvml;

import java.util.List;
import java.util.Optional;

/**
 * Everything Kiln reads from one GPU at one moment. Immutable. An empty Optional means the
 * GPU or driver does not support that reading; a reading that failed for another reason is listed
 * in {@link #errors()} instead. When {@link #state()} is not {@link GpuState#OK} the GPU stopped
 * answering while being read: the fields read before that are kept, the rest are empty.
 */
public record GpuSnapshot(
        int index,
        GpuState state,
        Optional<String> name,
        Optional<String> uuid,
        Optional<String> serial,
        Optional<String> boardPartNumber,
        Optional<String> vbiosVersion,
        Optional<String> inforomImageVersion,
        Optional<PciInfo> pci,
        Optional<Integer> minorNumber,
        Optional<Architecture> architecture,
        Optional<ComputeCapability> computeCapability,
        Optional<MemoryInfo> memory,
        Temperatures temperatures,
        PowerInfo power,
        ClockInfo clocks,
        Optional<Utilization> utilization,
        Optional<EccInfo> ecc,
        Optional<RemappedRows> remappedRows,
        PcieLink pcie,
        List<NvLink> nvlinks,
        Optional<Boolean> persistenceMode,
        Optional<MigMode> migMode,
        Optional<List<ComputeProcess>> computeProcesses,
        Optional<RecoveryAction> recoveryAction,
        List<ReadError> errors) {

    public GpuSnapshot {
        nvlinks = List.copyOf(nvlinks);
        errors = List.copyOf(errors);
        computeProcesses = computeProcesses.map(List::copyOf);
    }

    /** A GPU whose handle could not even be obtained. */
    public static GpuSnapshot unreachable(int index, GpuState state, ReadError error) {
        return new GpuSnapshot(index, state, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Temperatures.NONE, PowerInfo.NONE,
                ClockInfo.NONE, Optional.empty(), Optional.empty(), Optional.empty(), PcieLink.NONE, List.of(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                error == null ? List.of() : List.of(error));
    }
}
