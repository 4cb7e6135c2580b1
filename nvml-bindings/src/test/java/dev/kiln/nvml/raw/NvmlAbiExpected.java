package dev.kiln.nvml.raw;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ABI facts Kiln's binding depends on, copied by hand from {@code shared/reference/nvml-abi.md}
 * (nvml.h 13.3.29, x86_64 Linux). The tests check the Java binding against this table always, and
 * against the file too when it is present (and that the two agree), so a clone without the shared
 * folder still guards the layouts.
 */
public final class NvmlAbiExpected {
    private NvmlAbiExpected() {
    }

    public record Field(String name, int offset, int size) {
    }

    public record Layout(int size, int align, List<Field> fields) {
        public Layout {
            fields = List.copyOf(fields);
        }

        public List<String> fieldNames() {
            return fields.stream().map(Field::name).toList();
        }
    }

    /** A C signature reduced to types: {@code returnType} and one normalized type per parameter. */
    public record Signature(String returnType, List<String> parameterTypes) {
        private static final Pattern TYPE_AND_NAME = Pattern.compile("^(.*?[\\s*])(\\w+)$");

        public Signature {
            parameterTypes = List.copyOf(parameterTypes);
        }

        /** From a parameter list as written in nvml.h, e.g. {@code nvmlDevice_t device, char *name, unsigned int length}. */
        public static Signature of(String returnType, String parameters) {
            List<String> types = new ArrayList<>();
            String p = parameters.trim();
            if (!p.isEmpty() && !p.equals("void")) {
                for (String param : p.split(",")) {
                    String s = normalizeType(param);
                    Matcher m = TYPE_AND_NAME.matcher(s);
                    types.add(m.matches() ? normalizeType(m.group(1)) : s);
                }
            }
            return new Signature(normalizeType(returnType), types);
        }
    }

    /** {@code char* x} and {@code char *x} alike: one space before each star, none after. */
    public static String normalizeType(String t) {
        return t.trim().replaceAll("\\s*\\*\\s*", " *").replaceAll("\\s+", " ").trim();
    }

    // --- struct layouts -------------------------------------------------------------------

    private static Layout layout(int size, int align, Object... nameOffsetSize) {
        List<Field> fields = new ArrayList<>();
        for (int i = 0; i < nameOffsetSize.length; i += 3) {
            fields.add(new Field((String) nameOffsetSize[i], (Integer) nameOffsetSize[i + 1],
                    (Integer) nameOffsetSize[i + 2]));
        }
        return new Layout(size, align, fields);
    }

    /** C struct name to layout, for every struct the binding declares. */
    public static final Map<String, Layout> STRUCTS = new LinkedHashMap<>();

    /** C struct name to the binding's JNA structure. */
    public static final Map<String, Class<? extends com.sun.jna.Structure>> JAVA_STRUCTS = new LinkedHashMap<>();

    static {
        STRUCTS.put("nvmlPciInfo_t", layout(68, 4,
                "busIdLegacy", 0, 16, "domain", 16, 4, "bus", 20, 4, "device", 24, 4,
                "pciDeviceId", 28, 4, "pciSubSystemId", 32, 4, "busId", 36, 32));
        STRUCTS.put("nvmlMemory_t", layout(24, 8, "total", 0, 8, "free", 8, 8, "used", 16, 8));
        STRUCTS.put("nvmlMemory_v2_t", layout(40, 8,
                "version", 0, 4, "total", 8, 8, "reserved", 16, 8, "free", 24, 8, "used", 32, 8));
        STRUCTS.put("nvmlUtilization_t", layout(8, 4, "gpu", 0, 4, "memory", 4, 4));
        STRUCTS.put("nvmlTemperature_t", layout(12, 4, "version", 0, 4, "sensorType", 4, 4, "temperature", 8, 4));
        STRUCTS.put("nvmlProcessInfo_t", layout(24, 8,
                "pid", 0, 4, "usedGpuMemory", 8, 8, "gpuInstanceId", 16, 4, "computeInstanceId", 20, 4));
        STRUCTS.put("nvmlFieldValue_t", layout(40, 8,
                "fieldId", 0, 4, "scopeId", 4, 4, "timestamp", 8, 8, "latencyUsec", 16, 8, "valueType", 24, 4,
                "nvmlReturn", 28, 4, "value", 32, 8));
        STRUCTS.put("nvmlEventData_t", layout(32, 8,
                "device", 0, 8, "eventType", 8, 8, "eventData", 16, 8, "gpuInstanceId", 24, 4,
                "computeInstanceId", 28, 4));

        JAVA_STRUCTS.put("nvmlPciInfo_t", NvmlPciInfo.class);
        JAVA_STRUCTS.put("nvmlMemory_t", NvmlMemory.class);
        JAVA_STRUCTS.put("nvmlMemory_v2_t", NvmlMemoryV2.class);
        JAVA_STRUCTS.put("nvmlUtilization_t", NvmlUtilization.class);
        JAVA_STRUCTS.put("nvmlTemperature_t", NvmlTemperature.class);
        JAVA_STRUCTS.put("nvmlProcessInfo_t", NvmlProcessInfo.class);
        JAVA_STRUCTS.put("nvmlFieldValue_t", NvmlFieldValue.class);
        JAVA_STRUCTS.put("nvmlEventData_t", NvmlEventData.class);
    }

    // --- version words --------------------------------------------------------------------

    public static final Map<String, Long> VERSION_WORDS = Map.of(
            "nvmlMemory_v2", 0x02000028L,
            "nvmlTemperature_v1", 0x0100000CL);

    // --- constants: NvmlConstants field -> (nvml.h name, value) ---------------------------

    public record Constant(String nvmlName, long value) {
    }

    public static final Map<String, Constant> CONSTANTS = new LinkedHashMap<>();

    static {
        CONSTANTS.put("PCI_BUS_ID_BUFFER_SIZE", new Constant("NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE", 32));
        CONSTANTS.put("PCI_BUS_ID_BUFFER_V2_SIZE", new Constant("NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE", 16));
        CONSTANTS.put("INFOROM_VERSION_BUFFER_SIZE", new Constant("NVML_DEVICE_INFOROM_VERSION_BUFFER_SIZE", 16));
        CONSTANTS.put("UUID_BUFFER_SIZE", new Constant("NVML_DEVICE_UUID_BUFFER_SIZE", 80));
        CONSTANTS.put("PART_NUMBER_BUFFER_SIZE", new Constant("NVML_DEVICE_PART_NUMBER_BUFFER_SIZE", 80));
        CONSTANTS.put("SYSTEM_DRIVER_VERSION_BUFFER_SIZE",
                new Constant("NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE", 80));
        CONSTANTS.put("SYSTEM_NVML_VERSION_BUFFER_SIZE", new Constant("NVML_SYSTEM_NVML_VERSION_BUFFER_SIZE", 80));
        CONSTANTS.put("NAME_BUFFER_SIZE", new Constant("NVML_DEVICE_NAME_V2_BUFFER_SIZE", 96));
        CONSTANTS.put("SERIAL_BUFFER_SIZE", new Constant("NVML_DEVICE_SERIAL_BUFFER_SIZE", 30));
        CONSTANTS.put("VBIOS_VERSION_BUFFER_SIZE", new Constant("NVML_DEVICE_VBIOS_VERSION_BUFFER_SIZE", 32));
        CONSTANTS.put("NVLINK_MAX_LINKS", new Constant("NVML_NVLINK_MAX_LINKS", 36));
        CONSTANTS.put("TEMPERATURE_GPU", new Constant("NVML_TEMPERATURE_GPU", 0));
        CONSTANTS.put("TEMPERATURE_THRESHOLD_SHUTDOWN", new Constant("NVML_TEMPERATURE_THRESHOLD_SHUTDOWN", 0));
        CONSTANTS.put("TEMPERATURE_THRESHOLD_SLOWDOWN", new Constant("NVML_TEMPERATURE_THRESHOLD_SLOWDOWN", 1));
        CONSTANTS.put("TEMPERATURE_THRESHOLD_MEM_MAX", new Constant("NVML_TEMPERATURE_THRESHOLD_MEM_MAX", 2));
        CONSTANTS.put("TEMPERATURE_THRESHOLD_GPU_MAX", new Constant("NVML_TEMPERATURE_THRESHOLD_GPU_MAX", 3));
        CONSTANTS.put("CLOCK_GRAPHICS", new Constant("NVML_CLOCK_GRAPHICS", 0));
        CONSTANTS.put("CLOCK_SM", new Constant("NVML_CLOCK_SM", 1));
        CONSTANTS.put("CLOCK_MEM", new Constant("NVML_CLOCK_MEM", 2));
        CONSTANTS.put("MEMORY_ERROR_CORRECTED", new Constant("NVML_MEMORY_ERROR_TYPE_CORRECTED", 0));
        CONSTANTS.put("MEMORY_ERROR_UNCORRECTED", new Constant("NVML_MEMORY_ERROR_TYPE_UNCORRECTED", 1));
        CONSTANTS.put("VOLATILE_ECC", new Constant("NVML_VOLATILE_ECC", 0));
        CONSTANTS.put("AGGREGATE_ECC", new Constant("NVML_AGGREGATE_ECC", 1));
        CONSTANTS.put("FEATURE_DISABLED", new Constant("NVML_FEATURE_DISABLED", 0));
        CONSTANTS.put("FEATURE_ENABLED", new Constant("NVML_FEATURE_ENABLED", 1));
        CONSTANTS.put("FI_DEV_GET_GPU_RECOVERY_ACTION", new Constant("NVML_FI_DEV_GET_GPU_RECOVERY_ACTION", 230));
        CONSTANTS.put("VALUE_TYPE_DOUBLE", new Constant("NVML_VALUE_TYPE_DOUBLE", 0));
        CONSTANTS.put("VALUE_TYPE_UNSIGNED_INT", new Constant("NVML_VALUE_TYPE_UNSIGNED_INT", 1));
        CONSTANTS.put("VALUE_TYPE_UNSIGNED_LONG", new Constant("NVML_VALUE_TYPE_UNSIGNED_LONG", 2));
        CONSTANTS.put("VALUE_TYPE_UNSIGNED_LONG_LONG", new Constant("NVML_VALUE_TYPE_UNSIGNED_LONG_LONG", 3));
        CONSTANTS.put("VALUE_TYPE_SIGNED_LONG_LONG", new Constant("NVML_VALUE_TYPE_SIGNED_LONG_LONG", 4));
        CONSTANTS.put("VALUE_TYPE_SIGNED_INT", new Constant("NVML_VALUE_TYPE_SIGNED_INT", 5));
        CONSTANTS.put("VALUE_TYPE_UNSIGNED_SHORT", new Constant("NVML_VALUE_TYPE_UNSIGNED_SHORT", 6));
    }

    // --- event type masks and recovery actions ------------------------------------------

    /** nvml.h event type name to its bit, as the file lists them. */
    public static final Map<String, Long> EVENT_TYPES = new LinkedHashMap<>();

    /** nvmlDeviceGpuRecoveryAction_t names to values. */
    public static final Map<String, Long> RECOVERY_ACTIONS = new LinkedHashMap<>();

    static {
        EVENT_TYPES.put("nvmlEventTypeNone", 0x0L);
        EVENT_TYPES.put("nvmlEventTypeSingleBitEccError", 0x1L);
        EVENT_TYPES.put("nvmlEventTypeDoubleBitEccError", 0x2L);
        EVENT_TYPES.put("nvmlEventTypePState", 0x4L);
        EVENT_TYPES.put("nvmlEventTypeXidCriticalError", 0x8L);
        EVENT_TYPES.put("nvmlEventTypeClock", 0x10L);
        EVENT_TYPES.put("nvmlEventTypePowerSourceChange", 0x80L);
        EVENT_TYPES.put("nvmlEventTypeSingleBitEccErrorStorm", 0x200L);
        EVENT_TYPES.put("nvmlEventTypeDramRetirementEvent", 0x400L);
        EVENT_TYPES.put("nvmlEventTypeDramRetirementFailure", 0x800L);
        EVENT_TYPES.put("nvmlEventTypeNonFatalPoisonError", 0x1000L);
        EVENT_TYPES.put("nvmlEventTypeFatalPoisonError", 0x2000L);
        EVENT_TYPES.put("nvmlEventTypeGpuUnavailableError", 0x4000L);
        EVENT_TYPES.put("nvmlEventTypeGpuRecoveryAction", 0x8000L);

        RECOVERY_ACTIONS.put("NVML_GPU_RECOVERY_ACTION_NONE", 0L);
        RECOVERY_ACTIONS.put("NVML_GPU_RECOVERY_ACTION_GPU_RESET", 1L);
        RECOVERY_ACTIONS.put("NVML_GPU_RECOVERY_ACTION_NODE_REBOOT", 2L);
        RECOVERY_ACTIONS.put("NVML_GPU_RECOVERY_ACTION_DRAIN_P2P", 3L);
        RECOVERY_ACTIONS.put("NVML_GPU_RECOVERY_ACTION_DRAIN_AND_RESET", 4L);
        RECOVERY_ACTIONS.put("NVML_GPU_RECOVERY_ACTION_RECOVER_IMEX_DOMAIN", 5L);
    }

    // --- nvmlReturn_t ---------------------------------------------------------------------

    public static final Map<String, Integer> RETURN_CODES = new LinkedHashMap<>();

    static {
        String[] names = {"NVML_SUCCESS", "NVML_ERROR_UNINITIALIZED", "NVML_ERROR_INVALID_ARGUMENT",
                "NVML_ERROR_NOT_SUPPORTED", "NVML_ERROR_NO_PERMISSION", "NVML_ERROR_ALREADY_INITIALIZED",
                "NVML_ERROR_NOT_FOUND", "NVML_ERROR_INSUFFICIENT_SIZE", "NVML_ERROR_INSUFFICIENT_POWER",
                "NVML_ERROR_DRIVER_NOT_LOADED", "NVML_ERROR_TIMEOUT", "NVML_ERROR_IRQ_ISSUE",
                "NVML_ERROR_LIBRARY_NOT_FOUND", "NVML_ERROR_FUNCTION_NOT_FOUND", "NVML_ERROR_CORRUPTED_INFOROM",
                "NVML_ERROR_GPU_IS_LOST", "NVML_ERROR_RESET_REQUIRED", "NVML_ERROR_OPERATING_SYSTEM",
                "NVML_ERROR_LIB_RM_VERSION_MISMATCH", "NVML_ERROR_IN_USE", "NVML_ERROR_MEMORY", "NVML_ERROR_NO_DATA",
                "NVML_ERROR_VGPU_ECC_NOT_SUPPORTED", "NVML_ERROR_INSUFFICIENT_RESOURCES",
                "NVML_ERROR_FREQ_NOT_SUPPORTED", "NVML_ERROR_ARGUMENT_VERSION_MISMATCH", "NVML_ERROR_DEPRECATED",
                "NVML_ERROR_NOT_READY", "NVML_ERROR_GPU_NOT_FOUND", "NVML_ERROR_INVALID_STATE",
                "NVML_ERROR_RESET_TYPE_NOT_SUPPORTED"};
        for (int i = 0; i < names.length; i++) {
            RETURN_CODES.put(names[i], i);
        }
        RETURN_CODES.put("NVML_ERROR_UNKNOWN", 999);
    }

    // --- clock event reasons and architectures ------------------------------------------

    /** nvml.h mask name to bit; the names are the file's (some only exist as ...ThrottleReason...). */
    public static final Map<String, Long> CLOCK_EVENT_REASONS = new LinkedHashMap<>();

    static {
        CLOCK_EVENT_REASONS.put("nvmlClocksEventReasonGpuIdle", 0x1L);
        CLOCK_EVENT_REASONS.put("nvmlClocksEventReasonApplicationsClocksSetting", 0x2L);
        CLOCK_EVENT_REASONS.put("nvmlClocksEventReasonSwPowerCap", 0x4L);
        CLOCK_EVENT_REASONS.put("nvmlClocksThrottleReasonHwSlowdown", 0x8L);
        CLOCK_EVENT_REASONS.put("nvmlClocksEventReasonSyncBoost", 0x10L);
        CLOCK_EVENT_REASONS.put("nvmlClocksEventReasonSwThermalSlowdown", 0x20L);
        CLOCK_EVENT_REASONS.put("nvmlClocksThrottleReasonHwThermalSlowdown", 0x40L);
        CLOCK_EVENT_REASONS.put("nvmlClocksThrottleReasonHwPowerBrakeSlowdown", 0x80L);
        CLOCK_EVENT_REASONS.put("nvmlClocksEventReasonDisplayClockSetting", 0x100L);
        CLOCK_EVENT_REASONS.put("nvmlClocksEventReasonNone", 0x0L);
    }

    public static final Map<String, Long> ARCHITECTURES = new LinkedHashMap<>();

    static {
        ARCHITECTURES.put("NVML_DEVICE_ARCH_KEPLER", 2L);
        ARCHITECTURES.put("NVML_DEVICE_ARCH_MAXWELL", 3L);
        ARCHITECTURES.put("NVML_DEVICE_ARCH_PASCAL", 4L);
        ARCHITECTURES.put("NVML_DEVICE_ARCH_VOLTA", 5L);
        ARCHITECTURES.put("NVML_DEVICE_ARCH_TURING", 6L);
        ARCHITECTURES.put("NVML_DEVICE_ARCH_AMPERE", 7L);
        ARCHITECTURES.put("NVML_DEVICE_ARCH_ADA", 8L);
        ARCHITECTURES.put("NVML_DEVICE_ARCH_HOPPER", 9L);
        ARCHITECTURES.put("NVML_DEVICE_ARCH_BLACKWELL", 10L);
        ARCHITECTURES.put("NVML_DEVICE_ARCH_RUBIN", 13L);
        ARCHITECTURES.put("NVML_DEVICE_ARCH_UNKNOWN", 0xffffffffL);
    }

    // --- signatures of every symbol Kiln binds, as nvml.h writes them ----------------------

    public static final Map<String, Signature> SIGNATURES = new LinkedHashMap<>();

    private static void sig(String symbol, String parameters) {
        SIGNATURES.put(symbol, Signature.of("nvmlReturn_t", parameters));
    }

    static {
        sig("nvmlInit_v2", "void");
        sig("nvmlShutdown", "void");
        SIGNATURES.put("nvmlErrorString", Signature.of("const char*", "nvmlReturn_t"));
        sig("nvmlSystemGetDriverVersion", "char *version, unsigned int length");
        sig("nvmlSystemGetNVMLVersion", "char *version, unsigned int length");
        sig("nvmlSystemGetCudaDriverVersion_v2", "int *cudaDriverVersion");
        sig("nvmlDeviceGetCount_v2", "unsigned int *deviceCount");
        sig("nvmlDeviceGetHandleByIndex_v2", "unsigned int index, nvmlDevice_t *device");
        sig("nvmlDeviceGetName", "nvmlDevice_t device, char *name, unsigned int length");
        sig("nvmlDeviceGetUUID", "nvmlDevice_t device, char *uuid, unsigned int length");
        sig("nvmlDeviceGetSerial", "nvmlDevice_t device, char *serial, unsigned int length");
        sig("nvmlDeviceGetBoardPartNumber", "nvmlDevice_t device, char* partNumber, unsigned int length");
        sig("nvmlDeviceGetVbiosVersion", "nvmlDevice_t device, char *version, unsigned int length");
        sig("nvmlDeviceGetInforomImageVersion", "nvmlDevice_t device, char *version, unsigned int length");
        sig("nvmlDeviceGetPciInfo_v3", "nvmlDevice_t device, nvmlPciInfo_t *pci");
        sig("nvmlDeviceGetMinorNumber", "nvmlDevice_t device, unsigned int *minorNumber");
        sig("nvmlDeviceGetIndex", "nvmlDevice_t device, unsigned int *index");
        sig("nvmlDeviceGetArchitecture", "nvmlDevice_t device, nvmlDeviceArchitecture_t *arch");
        sig("nvmlDeviceGetCudaComputeCapability", "nvmlDevice_t device, int *major, int *minor");
        sig("nvmlDeviceGetMemoryInfo", "nvmlDevice_t device, nvmlMemory_t *memory");
        sig("nvmlDeviceGetMemoryInfo_v2", "nvmlDevice_t device, nvmlMemory_v2_t *memory");
        sig("nvmlDeviceGetTemperature", "nvmlDevice_t device, nvmlTemperatureSensors_t sensorType, unsigned int *temp");
        sig("nvmlDeviceGetTemperatureV", "nvmlDevice_t device, nvmlTemperature_t *temperature");
        sig("nvmlDeviceGetTemperatureThreshold",
                "nvmlDevice_t device, nvmlTemperatureThresholds_t thresholdType, unsigned int *temp");
        sig("nvmlDeviceGetPowerUsage", "nvmlDevice_t device, unsigned int *power");
        sig("nvmlDeviceGetPowerManagementLimit", "nvmlDevice_t device, unsigned int *limit");
        sig("nvmlDeviceGetPowerManagementDefaultLimit", "nvmlDevice_t device, unsigned int *defaultLimit");
        sig("nvmlDeviceGetEnforcedPowerLimit", "nvmlDevice_t device, unsigned int *limit");
        sig("nvmlDeviceGetTotalEnergyConsumption", "nvmlDevice_t device, unsigned long long *energy");
        sig("nvmlDeviceGetClockInfo", "nvmlDevice_t device, nvmlClockType_t type, unsigned int *clock");
        sig("nvmlDeviceGetMaxClockInfo", "nvmlDevice_t device, nvmlClockType_t type, unsigned int *clock");
        sig("nvmlDeviceGetCurrentClocksEventReasons", "nvmlDevice_t device, unsigned long long *clocksEventReasons");
        sig("nvmlDeviceGetCurrentClocksThrottleReasons",
                "nvmlDevice_t device, unsigned long long *clocksThrottleReasons");
        sig("nvmlDeviceGetUtilizationRates", "nvmlDevice_t device, nvmlUtilization_t *utilization");
        sig("nvmlDeviceGetEccMode", "nvmlDevice_t device, nvmlEnableState_t *current, nvmlEnableState_t *pending");
        sig("nvmlDeviceGetTotalEccErrors", "nvmlDevice_t device, nvmlMemoryErrorType_t errorType, "
                + "nvmlEccCounterType_t counterType, unsigned long long *eccCounts");
        sig("nvmlDeviceGetRemappedRows", "nvmlDevice_t device, unsigned int *corrRows, unsigned int *uncRows, "
                + "unsigned int *isPending, unsigned int *failureOccurred");
        sig("nvmlDeviceGetCurrPcieLinkGeneration", "nvmlDevice_t device, unsigned int *currLinkGen");
        sig("nvmlDeviceGetCurrPcieLinkWidth", "nvmlDevice_t device, unsigned int *currLinkWidth");
        sig("nvmlDeviceGetMaxPcieLinkGeneration", "nvmlDevice_t device, unsigned int *maxLinkGen");
        sig("nvmlDeviceGetGpuMaxPcieLinkGeneration", "nvmlDevice_t device, unsigned int *maxLinkGenDevice");
        sig("nvmlDeviceGetMaxPcieLinkWidth", "nvmlDevice_t device, unsigned int *maxLinkWidth");
        sig("nvmlDeviceGetPcieReplayCounter", "nvmlDevice_t device, unsigned int *value");
        sig("nvmlDeviceGetNvLinkState", "nvmlDevice_t device, unsigned int link, nvmlEnableState_t *isActive");
        sig("nvmlDeviceGetNvLinkRemotePciInfo_v2", "nvmlDevice_t device, unsigned int link, nvmlPciInfo_t *pci");
        sig("nvmlDeviceGetNvLinkVersion", "nvmlDevice_t device, unsigned int link, unsigned int *version");
        sig("nvmlDeviceGetNvLinkErrorCounter", "nvmlDevice_t device, unsigned int link, "
                + "nvmlNvLinkErrorCounter_t counter, unsigned long long *counterValue");
        sig("nvmlDeviceGetTopologyCommonAncestor", "nvmlDevice_t device1, nvmlDevice_t device2, "
                + "nvmlGpuTopologyLevel_t *pathInfo");
        sig("nvmlDeviceGetP2PStatus", "nvmlDevice_t device1, nvmlDevice_t device2, nvmlGpuP2PCapsIndex_t p2pIndex,"
                + "nvmlGpuP2PStatus_t *p2pStatus");
        sig("nvmlDeviceGetPersistenceMode", "nvmlDevice_t device, nvmlEnableState_t *mode");
        sig("nvmlDeviceGetMigMode", "nvmlDevice_t device, unsigned int *currentMode, unsigned int *pendingMode");
        sig("nvmlDeviceGetComputeRunningProcesses_v3",
                "nvmlDevice_t device, unsigned int *infoCount, nvmlProcessInfo_t *infos");
        sig("nvmlDeviceGetFieldValues", "nvmlDevice_t device, int valuesCount, nvmlFieldValue_t *values");
        sig("nvmlEventSetCreate", "nvmlEventSet_t *set");
        sig("nvmlDeviceGetSupportedEventTypes", "nvmlDevice_t device, unsigned long long *eventTypes");
        sig("nvmlDeviceRegisterEvents", "nvmlDevice_t device, unsigned long long eventTypes, nvmlEventSet_t set");
        sig("nvmlEventSetWait_v2", "nvmlEventSet_t set, nvmlEventData_t * data, unsigned int timeoutms");
        sig("nvmlEventSetFree", "nvmlEventSet_t set");
    }
}
