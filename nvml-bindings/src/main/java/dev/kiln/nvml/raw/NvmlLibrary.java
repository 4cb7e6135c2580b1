package dev.kiln.nvml.raw;

import com.sun.jna.Library;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * The raw NVML boundary: exactly the exported, versioned C symbols of {@code libnvidia-ml.so.1}
 * that Kiln uses, with JNA types that match the C ABI ({@code char*} is a caller-owned
 * {@code byte[]} plus its length, {@code unsigned int*} an {@link IntByReference}, handles are
 * {@link DeviceHandle}). Every method returns the raw {@code nvmlReturn_t}.
 *
 * <p>Two implementations exist: JNA's proxy over the real library ({@link NvmlLoader}) and the
 * simulator ({@code dev.kiln.nvml.sim}). Callers never use this directly; they use the typed
 * API in {@code dev.kiln.nvml}. Symbols listed in {@link NvmlSymbols#OPTIONAL} may be missing on
 * older drivers and must only be called when the binding's capability set has them.
 */
public interface NvmlLibrary extends Library {

    // --- init / system -------------------------------------------------------------------
    int nvmlInit_v2();

    int nvmlShutdown();

    String nvmlErrorString(int result);

    int nvmlSystemGetDriverVersion(byte[] version, int length);

    int nvmlSystemGetNVMLVersion(byte[] version, int length);

    int nvmlSystemGetCudaDriverVersion_v2(IntByReference cudaDriverVersion);

    int nvmlDeviceGetCount_v2(IntByReference deviceCount);

    int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device);

    // --- identity ------------------------------------------------------------------------
    int nvmlDeviceGetName(DeviceHandle device, byte[] name, int length);

    int nvmlDeviceGetUUID(DeviceHandle device, byte[] uuid, int length);

    int nvmlDeviceGetSerial(DeviceHandle device, byte[] serial, int length);

    int nvmlDeviceGetBoardPartNumber(DeviceHandle device, byte[] partNumber, int length);

    int nvmlDeviceGetVbiosVersion(DeviceHandle device, byte[] version, int length);

    int nvmlDeviceGetInforomImageVersion(DeviceHandle device, byte[] version, int length);

    int nvmlDeviceGetPciInfo_v3(DeviceHandle device, NvmlPciInfo pci);

    int nvmlDeviceGetMinorNumber(DeviceHandle device, IntByReference minorNumber);

    int nvmlDeviceGetIndex(DeviceHandle device, IntByReference index);

    int nvmlDeviceGetArchitecture(DeviceHandle device, IntByReference arch);

    int nvmlDeviceGetCudaComputeCapability(DeviceHandle device, IntByReference major, IntByReference minor);

    // --- memory --------------------------------------------------------------------------
    int nvmlDeviceGetMemoryInfo(DeviceHandle device, NvmlMemory memory);

    int nvmlDeviceGetMemoryInfo_v2(DeviceHandle device, NvmlMemoryV2 memory);

    // --- temperature ---------------------------------------------------------------------
    /** Deprecated in NVML 13 but exported by every driver; the fallback when TemperatureV is absent. */
    int nvmlDeviceGetTemperature(DeviceHandle device, int sensorType, IntByReference temp);

    int nvmlDeviceGetTemperatureV(DeviceHandle device, NvmlTemperature temperature);

    int nvmlDeviceGetTemperatureThreshold(DeviceHandle device, int thresholdType, IntByReference temp);

    // --- power ---------------------------------------------------------------------------
    int nvmlDeviceGetPowerUsage(DeviceHandle device, IntByReference milliwatts);

    int nvmlDeviceGetPowerManagementLimit(DeviceHandle device, IntByReference limit);

    int nvmlDeviceGetPowerManagementDefaultLimit(DeviceHandle device, IntByReference defaultLimit);

    int nvmlDeviceGetEnforcedPowerLimit(DeviceHandle device, IntByReference limit);

    int nvmlDeviceGetTotalEnergyConsumption(DeviceHandle device, LongByReference millijoules);

    // --- clocks --------------------------------------------------------------------------
    int nvmlDeviceGetClockInfo(DeviceHandle device, int clockType, IntByReference mhz);

    int nvmlDeviceGetMaxClockInfo(DeviceHandle device, int clockType, IntByReference mhz);

    int nvmlDeviceGetCurrentClocksEventReasons(DeviceHandle device, LongByReference reasons);

    /** Deprecated name of the call above; drivers older than ~535 only export this one. */
    int nvmlDeviceGetCurrentClocksThrottleReasons(DeviceHandle device, LongByReference reasons);

    // --- utilization ---------------------------------------------------------------------
    int nvmlDeviceGetUtilizationRates(DeviceHandle device, NvmlUtilization utilization);

    // --- ECC / row remapping -------------------------------------------------------------
    int nvmlDeviceGetEccMode(DeviceHandle device, IntByReference current, IntByReference pending);

    int nvmlDeviceGetTotalEccErrors(DeviceHandle device, int errorType, int counterType, LongByReference count);

    int nvmlDeviceGetRemappedRows(DeviceHandle device, IntByReference corrRows, IntByReference uncRows,
                                  IntByReference isPending, IntByReference failureOccurred);

    // --- PCIe ----------------------------------------------------------------------------
    int nvmlDeviceGetCurrPcieLinkGeneration(DeviceHandle device, IntByReference gen);

    int nvmlDeviceGetCurrPcieLinkWidth(DeviceHandle device, IntByReference width);

    int nvmlDeviceGetMaxPcieLinkGeneration(DeviceHandle device, IntByReference gen);

    int nvmlDeviceGetGpuMaxPcieLinkGeneration(DeviceHandle device, IntByReference gen);

    int nvmlDeviceGetMaxPcieLinkWidth(DeviceHandle device, IntByReference width);

    int nvmlDeviceGetPcieReplayCounter(DeviceHandle device, IntByReference value);

    // --- NVLink --------------------------------------------------------------------------
    int nvmlDeviceGetNvLinkState(DeviceHandle device, int link, IntByReference isActive);

    int nvmlDeviceGetNvLinkRemotePciInfo_v2(DeviceHandle device, int link, NvmlPciInfo pci);

    int nvmlDeviceGetNvLinkVersion(DeviceHandle device, int link, IntByReference version);

    /** {@code counter}: nvmlNvLinkErrorCounter_t (DL_REPLAY=0 .. DL_ECC_DATA=4). */
    int nvmlDeviceGetNvLinkErrorCounter(DeviceHandle device, int link, int counter, LongByReference value);

    // --- topology ------------------------------------------------------------------------
    /** {@code pathInfo}: nvmlGpuTopologyLevel_t (INTERNAL=0, SINGLE=10, MULTIPLE=20, HOSTBRIDGE=30, NODE=40, SYSTEM=50). */
    int nvmlDeviceGetTopologyCommonAncestor(DeviceHandle device1, DeviceHandle device2, IntByReference pathInfo);

    /** {@code p2pIndex}: nvmlGpuP2PCapsIndex_t; {@code p2pStatus}: nvmlGpuP2PStatus_t (OK=0). */
    int nvmlDeviceGetP2PStatus(DeviceHandle device1, DeviceHandle device2, int p2pIndex, IntByReference p2pStatus);

    // --- modes / processes ---------------------------------------------------------------
    int nvmlDeviceGetPersistenceMode(DeviceHandle device, IntByReference mode);

    int nvmlDeviceGetMigMode(DeviceHandle device, IntByReference currentMode, IntByReference pendingMode);

    /**
     * {@code infos} is the first element of a {@link com.sun.jna.Structure#toArray contiguous array}
     * of {@code *infoCount} entries, or null to ask for the count.
     */
    int nvmlDeviceGetComputeRunningProcesses_v3(DeviceHandle device, IntByReference infoCount, NvmlProcessInfo infos);

    // --- field values ----------------------------------------------------------------------
    /**
     * {@code values} is the first element of a contiguous array of {@code valuesCount} entries whose
     * {@code fieldId} (and {@code scopeId}) the caller set; each entry gets its own {@code nvmlReturn}.
     */
    int nvmlDeviceGetFieldValues(DeviceHandle device, int valuesCount, NvmlFieldValue values);

    // --- events ----------------------------------------------------------------------------
    int nvmlEventSetCreate(PointerByReference set);

    int nvmlDeviceGetSupportedEventTypes(DeviceHandle device, LongByReference eventTypes);

    /** NOT_SUPPORTED when any type of {@code eventTypes} is unsupported on this GPU: register only supported ones. */
    int nvmlDeviceRegisterEvents(DeviceHandle device, long eventTypes, EventSetHandle set);

    /** SUCCESS with one event, or ERROR_TIMEOUT after {@code timeoutms} (unsigned) without one. */
    int nvmlEventSetWait_v2(EventSetHandle set, NvmlEventData data, int timeoutms);

    int nvmlEventSetFree(EventSetHandle set);
}
