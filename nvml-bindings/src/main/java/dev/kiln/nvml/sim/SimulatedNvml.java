package dev.kiln.nvml.sim;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.kiln.nvml.raw.DeviceHandle;
import dev.kiln.nvml.raw.EventSetHandle;
import dev.kiln.nvml.raw.NvmlConstants;
import dev.kiln.nvml.raw.NvmlEventData;
import dev.kiln.nvml.raw.NvmlFieldValue;
import dev.kiln.nvml.raw.NvmlLibrary;
import dev.kiln.nvml.raw.NvmlMemory;
import dev.kiln.nvml.raw.NvmlMemoryV2;
import dev.kiln.nvml.raw.NvmlPciInfo;
import dev.kiln.nvml.raw.NvmlProcessInfo;
import dev.kiln.nvml.raw.NvmlTemperature;
import dev.kiln.nvml.raw.NvmlUtilization;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The raw NVML interface answered from a {@link SimulatedServer}: same return codes, same
 * buffer and structure conventions as {@code libnvidia-ml.so.1}, so the typed layer above cannot
 * tell the difference. Handles are fake pointers that are never dereferenced.
 */
final class SimulatedNvml implements NvmlLibrary {
    private static final int SUCCESS = 0;
    private static final int UNINITIALIZED = 1;
    private static final int INVALID_ARGUMENT = 2;
    private static final int NOT_SUPPORTED = 3;
    private static final int INSUFFICIENT_SIZE = 7;
    private static final int TIMEOUT = 10;
    private static final int GPU_IS_LOST = 15;
    private static final long HANDLE_BASE = 0x6b696c6e0000L; // "kiln" + slot
    private static final long EVENT_SET_BASE = 0x6b696c6e650000L; // "kilne" + set number
    private static final int FIELD_ID_LIMIT = 303; // NVML_FI_MAX
    /** HBM runs this much warmer than the GPU core in the simulator (field NVML_FI_DEV_MEMORY_TEMP). */
    static final int MEMORY_TEMPERATURE_OFFSET = 6;

    private final SimulatedServer server;
    private final AtomicInteger initCount = new AtomicInteger();
    private final Map<Long, SimEventSet> eventSets = new ConcurrentHashMap<>();
    private final AtomicLong nextEventSet = new AtomicLong(1);

    SimulatedNvml(SimulatedServer server) {
        this.server = server;
    }

    // --- plumbing ------------------------------------------------------------------------

    private void symbol(String name) {
        if (!server.symbols().contains(name)) {
            // What JNA throws when a proxied function is missing from the library.
            throw new UnsatisfiedLinkError("Error looking up function '" + name + "': undefined symbol: " + name);
        }
    }

    /** Resolves a handle to its GPU, or null with the return code in {@code rc[0]}. */
    private SimGpu gpu(DeviceHandle handle, int[] rc) {
        server.fireDue();
        if (initCount.get() <= 0) {
            rc[0] = UNINITIALIZED;
            return null;
        }
        if (handle == null || handle.getPointer() == null) {
            rc[0] = INVALID_ARGUMENT;
            return null;
        }
        long slot = Pointer.nativeValue(handle.getPointer()) - HANDLE_BASE;
        if (slot < 0 || slot >= server.slots().size()) {
            rc[0] = INVALID_ARGUMENT;
            return null;
        }
        SimGpu g = server.slots().get((int) slot);
        if (g.touchAndCheckLost()) {
            rc[0] = GPU_IS_LOST;
            return null;
        }
        rc[0] = SUCCESS;
        return g;
    }

    private interface GpuCall {
        int apply(SimGpu g);
    }

    private int call(String symbol, DeviceHandle handle, GpuCall body) {
        symbol(symbol);
        int[] rc = new int[1];
        SimGpu g = gpu(handle, rc);
        if (g == null) {
            return rc[0];
        }
        synchronized (g) {
            return body.apply(g);
        }
    }

    private static int putString(String value, byte[] buffer, int length) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        if (buffer == null || length <= bytes.length || buffer.length < length) {
            return INSUFFICIENT_SIZE;
        }
        System.arraycopy(bytes, 0, buffer, 0, bytes.length);
        buffer[bytes.length] = 0;
        return SUCCESS;
    }

    private static void putBusId(NvmlPciInfo pci, String busId) {
        byte[] b = busId.getBytes(StandardCharsets.US_ASCII);
        java.util.Arrays.fill(pci.busId, (byte) 0);
        System.arraycopy(b, 0, pci.busId, 0, Math.min(b.length, pci.busId.length - 1));
        // Legacy field: "0000:18:00.0" (domain truncated to 4 digits).
        String legacy = busId.length() > 4 ? busId.substring(4) : busId;
        byte[] lb = legacy.getBytes(StandardCharsets.US_ASCII);
        java.util.Arrays.fill(pci.busIdLegacy, (byte) 0);
        System.arraycopy(lb, 0, pci.busIdLegacy, 0, Math.min(lb.length, pci.busIdLegacy.length - 1));
    }

    // --- init / system -------------------------------------------------------------------

    @Override
    public int nvmlInit_v2() {
        symbol("nvmlInit_v2");
        initCount.incrementAndGet();
        return SUCCESS;
    }

    @Override
    public int nvmlShutdown() {
        symbol("nvmlShutdown");
        return initCount.getAndUpdate(c -> Math.max(0, c - 1)) > 0 ? SUCCESS : UNINITIALIZED;
    }

    @Override
    public String nvmlErrorString(int result) {
        return switch (result) {
            case SUCCESS -> "Success";
            case UNINITIALIZED -> "Uninitialized";
            case INVALID_ARGUMENT -> "Invalid Argument";
            case NOT_SUPPORTED -> "Not Supported";
            case INSUFFICIENT_SIZE -> "Insufficient Size";
            case TIMEOUT -> "Timeout";
            case GPU_IS_LOST -> "GPU is lost";
            default -> "Unknown Error";
        };
    }

    @Override
    public int nvmlSystemGetDriverVersion(byte[] version, int length) {
        symbol("nvmlSystemGetDriverVersion");
        return initCount.get() <= 0 ? UNINITIALIZED : putString(server.driverVersion(), version, length);
    }

    @Override
    public int nvmlSystemGetNVMLVersion(byte[] version, int length) {
        symbol("nvmlSystemGetNVMLVersion");
        String v = server.preset().nvmlVersion();
        if (!server.driverVersion().equals(server.preset().driverVersion())) {
            v = v.substring(0, v.indexOf('.') + 1) + server.driverVersion();
        }
        return initCount.get() <= 0 ? UNINITIALIZED : putString(v, version, length);
    }

    @Override
    public int nvmlSystemGetCudaDriverVersion_v2(IntByReference cudaDriverVersion) {
        symbol("nvmlSystemGetCudaDriverVersion_v2");
        cudaDriverVersion.setValue(server.preset().cudaDriverVersion());
        return SUCCESS;
    }

    @Override
    public int nvmlDeviceGetCount_v2(IntByReference deviceCount) {
        symbol("nvmlDeviceGetCount_v2");
        server.fireDue();
        if (initCount.get() <= 0) {
            return UNINITIALIZED;
        }
        deviceCount.setValue(server.visibleGpus().size());
        return SUCCESS;
    }

    @Override
    public int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device) {
        symbol("nvmlDeviceGetHandleByIndex_v2");
        server.fireDue();
        if (initCount.get() <= 0) {
            return UNINITIALIZED;
        }
        if (index < 0 || index >= server.visibleGpus().size()) {
            return INVALID_ARGUMENT;
        }
        SimGpu g = server.visibleGpus().get(index);
        if (g.touchAndCheckLost()) {
            return GPU_IS_LOST;
        }
        device.setValue(new Pointer(HANDLE_BASE + g.slot));
        return SUCCESS;
    }

    // --- identity ------------------------------------------------------------------------

    @Override
    public int nvmlDeviceGetName(DeviceHandle d, byte[] name, int length) {
        return call("nvmlDeviceGetName", d, g -> putString(g.name, name, length));
    }

    @Override
    public int nvmlDeviceGetUUID(DeviceHandle d, byte[] uuid, int length) {
        return call("nvmlDeviceGetUUID", d, g -> putString(g.uuid, uuid, length));
    }

    @Override
    public int nvmlDeviceGetSerial(DeviceHandle d, byte[] serial, int length) {
        return call("nvmlDeviceGetSerial", d, g -> putString(g.serial, serial, length));
    }

    @Override
    public int nvmlDeviceGetBoardPartNumber(DeviceHandle d, byte[] partNumber, int length) {
        return call("nvmlDeviceGetBoardPartNumber", d, g -> putString(g.model.boardPartNumber(), partNumber, length));
    }

    @Override
    public int nvmlDeviceGetVbiosVersion(DeviceHandle d, byte[] version, int length) {
        return call("nvmlDeviceGetVbiosVersion", d, g -> putString(g.vbios, version, length));
    }

    @Override
    public int nvmlDeviceGetInforomImageVersion(DeviceHandle d, byte[] version, int length) {
        return call("nvmlDeviceGetInforomImageVersion", d,
                g -> putString(g.model.inforomImageVersion(), version, length));
    }

    @Override
    public int nvmlDeviceGetPciInfo_v3(DeviceHandle d, NvmlPciInfo pci) {
        return call("nvmlDeviceGetPciInfo_v3", d, g -> {
            putBusId(pci, g.busId);
            pci.domain = 0;
            pci.bus = g.pciBus;
            pci.device = 0;
            pci.pciDeviceId = g.model.pciDeviceId();
            pci.pciSubSystemId = g.model.pciSubsystemId();
            pci.write();
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetMinorNumber(DeviceHandle d, IntByReference minorNumber) {
        return call("nvmlDeviceGetMinorNumber", d, g -> {
            minorNumber.setValue(g.minor);
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetIndex(DeviceHandle d, IntByReference index) {
        return call("nvmlDeviceGetIndex", d, g -> {
            index.setValue(server.visibleGpus().indexOf(g));
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetArchitecture(DeviceHandle d, IntByReference arch) {
        return call("nvmlDeviceGetArchitecture", d, g -> {
            arch.setValue(g.model.architecture());
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetCudaComputeCapability(DeviceHandle d, IntByReference major, IntByReference minor) {
        return call("nvmlDeviceGetCudaComputeCapability", d, g -> {
            major.setValue(g.model.ccMajor());
            minor.setValue(g.model.ccMinor());
            return SUCCESS;
        });
    }

    // --- memory --------------------------------------------------------------------------

    private static long usedBytes(SimGpu g) {
        long used = 0;
        for (long[] p : g.processes) {
            used += p[1];
        }
        return used;
    }

    @Override
    public int nvmlDeviceGetMemoryInfo(DeviceHandle d, NvmlMemory memory) {
        return call("nvmlDeviceGetMemoryInfo", d, g -> {
            long reserved = g.model.reservedMemoryBytes();
            memory.total = g.model.memoryBytes();
            memory.used = reserved + usedBytes(g); // v1 counts the driver's reservation as used
            memory.free = memory.total - memory.used;
            memory.write();
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetMemoryInfo_v2(DeviceHandle d, NvmlMemoryV2 memory) {
        return call("nvmlDeviceGetMemoryInfo_v2", d, g -> {
            if (memory.version != NvmlConstants.MEMORY_V2_VERSION) {
                return 25; // ARGUMENT_VERSION_MISMATCH
            }
            memory.total = g.model.memoryBytes();
            memory.reserved = g.model.reservedMemoryBytes();
            memory.used = usedBytes(g);
            memory.free = memory.total - memory.reserved - memory.used;
            memory.write();
            return SUCCESS;
        });
    }

    // --- temperature ---------------------------------------------------------------------

    @Override
    public int nvmlDeviceGetTemperature(DeviceHandle d, int sensorType, IntByReference temp) {
        return call("nvmlDeviceGetTemperature", d, g -> {
            if (sensorType != NvmlConstants.TEMPERATURE_GPU) {
                return INVALID_ARGUMENT;
            }
            temp.setValue(g.temperature);
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetTemperatureV(DeviceHandle d, NvmlTemperature t) {
        return call("nvmlDeviceGetTemperatureV", d, g -> {
            if (t.version != NvmlConstants.TEMPERATURE_V1_VERSION) {
                return 25;
            }
            if (t.sensorType != NvmlConstants.TEMPERATURE_GPU) {
                return INVALID_ARGUMENT;
            }
            t.temperature = g.temperature;
            t.write();
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetTemperatureThreshold(DeviceHandle d, int thresholdType, IntByReference temp) {
        return call("nvmlDeviceGetTemperatureThreshold", d, g -> {
            int v = switch (thresholdType) {
                case NvmlConstants.TEMPERATURE_THRESHOLD_SHUTDOWN -> g.model.shutdownCelsius();
                case NvmlConstants.TEMPERATURE_THRESHOLD_SLOWDOWN -> g.model.slowdownCelsius();
                case NvmlConstants.TEMPERATURE_THRESHOLD_MEM_MAX -> g.model.memoryMaxCelsius();
                case NvmlConstants.TEMPERATURE_THRESHOLD_GPU_MAX -> g.model.gpuMaxCelsius();
                default -> -1;
            };
            if (v < 0) {
                return NOT_SUPPORTED;
            }
            temp.setValue(v);
            return SUCCESS;
        });
    }

    // --- power ---------------------------------------------------------------------------

    @Override
    public int nvmlDeviceGetPowerUsage(DeviceHandle d, IntByReference mw) {
        return call("nvmlDeviceGetPowerUsage", d, g -> {
            mw.setValue(g.powerUsage);
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetPowerManagementLimit(DeviceHandle d, IntByReference limit) {
        return call("nvmlDeviceGetPowerManagementLimit", d, g -> {
            limit.setValue(g.model.powerLimitMilliwatts());
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetPowerManagementDefaultLimit(DeviceHandle d, IntByReference limit) {
        return call("nvmlDeviceGetPowerManagementDefaultLimit", d, g -> {
            limit.setValue(g.model.powerLimitMilliwatts());
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetEnforcedPowerLimit(DeviceHandle d, IntByReference limit) {
        return call("nvmlDeviceGetEnforcedPowerLimit", d, g -> {
            limit.setValue(g.model.powerLimitMilliwatts());
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetTotalEnergyConsumption(DeviceHandle d, LongByReference mj) {
        return call("nvmlDeviceGetTotalEnergyConsumption", d, g -> {
            // mW * ms / 1000 = mJ, on top of a day of prior uptime so the counter looks lived-in.
            mj.setValue((long) g.powerUsage * (86_400_000L + g.uptimeMillis()) / 1000L);
            return SUCCESS;
        });
    }

    // --- clocks --------------------------------------------------------------------------

    @Override
    public int nvmlDeviceGetClockInfo(DeviceHandle d, int clockType, IntByReference mhz) {
        return call("nvmlDeviceGetClockInfo", d, g -> {
            switch (clockType) {
                case NvmlConstants.CLOCK_GRAPHICS, NvmlConstants.CLOCK_SM -> mhz.setValue(g.smClock);
                case NvmlConstants.CLOCK_MEM -> mhz.setValue(g.memClock);
                default -> {
                    return NOT_SUPPORTED;
                }
            }
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetMaxClockInfo(DeviceHandle d, int clockType, IntByReference mhz) {
        return call("nvmlDeviceGetMaxClockInfo", d, g -> {
            switch (clockType) {
                case NvmlConstants.CLOCK_GRAPHICS, NvmlConstants.CLOCK_SM -> mhz.setValue(g.model.smMaxMhz());
                case NvmlConstants.CLOCK_MEM -> mhz.setValue(g.model.memoryMaxMhz());
                default -> {
                    return NOT_SUPPORTED;
                }
            }
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetCurrentClocksEventReasons(DeviceHandle d, LongByReference reasons) {
        return call("nvmlDeviceGetCurrentClocksEventReasons", d, g -> {
            reasons.setValue(g.clockEventReasons);
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetCurrentClocksThrottleReasons(DeviceHandle d, LongByReference reasons) {
        return call("nvmlDeviceGetCurrentClocksThrottleReasons", d, g -> {
            reasons.setValue(g.clockEventReasons);
            return SUCCESS;
        });
    }

    // --- utilization ---------------------------------------------------------------------

    @Override
    public int nvmlDeviceGetUtilizationRates(DeviceHandle d, NvmlUtilization u) {
        return call("nvmlDeviceGetUtilizationRates", d, g -> {
            u.gpu = g.processes.isEmpty() ? 0 : 97;
            u.memory = g.processes.isEmpty() ? 0 : 41;
            u.write();
            return SUCCESS;
        });
    }

    // --- ECC / remapping -----------------------------------------------------------------

    @Override
    public int nvmlDeviceGetEccMode(DeviceHandle d, IntByReference current, IntByReference pending) {
        return call("nvmlDeviceGetEccMode", d, g -> {
            current.setValue(g.eccEnabled ? 1 : 0);
            pending.setValue(g.eccEnabled ? 1 : 0);
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetTotalEccErrors(DeviceHandle d, int errorType, int counterType, LongByReference count) {
        return call("nvmlDeviceGetTotalEccErrors", d, g -> {
            boolean corrected = errorType == NvmlConstants.MEMORY_ERROR_CORRECTED;
            boolean volatileCounter = counterType == NvmlConstants.VOLATILE_ECC;
            if (!corrected && errorType != NvmlConstants.MEMORY_ERROR_UNCORRECTED
                    || !volatileCounter && counterType != NvmlConstants.AGGREGATE_ECC) {
                return INVALID_ARGUMENT;
            }
            count.setValue(corrected
                    ? (volatileCounter ? g.volatileCorrected : g.aggregateCorrected)
                    : (volatileCounter ? g.volatileUncorrected : g.aggregateUncorrected));
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetRemappedRows(DeviceHandle d, IntByReference corr, IntByReference unc,
                                         IntByReference pending, IntByReference failure) {
        return call("nvmlDeviceGetRemappedRows", d, g -> {
            if (!g.model.rowRemapping()) {
                return NOT_SUPPORTED;
            }
            corr.setValue(g.remappedCorrectable);
            unc.setValue(g.remappedUncorrectable);
            pending.setValue(g.remapPending ? 1 : 0);
            failure.setValue(g.remapFailure ? 1 : 0);
            return SUCCESS;
        });
    }

    // --- PCIe ----------------------------------------------------------------------------

    private int intValue(String symbol, DeviceHandle d, IntByReference out, java.util.function.ToIntFunction<SimGpu> f) {
        return call(symbol, d, g -> {
            out.setValue(f.applyAsInt(g));
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetCurrPcieLinkGeneration(DeviceHandle d, IntByReference gen) {
        return intValue("nvmlDeviceGetCurrPcieLinkGeneration", d, gen, g -> g.pcieGen);
    }

    @Override
    public int nvmlDeviceGetCurrPcieLinkWidth(DeviceHandle d, IntByReference width) {
        return intValue("nvmlDeviceGetCurrPcieLinkWidth", d, width, g -> g.pcieWidth);
    }

    @Override
    public int nvmlDeviceGetMaxPcieLinkGeneration(DeviceHandle d, IntByReference gen) {
        return intValue("nvmlDeviceGetMaxPcieLinkGeneration", d, gen, g -> g.model.pcieGeneration());
    }

    @Override
    public int nvmlDeviceGetGpuMaxPcieLinkGeneration(DeviceHandle d, IntByReference gen) {
        return intValue("nvmlDeviceGetGpuMaxPcieLinkGeneration", d, gen, g -> g.model.pcieGeneration());
    }

    @Override
    public int nvmlDeviceGetMaxPcieLinkWidth(DeviceHandle d, IntByReference width) {
        return intValue("nvmlDeviceGetMaxPcieLinkWidth", d, width, g -> g.model.pcieWidth());
    }

    @Override
    public int nvmlDeviceGetPcieReplayCounter(DeviceHandle d, IntByReference value) {
        return intValue("nvmlDeviceGetPcieReplayCounter", d, value, g -> g.pcieReplays);
    }

    // --- NVLink --------------------------------------------------------------------------

    @Override
    public int nvmlDeviceGetNvLinkState(DeviceHandle d, int link, IntByReference isActive) {
        return call("nvmlDeviceGetNvLinkState", d, g -> {
            if (link < 0 || link >= NvmlConstants.NVLINK_MAX_LINKS) {
                return INVALID_ARGUMENT;
            }
            if (link >= g.links.size()) {
                return NOT_SUPPORTED;
            }
            isActive.setValue(g.links.get(link).active() ? 1 : 0);
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetNvLinkRemotePciInfo_v2(DeviceHandle d, int link, NvmlPciInfo pci) {
        return call("nvmlDeviceGetNvLinkRemotePciInfo_v2", d, g -> {
            if (link < 0 || link >= NvmlConstants.NVLINK_MAX_LINKS) {
                return INVALID_ARGUMENT;
            }
            if (link >= g.links.size()) {
                return NOT_SUPPORTED;
            }
            SimGpu.SimLink l = g.links.get(link);
            if (!l.active()) {
                return NOT_SUPPORTED;
            }
            putBusId(pci, l.remoteBusId());
            pci.bus = Integer.parseInt(l.remoteBusId().substring(9, 11), 16);
            pci.pciDeviceId = 0x22A310DE; // NVSwitch
            pci.write();
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetNvLinkVersion(DeviceHandle d, int link, IntByReference version) {
        return call("nvmlDeviceGetNvLinkVersion", d, g -> {
            if (link < 0 || link >= NvmlConstants.NVLINK_MAX_LINKS) {
                return INVALID_ARGUMENT;
            }
            if (link >= g.links.size() || !g.links.get(link).active()) {
                return NOT_SUPPORTED;
            }
            version.setValue(server.nvlinkVersion());
            return SUCCESS;
        });
    }

    private static final String[] NVLINK_COUNTERS = {"replay", "recovery", "crc_flit", "crc_data", "ecc_data"};

    @Override
    public int nvmlDeviceGetNvLinkErrorCounter(DeviceHandle d, int link, int counter, LongByReference value) {
        return call("nvmlDeviceGetNvLinkErrorCounter", d, g -> {
            if (link < 0 || link >= NvmlConstants.NVLINK_MAX_LINKS || counter < 0 || counter >= NVLINK_COUNTERS.length) {
                return INVALID_ARGUMENT;
            }
            if (link >= g.links.size()) {
                return NOT_SUPPORTED;
            }
            value.setValue(server.nvlinkErrorCounter(g, link, NVLINK_COUNTERS[counter]));
            return SUCCESS;
        });
    }

    // --- topology ------------------------------------------------------------------------

    @Override
    public int nvmlDeviceGetTopologyCommonAncestor(DeviceHandle d1, DeviceHandle d2, IntByReference pathInfo) {
        return pair("nvmlDeviceGetTopologyCommonAncestor", d1, d2, (a, b) -> {
            pathInfo.setValue(server.topologyLevel(a.slot(), b.slot()));
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetP2PStatus(DeviceHandle d1, DeviceHandle d2, int p2pIndex, IntByReference p2pStatus) {
        return pair("nvmlDeviceGetP2PStatus", d1, d2, (a, b) -> {
            if (p2pIndex < 0 || p2pIndex > 5) {
                return INVALID_ARGUMENT;
            }
            p2pStatus.setValue(server.p2pStatus(a.slot(), b.slot(), p2pIndex));
            return SUCCESS;
        });
    }

    private interface PairCall {
        int apply(SimGpu a, SimGpu b);
    }

    private int pair(String symbol, DeviceHandle d1, DeviceHandle d2, PairCall body) {
        symbol(symbol);
        int[] rc = new int[1];
        SimGpu a = gpu(d1, rc);
        if (a == null) {
            return rc[0];
        }
        SimGpu b = gpu(d2, rc);
        if (b == null) {
            return rc[0];
        }
        return body.apply(a, b);
    }

    // --- modes / processes ---------------------------------------------------------------

    @Override
    public int nvmlDeviceGetPersistenceMode(DeviceHandle d, IntByReference mode) {
        return intValue("nvmlDeviceGetPersistenceMode", d, mode, g -> g.persistence ? 1 : 0);
    }

    @Override
    public int nvmlDeviceGetMigMode(DeviceHandle d, IntByReference currentMode, IntByReference pendingMode) {
        return call("nvmlDeviceGetMigMode", d, g -> {
            currentMode.setValue(g.mig ? 1 : 0);
            pendingMode.setValue(g.mig ? 1 : 0);
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceGetComputeRunningProcesses_v3(DeviceHandle d, IntByReference infoCount,
                                                       NvmlProcessInfo infos) {
        return call("nvmlDeviceGetComputeRunningProcesses_v3", d, g -> {
            int n = g.processes.size();
            int capacity = infoCount.getValue();
            infoCount.setValue(n);
            if (n == 0) {
                return SUCCESS;
            }
            if (infos == null || capacity < n) {
                return INSUFFICIENT_SIZE;
            }
            NvmlProcessInfo[] array = (NvmlProcessInfo[]) infos.toArray(capacity);
            for (int i = 0; i < n; i++) {
                array[i].pid = (int) g.processes.get(i)[0];
                array[i].usedGpuMemory = g.processes.get(i)[1];
                array[i].gpuInstanceId = 0xFFFFFFFF;
                array[i].computeInstanceId = 0xFFFFFFFF;
                array[i].write();
            }
            return SUCCESS;
        });
    }

    // --- field values --------------------------------------------------------------------

    @Override
    public int nvmlDeviceGetFieldValues(DeviceHandle d, int valuesCount, NvmlFieldValue values) {
        return call("nvmlDeviceGetFieldValues", d, g -> {
            if (values == null || valuesCount < 0) {
                return INVALID_ARGUMENT;
            }
            if (valuesCount == 0) {
                return SUCCESS;
            }
            NvmlFieldValue[] array = (NvmlFieldValue[]) values.toArray(valuesCount);
            long micros = System.currentTimeMillis() * 1000L;
            for (NvmlFieldValue v : array) {
                v.timestamp = micros;
                v.latencyUsec = 0;
                if (v.fieldId == NvmlConstants.FI_DEV_GET_GPU_RECOVERY_ACTION) {
                    v.valueType = NvmlConstants.VALUE_TYPE_UNSIGNED_INT;
                    v.value = g.recoveryAction;
                    v.nvmlReturn = SUCCESS;
                } else if (v.fieldId == NvmlConstants.FI_DEV_MEMORY_TEMP) {
                    v.valueType = NvmlConstants.VALUE_TYPE_UNSIGNED_INT;
                    v.value = g.temperature + MEMORY_TEMPERATURE_OFFSET;
                    v.nvmlReturn = SUCCESS;
                } else if (v.fieldId <= 0 || v.fieldId >= FIELD_ID_LIMIT) {
                    v.nvmlReturn = INVALID_ARGUMENT;
                } else {
                    v.nvmlReturn = NOT_SUPPORTED; // the simulator answers only the fields Kiln reads
                }
                v.write();
            }
            return SUCCESS;
        });
    }

    // --- events --------------------------------------------------------------------------

    private SimEventSet eventSet(EventSetHandle set) {
        if (set == null || set.getPointer() == null) {
            return null;
        }
        return eventSets.get(Pointer.nativeValue(set.getPointer()));
    }

    @Override
    public int nvmlEventSetCreate(PointerByReference set) {
        symbol("nvmlEventSetCreate");
        if (initCount.get() <= 0) {
            return UNINITIALIZED;
        }
        if (set == null) {
            return INVALID_ARGUMENT;
        }
        long address = EVENT_SET_BASE + nextEventSet.getAndIncrement();
        eventSets.put(address, new SimEventSet());
        set.setValue(new Pointer(address));
        return SUCCESS;
    }

    @Override
    public int nvmlDeviceGetSupportedEventTypes(DeviceHandle d, LongByReference eventTypes) {
        return call("nvmlDeviceGetSupportedEventTypes", d, g -> {
            if (eventTypes == null) {
                return INVALID_ARGUMENT;
            }
            eventTypes.setValue(g.supportedEventTypes);
            return SUCCESS;
        });
    }

    @Override
    public int nvmlDeviceRegisterEvents(DeviceHandle d, long eventTypes, EventSetHandle set) {
        return call("nvmlDeviceRegisterEvents", d, g -> {
            SimEventSet s = eventSet(set);
            if (s == null || eventTypes == 0) {
                return INVALID_ARGUMENT;
            }
            // As the driver: one unsupported type refuses the whole registration.
            if ((eventTypes & ~g.supportedEventTypes) != 0) {
                return NOT_SUPPORTED;
            }
            server.registerEvents(s, g.slot, eventTypes);
            return SUCCESS;
        });
    }

    @Override
    public int nvmlEventSetWait_v2(EventSetHandle set, NvmlEventData data, int timeoutms) {
        symbol("nvmlEventSetWait_v2");
        if (initCount.get() <= 0) {
            return UNINITIALIZED;
        }
        SimEventSet s = eventSet(set);
        if (s == null || data == null) {
            return INVALID_ARGUMENT;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Integer.toUnsignedLong(timeoutms));
        try {
            while (true) {
                server.fireDue();
                SimulatedServer.SimEvent e = s.queue.poll();
                if (e == null) {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        return TIMEOUT;
                    }
                    // Wake for a timed event that falls due within the wait, never later than the deadline.
                    e = s.queue.poll(Math.min(remaining, server.nanosUntilNextDue()), TimeUnit.NANOSECONDS);
                }
                if (e != null) {
                    data.device = new DeviceHandle(new Pointer(HANDLE_BASE + e.slot()));
                    data.eventType = e.eventType();
                    data.eventData = e.eventData();
                    data.gpuInstanceId = 0xFFFFFFFF;
                    data.computeInstanceId = 0xFFFFFFFF;
                    data.write();
                    return SUCCESS;
                }
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return TIMEOUT;
        }
    }

    @Override
    public int nvmlEventSetFree(EventSetHandle set) {
        symbol("nvmlEventSetFree");
        if (set == null || set.getPointer() == null) {
            return INVALID_ARGUMENT;
        }
        SimEventSet s = eventSets.remove(Pointer.nativeValue(set.getPointer()));
        if (s == null) {
            return INVALID_ARGUMENT;
        }
        server.unregisterEvents(s);
        return SUCCESS;
    }
}
