package dev.kiln.nvml.raw;

/** Constants from nvml.h (13.x) that the raw binding needs; values per shared/reference/nvml-abi.md. */
public final class NvmlConstants {
    private NvmlConstants() {
    }

    public static final int PCI_BUS_ID_BUFFER_SIZE = 32;
    public static final int PCI_BUS_ID_BUFFER_V2_SIZE = 16;
    public static final int INFOROM_VERSION_BUFFER_SIZE = 16;
    public static final int UUID_BUFFER_SIZE = 80;
    public static final int PART_NUMBER_BUFFER_SIZE = 80;
    public static final int SYSTEM_DRIVER_VERSION_BUFFER_SIZE = 80;
    public static final int SYSTEM_NVML_VERSION_BUFFER_SIZE = 80;
    public static final int NAME_BUFFER_SIZE = 96; // NVML_DEVICE_NAME_V2_BUFFER_SIZE
    public static final int SERIAL_BUFFER_SIZE = 30;
    public static final int VBIOS_VERSION_BUFFER_SIZE = 32;
    public static final int NVLINK_MAX_LINKS = 36;

    /** NVML_STRUCT_VERSION(name, ver) = sizeof(struct) | (ver << 24). */
    public static int structVersion(int sizeof, int version) {
        return sizeof | (version << 24);
    }

    public static final int MEMORY_V2_VERSION = structVersion(40, 2);       // 0x02000028
    public static final int TEMPERATURE_V1_VERSION = structVersion(12, 1);  // 0x0100000C

    // nvmlTemperatureSensors_t / nvmlTemperatureThresholds_t
    public static final int TEMPERATURE_GPU = 0;
    public static final int TEMPERATURE_THRESHOLD_SHUTDOWN = 0;
    public static final int TEMPERATURE_THRESHOLD_SLOWDOWN = 1;
    public static final int TEMPERATURE_THRESHOLD_MEM_MAX = 2;
    public static final int TEMPERATURE_THRESHOLD_GPU_MAX = 3;

    // nvmlClockType_t
    public static final int CLOCK_GRAPHICS = 0;
    public static final int CLOCK_SM = 1;
    public static final int CLOCK_MEM = 2;

    // nvmlMemoryErrorType_t / nvmlEccCounterType_t
    public static final int MEMORY_ERROR_CORRECTED = 0;
    public static final int MEMORY_ERROR_UNCORRECTED = 1;
    public static final int VOLATILE_ECC = 0;
    public static final int AGGREGATE_ECC = 1;

    // nvmlEnableState_t
    public static final int FEATURE_DISABLED = 0;
    public static final int FEATURE_ENABLED = 1;

    // nvmlEventType masks (unsigned long long)
    public static final long EVENT_TYPE_NONE = 0x0L;
    public static final long EVENT_TYPE_SINGLE_BIT_ECC_ERROR = 0x1L;
    public static final long EVENT_TYPE_DOUBLE_BIT_ECC_ERROR = 0x2L;
    public static final long EVENT_TYPE_PSTATE = 0x4L;
    public static final long EVENT_TYPE_XID_CRITICAL_ERROR = 0x8L;
    public static final long EVENT_TYPE_CLOCK = 0x10L;
    public static final long EVENT_TYPE_POWER_SOURCE_CHANGE = 0x80L;
    public static final long EVENT_TYPE_SINGLE_BIT_ECC_ERROR_STORM = 0x200L;
    public static final long EVENT_TYPE_DRAM_RETIREMENT_EVENT = 0x400L;
    public static final long EVENT_TYPE_DRAM_RETIREMENT_FAILURE = 0x800L;
    public static final long EVENT_TYPE_NON_FATAL_POISON_ERROR = 0x1000L;
    public static final long EVENT_TYPE_FATAL_POISON_ERROR = 0x2000L;
    public static final long EVENT_TYPE_GPU_UNAVAILABLE_ERROR = 0x4000L;
    public static final long EVENT_TYPE_GPU_RECOVERY_ACTION = 0x8000L;

    // nvmlFieldValue_t field ids and nvmlValueType_t
    public static final int FI_DEV_GET_GPU_RECOVERY_ACTION = 230;
    /** {@code NVML_FI_DEV_MEMORY_TEMP}: HBM temperature in degrees Celsius (GPUs with HBM). */
    public static final int FI_DEV_MEMORY_TEMP = 82;
    public static final int VALUE_TYPE_DOUBLE = 0;
    public static final int VALUE_TYPE_UNSIGNED_INT = 1;
    public static final int VALUE_TYPE_UNSIGNED_LONG = 2;
    public static final int VALUE_TYPE_UNSIGNED_LONG_LONG = 3;
    public static final int VALUE_TYPE_SIGNED_LONG_LONG = 4;
    public static final int VALUE_TYPE_SIGNED_INT = 5;
    public static final int VALUE_TYPE_UNSIGNED_SHORT = 6;
}
