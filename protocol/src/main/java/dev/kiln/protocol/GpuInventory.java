package dev.kiln.protocol;

import java.util.List;

/**
 * One GPU. {@code index} is the NVML index; {@code state} is {@code ok}, {@code lost} or
 * {@code reset_required} or {@code unreachable} (then {@code recommendedAction} says what to do, and identity fields
 * may come from the last successful read). Null means "not supported on this GPU/driver".
 * {@code recoveryAction} is the driver's own recommendation (NVML field 230): {@code none},
 * {@code gpu_reset}, {@code node_reboot}, {@code drain_p2p}, {@code drain_and_reset},
 * {@code recover_imex_domain}, or {@code unknown} for a value newer than this agent.
 */
public record GpuInventory(
        int index,
        String state,
        String recommendedAction,
        String name,
        String uuid,
        String serial,
        String boardPartNumber,
        String vbiosVersion,
        String inforomImageVersion,
        Pci pci,
        Integer minorNumber,
        String architecture,
        String computeCapability,
        Long memoryTotalBytes,
        Long memoryUsedBytes,
        Long memoryFreeBytes,
        Long memoryReservedBytes,
        Integer temperatureCelsius,
        Integer temperatureSlowdownCelsius,
        Integer temperatureShutdownCelsius,
        Integer temperatureMemoryMaxCelsius,
        Integer temperatureGpuMaxCelsius,
        Integer powerUsageMilliwatts,
        Integer powerLimitMilliwatts,
        Integer powerEnforcedLimitMilliwatts,
        Integer powerDefaultLimitMilliwatts,
        Long energyConsumedMillijoules,
        Integer clockSmMhz,
        Integer clockMemoryMhz,
        Integer clockSmMaxMhz,
        Integer clockMemoryMaxMhz,
        List<String> clockEventReasons,
        Integer utilizationGpuPercent,
        Integer utilizationMemoryPercent,
        Ecc ecc,
        RemappedRows remappedRows,
        Pcie pcie,
        List<NvLink> nvlinks,
        Boolean persistenceMode,
        Mig mig,
        List<Process> processes,
        String recoveryAction) {

    public static final String STATE_OK = "ok";
    public static final String STATE_LOST = "lost";
    public static final String STATE_RESET_REQUIRED = "reset_required";
    /** NVML counts the GPU but cannot open it (insufficient power, IRQ issue, ...); the errors say why. */
    public static final String STATE_UNREACHABLE = "unreachable";

    /** IDs as hex strings the way nvidia-smi prints them, e.g. {@code 0x233010DE}. */
    public record Pci(String busId, int domain, int bus, int device, String deviceId, String subsystemId) {
    }

    public record Ecc(boolean enabled, boolean pendingEnabled, Long volatileCorrected, Long volatileUncorrected,
                      Long aggregateCorrected, Long aggregateUncorrected) {
    }

    public record RemappedRows(int correctable, int uncorrectable, boolean pending, boolean failureOccurred) {
    }

    public record Pcie(Integer currentGeneration, Integer currentWidth, Integer maxGeneration, Integer maxWidth,
                       Integer gpuMaxGeneration, Integer replayCounter) {
    }

    public record NvLink(int link, boolean active, String remotePciBusId) {
    }

    public record Mig(boolean current, boolean pending) {
    }

    public record Process(long pid, Long usedMemoryBytes) {
    }
}
