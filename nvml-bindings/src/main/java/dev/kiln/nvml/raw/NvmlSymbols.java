package dev.kiln.nvml.raw;

import java.util.Set;

/**
 * Which exported symbols Kiln needs ({@link #REQUIRED}: without them the library is unusable)
 * and which it uses when present ({@link #OPTIONAL}: probed once at load into the capability set).
 */
public final class NvmlSymbols {
    private NvmlSymbols() {
    }

    public static final Set<String> REQUIRED = Set.of(
            "nvmlInit_v2", "nvmlShutdown", "nvmlErrorString",
            "nvmlSystemGetDriverVersion", "nvmlSystemGetNVMLVersion",
            "nvmlDeviceGetCount_v2", "nvmlDeviceGetHandleByIndex_v2",
            "nvmlDeviceGetName", "nvmlDeviceGetUUID", "nvmlDeviceGetPciInfo_v3");

    public static final Set<String> OPTIONAL = Set.of(
            "nvmlSystemGetCudaDriverVersion_v2",
            "nvmlDeviceGetSerial", "nvmlDeviceGetBoardPartNumber", "nvmlDeviceGetVbiosVersion",
            "nvmlDeviceGetInforomImageVersion", "nvmlDeviceGetMinorNumber", "nvmlDeviceGetIndex",
            "nvmlDeviceGetArchitecture", "nvmlDeviceGetCudaComputeCapability",
            "nvmlDeviceGetMemoryInfo", "nvmlDeviceGetMemoryInfo_v2",
            "nvmlDeviceGetTemperature", "nvmlDeviceGetTemperatureV", "nvmlDeviceGetTemperatureThreshold",
            "nvmlDeviceGetPowerUsage", "nvmlDeviceGetPowerManagementLimit",
            "nvmlDeviceGetPowerManagementDefaultLimit", "nvmlDeviceGetEnforcedPowerLimit",
            "nvmlDeviceGetTotalEnergyConsumption",
            "nvmlDeviceGetClockInfo", "nvmlDeviceGetMaxClockInfo",
            "nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons",
            "nvmlDeviceGetUtilizationRates",
            "nvmlDeviceGetEccMode", "nvmlDeviceGetTotalEccErrors", "nvmlDeviceGetRemappedRows",
            "nvmlDeviceGetCurrPcieLinkGeneration", "nvmlDeviceGetCurrPcieLinkWidth",
            "nvmlDeviceGetMaxPcieLinkGeneration", "nvmlDeviceGetGpuMaxPcieLinkGeneration",
            "nvmlDeviceGetMaxPcieLinkWidth", "nvmlDeviceGetPcieReplayCounter",
            "nvmlDeviceGetNvLinkState", "nvmlDeviceGetNvLinkRemotePciInfo_v2",
            "nvmlDeviceGetNvLinkVersion", "nvmlDeviceGetNvLinkErrorCounter",
            "nvmlDeviceGetTopologyCommonAncestor", "nvmlDeviceGetP2PStatus",
            "nvmlDeviceGetPersistenceMode", "nvmlDeviceGetMigMode",
            "nvmlDeviceGetComputeRunningProcesses_v3",
            "nvmlDeviceGetFieldValues",
            "nvmlEventSetCreate", "nvmlDeviceGetSupportedEventTypes", "nvmlDeviceRegisterEvents",
            "nvmlEventSetWait_v2", "nvmlEventSetFree");
}
