/*
 * A fake libnvidia-ml for the JNA binding's tests: two GPUs with fixed values.
 *
 * Built by FakeNvmlLibraryTest with `gcc -shared -fPIC` into a temporary directory and loaded
 * through NvmlLoader.load(path), so the real JNA proxy marshals every string, struct, unsigned
 * int and 64-bit counter below. Struct layouts are written here from shared/reference/nvml-abi.md
 * (nvml.h itself is not vendored) and checked with static asserts.
 *
 * Deliberately NOT exported (so the capability probe and the fallbacks are exercised):
 *   nvmlDeviceGetTemperatureV               -> typed layer falls back to nvmlDeviceGetTemperature
 *   nvmlDeviceGetCurrentClocksEventReasons  -> falls back to nvmlDeviceGetCurrentClocksThrottleReasons
 *   nvmlDeviceGetBoardPartNumber, nvmlDeviceGetInforomImageVersion, nvmlDeviceGetIndex,
 *   nvmlDeviceGetGpuMaxPcieLinkGeneration, nvmlDeviceGetPowerManagementDefaultLimit
 *
 * GPU 0 is healthy, except nvmlDeviceGetPersistenceMode answers NO_PERMISSION (an error that is
 * neither "not supported" nor "GPU lost") and nvmlDeviceGetMigMode answers NOT_SUPPORTED.
 * GPU 1 answers identity calls (name, UUID, serial, VBIOS, PCI, minor, architecture, compute
 * capability) and then GPU_IS_LOST for everything from memory on, except
 * nvmlDeviceGetRemappedRows, which answers RESET_REQUIRED.
 *
 * Field values: GPU 0 answers field 230 (GPU recovery action) with GPU_RESET as an unsigned int,
 * with garbage in the union's upper bytes; every other field is NOT_SUPPORTED.
 *
 * Events: GPU 0 supports Xid, double-bit ECC and recovery-action events; GPU 1 is lost. Tests raise
 * events with fakeNvmlRaiseEvent(); nvmlEventSetWait_v2 hands out the first raised event that the set
 * is registered for, and answers TIMEOUT at once when there is none (the fake never sleeps).
 *
 * Compile with -DFAKE_WITHOUT_PCI_INFO_V3 for a library that lacks one REQUIRED symbol.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef int nvmlReturn_t;

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_NO_PERMISSION 4
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_TIMEOUT 10
#define NVML_ERROR_GPU_IS_LOST 15
#define NVML_ERROR_RESET_REQUIRED 16
#define NVML_ERROR_ARGUMENT_VERSION_MISMATCH 25

#define NVML_NVLINK_MAX_LINKS 36
#define NVML_VALUE_NOT_AVAILABLE_ULL 0xFFFFFFFFFFFFFFFFULL

typedef struct {
    char busIdLegacy[16];
    unsigned int domain;
    unsigned int bus;
    unsigned int device;
    unsigned int pciDeviceId;
    unsigned int pciSubSystemId;
    char busId[32];
} nvmlPciInfo_t;

typedef struct {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_t;

typedef struct {
    unsigned int version;
    unsigned long long total;
    unsigned long long reserved;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_v2_t;

typedef struct {
    unsigned int gpu;
    unsigned int memory;
} nvmlUtilization_t;

typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} nvmlProcessInfo_t;

typedef union {
    double dVal;
    int siVal;
    unsigned int uiVal;
    unsigned long ulVal;
    unsigned long long ullVal;
    signed long long sllVal;
    unsigned short usVal;
} nvmlValue_t;

typedef struct {
    unsigned int fieldId;
    unsigned int scopeId;
    long long timestamp;
    long long latencyUsec;
    int valueType;
    nvmlReturn_t nvmlReturn;
    nvmlValue_t value;
} nvmlFieldValue_t;

typedef struct fake_gpu *nvmlDevice_t;

typedef struct {
    nvmlDevice_t device;
    unsigned long long eventType;
    unsigned long long eventData;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} nvmlEventData_t;

_Static_assert(sizeof(nvmlFieldValue_t) == 40, "nvmlFieldValue_t size");
_Static_assert(offsetof(nvmlFieldValue_t, value) == 32, "nvmlFieldValue_t.value");
_Static_assert(offsetof(nvmlFieldValue_t, nvmlReturn) == 28, "nvmlFieldValue_t.nvmlReturn");
_Static_assert(sizeof(nvmlEventData_t) == 32, "nvmlEventData_t size");
_Static_assert(offsetof(nvmlEventData_t, eventData) == 16, "nvmlEventData_t.eventData");
_Static_assert(offsetof(nvmlEventData_t, computeInstanceId) == 28, "nvmlEventData_t.computeInstanceId");
_Static_assert(sizeof(nvmlPciInfo_t) == 68, "nvmlPciInfo_t size");
_Static_assert(offsetof(nvmlPciInfo_t, busId) == 36, "nvmlPciInfo_t.busId");
_Static_assert(sizeof(nvmlMemory_t) == 24, "nvmlMemory_t size");
_Static_assert(sizeof(nvmlMemory_v2_t) == 40, "nvmlMemory_v2_t size");
_Static_assert(offsetof(nvmlMemory_v2_t, total) == 8, "nvmlMemory_v2_t.total");
_Static_assert(sizeof(nvmlUtilization_t) == 8, "nvmlUtilization_t size");
_Static_assert(sizeof(nvmlProcessInfo_t) == 24, "nvmlProcessInfo_t size");
_Static_assert(offsetof(nvmlProcessInfo_t, usedGpuMemory) == 8, "nvmlProcessInfo_t.usedGpuMemory");

#define MEMORY_V2_VERSION (sizeof(nvmlMemory_v2_t) | (2u << 24))

/* --- the two fake GPUs -------------------------------------------------------------------- */

typedef struct fake_gpu {
    int index;
    const char *name;
    const char *uuid;
    const char *serial;
    const char *vbios;
    const char *busId;
    const char *busIdLegacy;
    unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
    unsigned long long memTotal, memReserved, memUsed;
} fake_gpu;

static fake_gpu gpus[2] = {
    {0, "NVIDIA H100 80GB HBM3", "GPU-6b696c6e-0000-4000-8000-000000000000", "1654922000001",
     "96.00.74.00.1C", "00000000:1B:00.0", "0000:1B:00.0", 0x0, 0x1B, 0x0, 0x233010DE, 0x16C110DE,
     85899345920ULL /* 80 GiB */, 546308096ULL, 1073741824ULL /* 1 GiB */},
    {1, "NVIDIA H100 80GB HBM3", "GPU-6b696c6e-0001-4000-8000-000000000001", "1654922000002",
     "96.00.74.00.1D", "00000001:2A:03.0", "0001:2A:03.0", 0x1, 0x2A, 0x3, 0x233010DE, 0x16C110DE,
     85899345920ULL, 546308096ULL, 0ULL},
};


static int initCount = 0;

/* Resolves a handle; *rc is the answer when it returns NULL. */
static fake_gpu *gpu_of(nvmlDevice_t device, nvmlReturn_t *rc) {
    if (initCount <= 0) {
        *rc = NVML_ERROR_UNINITIALIZED;
        return NULL;
    }
    if (device != &gpus[0] && device != &gpus[1]) {
        *rc = NVML_ERROR_INVALID_ARGUMENT;
        return NULL;
    }
    *rc = NVML_SUCCESS;
    return device;
}

/* Like gpu_of, but GPU 1 has fallen off the bus for anything past its identity. */
static fake_gpu *live_gpu_of(nvmlDevice_t device, nvmlReturn_t *rc) {
    fake_gpu *g = gpu_of(device, rc);
    if (g != NULL && g->index == 1) {
        *rc = NVML_ERROR_GPU_IS_LOST;
        return NULL;
    }
    return g;
}

#define GPU(dev) nvmlReturn_t rc_; fake_gpu *g = gpu_of(dev, &rc_); if (g == NULL) return rc_
#define LIVE_GPU(dev) nvmlReturn_t rc_; fake_gpu *g = live_gpu_of(dev, &rc_); if (g == NULL) return rc_

static nvmlReturn_t put_string(const char *value, char *buffer, unsigned int length) {
    if (buffer == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (strlen(value) + 1 > length) {
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    strcpy(buffer, value);
    return NVML_SUCCESS;
}

/* --- test control (not NVML) ---------------------------------------------------------------- */

/* How many nvmlInit_v2 calls are not yet matched by nvmlShutdown. */
EXPORT int fakeNvmlInitCount(void) {
    return initCount;
}

/* --- init / system -------------------------------------------------------------------------- */

EXPORT nvmlReturn_t nvmlInit_v2(void) {
    initCount++;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlShutdown(void) {
    if (initCount <= 0) {
        return NVML_ERROR_UNINITIALIZED;
    }
    initCount--;
    return NVML_SUCCESS;
}

EXPORT const char *nvmlErrorString(nvmlReturn_t result) {
    switch (result) {
        case NVML_SUCCESS: return "Success";
        case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
        case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
        case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
        case NVML_ERROR_NO_PERMISSION: return "Insufficient Permissions (fake)";
        case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
        case NVML_ERROR_GPU_IS_LOST: return "GPU is lost (fake)";
        case NVML_ERROR_RESET_REQUIRED: return "GPU requires reset (fake)";
        default: return "Unknown Error";
    }
}

EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    return initCount <= 0 ? NVML_ERROR_UNINITIALIZED : put_string("535.183.01", version, length);
}

EXPORT nvmlReturn_t nvmlSystemGetNVMLVersion(char *version, unsigned int length) {
    return initCount <= 0 ? NVML_ERROR_UNINITIALIZED : put_string("12.535.183.01", version, length);
}

EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *cudaDriverVersion) {
    if (cudaDriverVersion == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *cudaDriverVersion = 12020;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount) {
    if (initCount <= 0) {
        return NVML_ERROR_UNINITIALIZED;
    }
    *deviceCount = 2;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    if (initCount <= 0) {
        return NVML_ERROR_UNINITIALIZED;
    }
    if (index >= 2 || device == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *device = &gpus[index];
    return NVML_SUCCESS;
}

/* --- identity ------------------------------------------------------------------------------- */

EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
    GPU(device);
    return put_string(g->name, name, length);
}

EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
    GPU(device);
    return put_string(g->uuid, uuid, length);
}

EXPORT nvmlReturn_t nvmlDeviceGetSerial(nvmlDevice_t device, char *serial, unsigned int length) {
    GPU(device);
    return put_string(g->serial, serial, length);
}

EXPORT nvmlReturn_t nvmlDeviceGetVbiosVersion(nvmlDevice_t device, char *version, unsigned int length) {
    GPU(device);
    return put_string(g->vbios, version, length);
}

static void fill_pci(nvmlPciInfo_t *pci, const char *busId, const char *legacy, unsigned int domain,
                     unsigned int bus, unsigned int dev, unsigned int deviceId, unsigned int subsystemId) {
    memset(pci, 0, sizeof(*pci));
    strncpy(pci->busIdLegacy, legacy, sizeof(pci->busIdLegacy) - 1);
    pci->domain = domain;
    pci->bus = bus;
    pci->device = dev;
    pci->pciDeviceId = deviceId;
    pci->pciSubSystemId = subsystemId;
    strncpy(pci->busId, busId, sizeof(pci->busId) - 1);
}

#ifndef FAKE_WITHOUT_PCI_INFO_V3
EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci) {
    GPU(device);
    if (pci == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    fill_pci(pci, g->busId, g->busIdLegacy, g->domain, g->bus, g->device, g->pciDeviceId, g->pciSubSystemId);
    return NVML_SUCCESS;
}
#endif

EXPORT nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t device, unsigned int *minorNumber) {
    GPU(device);
    *minorNumber = (unsigned int) g->index;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetArchitecture(nvmlDevice_t device, unsigned int *arch) {
    GPU(device);
    *arch = 9; /* NVML_DEVICE_ARCH_HOPPER */
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int *major, int *minor) {
    GPU(device);
    *major = 9;
    *minor = 0;
    return NVML_SUCCESS;
}

/* --- memory --------------------------------------------------------------------------------- */

EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
    LIVE_GPU(device);
    memory->total = g->memTotal;
    memory->used = g->memReserved + g->memUsed; /* v1 counts the reservation as used */
    memory->free = g->memTotal - memory->used;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory) {
    LIVE_GPU(device);
    if (memory->version != MEMORY_V2_VERSION) {
        return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
    }
    memory->total = g->memTotal;
    memory->reserved = g->memReserved;
    memory->used = g->memUsed;
    memory->free = g->memTotal - g->memReserved - g->memUsed;
    return NVML_SUCCESS;
}

/* --- temperature (only the deprecated call; TemperatureV is not exported) ------------------- */

EXPORT nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, int sensorType, unsigned int *temp) {
    LIVE_GPU(device);
    if (sensorType != 0) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *temp = 41;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetTemperatureThreshold(nvmlDevice_t device, int thresholdType, unsigned int *temp) {
    LIVE_GPU(device);
    switch (thresholdType) {
        case 0: *temp = 92; return NVML_SUCCESS; /* shutdown */
        case 1: *temp = 87; return NVML_SUCCESS; /* slowdown */
        case 2: *temp = 95; return NVML_SUCCESS; /* memory max */
        case 3: *temp = 85; return NVML_SUCCESS; /* GPU max */
        default: return NVML_ERROR_NOT_SUPPORTED;
    }
}

/* --- power ---------------------------------------------------------------------------------- */

EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power) {
    LIVE_GPU(device);
    *power = 312456;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetPowerManagementLimit(nvmlDevice_t device, unsigned int *limit) {
    LIVE_GPU(device);
    *limit = 700000;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t device, unsigned int *limit) {
    LIVE_GPU(device);
    *limit = 650000;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long *energy) {
    LIVE_GPU(device);
    *energy = 0x123456789ULL; /* needs more than 32 bits */
    return NVML_SUCCESS;
}

/* --- clocks --------------------------------------------------------------------------------- */

EXPORT nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, int type, unsigned int *clock) {
    LIVE_GPU(device);
    switch (type) {
        case 0: *clock = 1700; return NVML_SUCCESS; /* graphics */
        case 1: *clock = 1755; return NVML_SUCCESS; /* SM */
        case 2: *clock = 2619; return NVML_SUCCESS; /* memory */
        case 3: *clock = 1500; return NVML_SUCCESS; /* video */
        default: return NVML_ERROR_INVALID_ARGUMENT;
    }
}

EXPORT nvmlReturn_t nvmlDeviceGetMaxClockInfo(nvmlDevice_t device, int type, unsigned int *clock) {
    LIVE_GPU(device);
    switch (type) {
        case 0: *clock = 1975; return NVML_SUCCESS;
        case 1: *clock = 1980; return NVML_SUCCESS;
        case 2: *clock = 2620; return NVML_SUCCESS;
        case 3: *clock = 1755; return NVML_SUCCESS;
        default: return NVML_ERROR_INVALID_ARGUMENT;
    }
}

/* Only the deprecated name; nvmlDeviceGetCurrentClocksEventReasons is not exported. */
EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t device, unsigned long long *reasons) {
    LIVE_GPU(device);
    /* SW power cap | SW thermal slowdown, plus a bit above 32 to prove all 64 bits arrive. */
    *reasons = 0x0000000100000024ULL;
    return NVML_SUCCESS;
}

/* --- utilization ---------------------------------------------------------------------------- */

EXPORT nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization) {
    LIVE_GPU(device);
    utilization->gpu = 63;
    utilization->memory = 21;
    return NVML_SUCCESS;
}

/* --- ECC / row remapping -------------------------------------------------------------------- */

EXPORT nvmlReturn_t nvmlDeviceGetEccMode(nvmlDevice_t device, int *current, int *pending) {
    LIVE_GPU(device);
    *current = 1;
    *pending = 0;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetTotalEccErrors(nvmlDevice_t device, int errorType, int counterType,
                                                unsigned long long *eccCounts) {
    LIVE_GPU(device);
    if (errorType == 0 && counterType == 0) {
        *eccCounts = 7;                 /* corrected, volatile */
    } else if (errorType == 1 && counterType == 0) {
        *eccCounts = 1;                 /* uncorrected, volatile */
    } else if (errorType == 0 && counterType == 1) {
        *eccCounts = 0x100000003ULL;    /* corrected, aggregate: more than 32 bits */
    } else if (errorType == 1 && counterType == 1) {
        *eccCounts = 2;                 /* uncorrected, aggregate */
    } else {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetRemappedRows(nvmlDevice_t device, unsigned int *corrRows, unsigned int *uncRows,
                                              unsigned int *isPending, unsigned int *failureOccurred) {
    GPU(device);
    if (g->index == 1) {
        return NVML_ERROR_RESET_REQUIRED;
    }
    *corrRows = 3;
    *uncRows = 1;
    *isPending = 1;
    *failureOccurred = 0;
    return NVML_SUCCESS;
}

/* --- PCIe ----------------------------------------------------------------------------------- */

EXPORT nvmlReturn_t nvmlDeviceGetCurrPcieLinkGeneration(nvmlDevice_t device, unsigned int *currLinkGen) {
    LIVE_GPU(device);
    *currLinkGen = 4;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetCurrPcieLinkWidth(nvmlDevice_t device, unsigned int *currLinkWidth) {
    LIVE_GPU(device);
    *currLinkWidth = 8;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetMaxPcieLinkGeneration(nvmlDevice_t device, unsigned int *maxLinkGen) {
    LIVE_GPU(device);
    *maxLinkGen = 5;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetMaxPcieLinkWidth(nvmlDevice_t device, unsigned int *maxLinkWidth) {
    LIVE_GPU(device);
    *maxLinkWidth = 16;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetPcieReplayCounter(nvmlDevice_t device, unsigned int *value) {
    LIVE_GPU(device);
    *value = 12;
    return NVML_SUCCESS;
}

/* --- NVLink: GPU 0 has links 0..3, link 2 is down ------------------------------------------- */

EXPORT nvmlReturn_t nvmlDeviceGetNvLinkState(nvmlDevice_t device, unsigned int link, int *isActive) {
    LIVE_GPU(device);
    if (link >= NVML_NVLINK_MAX_LINKS) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (link >= 4) {
        return NVML_ERROR_NOT_SUPPORTED;
    }
    *isActive = link == 2 ? 0 : 1;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetNvLinkVersion(nvmlDevice_t device, unsigned int link, unsigned int *version) {
    LIVE_GPU(device);
    if (link >= NVML_NVLINK_MAX_LINKS) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (link >= 4 || link == 2) {
        return NVML_ERROR_NOT_SUPPORTED;
    }
    *version = 4;
    return NVML_SUCCESS;
}

/* Counter c of link l answers 1000*l + 10*c + the number of earlier calls for it, so a test sees both marshalling and a rise. */
static unsigned long long nvlink_counter_calls[NVML_NVLINK_MAX_LINKS][5];

EXPORT nvmlReturn_t nvmlDeviceGetNvLinkErrorCounter(nvmlDevice_t device, unsigned int link, int counter,
                                                    unsigned long long *value) {
    LIVE_GPU(device);
    if (link >= NVML_NVLINK_MAX_LINKS || counter < 0 || counter > 4) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (link >= 4 || counter == 4) {
        return NVML_ERROR_NOT_SUPPORTED;   /* ECC_DATA: not on every GPU */
    }
    *value = 1000ULL * link + 10ULL * (unsigned) counter + nvlink_counter_calls[link][counter]++;
    return NVML_SUCCESS;
}

/* Topology of the fake's GPUs: 0 and 1 under one PCIe switch (SINGLE=10), others across the system (SYSTEM=50). */
EXPORT nvmlReturn_t nvmlDeviceGetTopologyCommonAncestor(nvmlDevice_t device1, nvmlDevice_t device2, int *pathInfo) {
    nvmlReturn_t rc1;
    nvmlReturn_t rc2;
    fake_gpu *a = live_gpu_of(device1, &rc1);
    if (a == NULL) {
        return rc1;
    }
    fake_gpu *b = live_gpu_of(device2, &rc2);
    if (b == NULL) {
        return rc2;
    }
    if (a == b) {
        *pathInfo = 0;
    } else if (a->index + b->index == 1) {
        *pathInfo = 10;
    } else {
        *pathInfo = 50;
    }
    return NVML_SUCCESS;
}

/* P2P: OK (0) between GPUs 0 and 1 for every capability, NOT_SUPPORTED (5) otherwise. */
EXPORT nvmlReturn_t nvmlDeviceGetP2PStatus(nvmlDevice_t device1, nvmlDevice_t device2, int p2pIndex, int *p2pStatus) {
    nvmlReturn_t rc1;
    nvmlReturn_t rc2;
    fake_gpu *a = live_gpu_of(device1, &rc1);
    if (a == NULL) {
        return rc1;
    }
    fake_gpu *b = live_gpu_of(device2, &rc2);
    if (b == NULL) {
        return rc2;
    }
    if (p2pIndex < 0 || p2pIndex > 5) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *p2pStatus = a->index + b->index == 1 ? 0 : 5;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetNvLinkRemotePciInfo_v2(nvmlDevice_t device, unsigned int link, nvmlPciInfo_t *pci) {
    LIVE_GPU(device);
    if (link >= NVML_NVLINK_MAX_LINKS) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (link >= 4 || link == 2) {
        return NVML_ERROR_NOT_SUPPORTED;
    }
    char busId[32];
    char legacy[16];
    snprintf(busId, sizeof busId, "00000000:%02X:00.0", 5 + link);
    snprintf(legacy, sizeof legacy, "0000:%02X:00.0", 5 + link);
    fill_pci(pci, busId, legacy, 0, 5 + link, 0, 0x22A310DE, 0x16C110DE);
    return NVML_SUCCESS;
}

/* --- modes / processes ---------------------------------------------------------------------- */

EXPORT nvmlReturn_t nvmlDeviceGetPersistenceMode(nvmlDevice_t device, int *mode) {
    LIVE_GPU(device);
    (void) mode;
    return NVML_ERROR_NO_PERMISSION;
}

EXPORT nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *currentMode, unsigned int *pendingMode) {
    LIVE_GPU(device);
    (void) currentMode;
    (void) pendingMode;
    return NVML_ERROR_NOT_SUPPORTED;
}

/*
 * GPU 0 runs 10 processes (more than the 8 the typed layer first asks room for, so it must retry
 * on INSUFFICIENT_SIZE): pid 1000+i using (i+1) GiB + i bytes, except the last two: one whose memory
 * the driver cannot attribute (NVML_VALUE_NOT_AVAILABLE) and one with a pid above 2^31.
 */
#define FAKE_PROCESS_COUNT 10

EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *infoCount,
                                                            nvmlProcessInfo_t *infos) {
    LIVE_GPU(device);
    if (infoCount == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    unsigned int capacity = *infoCount;
    *infoCount = FAKE_PROCESS_COUNT;
    if (infos == NULL || capacity < FAKE_PROCESS_COUNT) {
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    for (unsigned int i = 0; i < FAKE_PROCESS_COUNT; i++) {
        infos[i].pid = 1000 + i;
        infos[i].usedGpuMemory = (unsigned long long) (i + 1) * 1073741824ULL + i;
        infos[i].gpuInstanceId = 0xFFFFFFFFu;
        infos[i].computeInstanceId = 0xFFFFFFFFu;
    }
    infos[8].usedGpuMemory = NVML_VALUE_NOT_AVAILABLE_ULL;
    infos[9].pid = 0x80000001u;
    return NVML_SUCCESS;
}

/* --- field values --------------------------------------------------------------------------- */

#define NVML_FI_DEV_GET_GPU_RECOVERY_ACTION 230
#define NVML_VALUE_TYPE_UNSIGNED_INT 1

EXPORT nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t device, int valuesCount, nvmlFieldValue_t *values) {
    LIVE_GPU(device);
    (void) g;
    if (values == NULL || valuesCount < 0) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    for (int i = 0; i < valuesCount; i++) {
        values[i].timestamp = 1700000000000000LL;
        values[i].latencyUsec = 0;
        if (values[i].fieldId == NVML_FI_DEV_GET_GPU_RECOVERY_ACTION) {
            values[i].valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
            values[i].value.ullVal = 0xDEADBEEF00000001ULL; /* uiVal = 1 (GPU_RESET), garbage above */
            values[i].nvmlReturn = NVML_SUCCESS;
        } else {
            values[i].nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
        }
    }
    return NVML_SUCCESS;
}

/* --- events ----------------------------------------------------------------------------------- */

#define FAKE_EVENT_SETS 4
#define FAKE_EVENT_QUEUE 16
#define FAKE_GPU0_EVENTS (0x8ULL | 0x2ULL | 0x8000ULL) /* Xid, double-bit ECC, recovery action */

typedef struct fake_event_set {
    int used;
    unsigned long long masks[2];
} fake_event_set;

typedef fake_event_set *nvmlEventSet_t;

typedef struct {
    unsigned int gpu;
    unsigned long long type, data;
    unsigned int gi, ci;
} fake_event;

static fake_event_set eventSets[FAKE_EVENT_SETS];
static fake_event queue[FAKE_EVENT_QUEUE];
static int queued = 0;

static fake_event_set *set_of(nvmlEventSet_t set) {
    for (int i = 0; i < FAKE_EVENT_SETS; i++) {
        if (set == &eventSets[i] && eventSets[i].used) {
            return set;
        }
    }
    return NULL;
}

/* Test control: the "driver" raises an event (dropped when the queue is full). */
EXPORT void fakeNvmlRaiseEvent(unsigned int gpu, unsigned long long type, unsigned long long data,
                               unsigned int gi, unsigned int ci) {
    if (queued < FAKE_EVENT_QUEUE && gpu < 2) {
        fake_event e = {gpu, type, data, gi, ci};
        queue[queued++] = e;
    }
}

/* Test control: event sets created and not yet freed. */
EXPORT int fakeNvmlOpenEventSets(void) {
    int n = 0;
    for (int i = 0; i < FAKE_EVENT_SETS; i++) {
        n += eventSets[i].used;
    }
    return n;
}

EXPORT nvmlReturn_t nvmlEventSetCreate(nvmlEventSet_t *set) {
    if (initCount <= 0) {
        return NVML_ERROR_UNINITIALIZED;
    }
    if (set == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    for (int i = 0; i < FAKE_EVENT_SETS; i++) {
        if (!eventSets[i].used) {
            memset(&eventSets[i], 0, sizeof eventSets[i]);
            eventSets[i].used = 1;
            *set = &eventSets[i];
            return NVML_SUCCESS;
        }
    }
    return NVML_ERROR_INSUFFICIENT_SIZE;
}

EXPORT nvmlReturn_t nvmlDeviceGetSupportedEventTypes(nvmlDevice_t device, unsigned long long *eventTypes) {
    LIVE_GPU(device);
    (void) g;
    if (eventTypes == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *eventTypes = FAKE_GPU0_EVENTS;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceRegisterEvents(nvmlDevice_t device, unsigned long long eventTypes, nvmlEventSet_t set) {
    LIVE_GPU(device);
    fake_event_set *s = set_of(set);
    if (s == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if ((eventTypes & ~FAKE_GPU0_EVENTS) != 0) {
        return NVML_ERROR_NOT_SUPPORTED;
    }
    s->masks[g->index] |= eventTypes;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlEventSetWait_v2(nvmlEventSet_t set, nvmlEventData_t *data, unsigned int timeoutms) {
    (void) timeoutms;
    if (initCount <= 0) {
        return NVML_ERROR_UNINITIALIZED;
    }
    fake_event_set *s = set_of(set);
    if (s == NULL || data == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    for (int i = 0; i < queued; i++) {
        if (s->masks[queue[i].gpu] & queue[i].type) {
            data->device = &gpus[queue[i].gpu];
            data->eventType = queue[i].type;
            data->eventData = queue[i].data;
            data->gpuInstanceId = queue[i].gi;
            data->computeInstanceId = queue[i].ci;
            memmove(&queue[i], &queue[i + 1], (size_t) (queued - i - 1) * sizeof queue[0]);
            queued--;
            return NVML_SUCCESS;
        }
    }
    return NVML_ERROR_TIMEOUT;
}

EXPORT nvmlReturn_t nvmlEventSetFree(nvmlEventSet_t set) {
    fake_event_set *s = set_of(set);
    if (s == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    s->used = 0;
    return NVML_SUCCESS;
}
