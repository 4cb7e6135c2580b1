package dev.kiln.nvml;

import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import dev.kiln.nvml.raw.DeviceHandle;
import dev.kiln.nvml.raw.NvmlConstants;
import dev.kiln.nvml.raw.NvmlFieldValue;
import dev.kiln.nvml.raw.NvmlLibrary;
import dev.kiln.nvml.raw.NvmlMemory;
import dev.kiln.nvml.raw.NvmlMemoryV2;
import dev.kiln.nvml.raw.NvmlPciInfo;
import dev.kiln.nvml.raw.NvmlProcessInfo;
import dev.kiln.nvml.raw.NvmlTemperature;
import dev.kiln.nvml.raw.NvmlUtilization;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One GPU inside an open {@link NvmlSession}. Each getter returns an empty Optional when the GPU
 * or driver does not support the reading, throws {@link GpuUnavailableException} when the GPU is
 * lost or needs a reset, and {@link NvmlException} for any other failure. Not valid after the
 * session closes.
 */
public final class GpuDevice {
    private final NvmlSession session;
    private final NvmlCalls calls;
    private final NvmlLibrary lib;
    private final DeviceHandle handle;
    private final int index;

    GpuDevice(NvmlSession session, NvmlCalls calls, DeviceHandle handle, int index) {
        this.session = session;
        this.calls = calls;
        this.lib = calls.binding().library();
        this.handle = handle;
        this.index = index;
    }

    public int index() {
        return index;
    }

    DeviceHandle handle() {
        return handle;
    }

    @FunctionalInterface
    private interface StringCall {
        int call(byte[] buffer, int length);
    }

    @FunctionalInterface
    private interface IntCall {
        int call(IntByReference out);
    }

    @FunctionalInterface
    private interface LongCall {
        int call(LongByReference out);
    }

    private Optional<String> string(String fn, int size, StringCall call) {
        session.ensureOpen();
        if (!calls.has(fn)) {
            return Optional.empty();
        }
        byte[] buf = new byte[size];
        return calls.check(fn, call.call(buf, size)) ? Optional.of(Native.toString(buf).trim()) : Optional.empty();
    }

    private Optional<Integer> uint(String fn, IntCall call) {
        session.ensureOpen();
        if (!calls.has(fn)) {
            return Optional.empty();
        }
        IntByReference out = new IntByReference();
        return calls.check(fn, call.call(out)) ? Optional.of(out.getValue()) : Optional.empty();
    }

    private Optional<Long> ulong(String fn, LongCall call) {
        session.ensureOpen();
        if (!calls.has(fn)) {
            return Optional.empty();
        }
        LongByReference out = new LongByReference();
        return calls.check(fn, call.call(out)) ? Optional.of(out.getValue()) : Optional.empty();
    }

    // --- identity ------------------------------------------------------------------------

    public Optional<String> name() {
        return string("nvmlDeviceGetName", NvmlConstants.NAME_BUFFER_SIZE, (b, l) -> lib.nvmlDeviceGetName(handle, b, l));
    }

    public Optional<String> uuid() {
        return string("nvmlDeviceGetUUID", NvmlConstants.UUID_BUFFER_SIZE, (b, l) -> lib.nvmlDeviceGetUUID(handle, b, l));
    }

    public Optional<String> serial() {
        return string("nvmlDeviceGetSerial", NvmlConstants.SERIAL_BUFFER_SIZE, (b, l) -> lib.nvmlDeviceGetSerial(handle, b, l));
    }

    public Optional<String> boardPartNumber() {
        return string("nvmlDeviceGetBoardPartNumber", NvmlConstants.PART_NUMBER_BUFFER_SIZE,
                (b, l) -> lib.nvmlDeviceGetBoardPartNumber(handle, b, l));
    }

    public Optional<String> vbiosVersion() {
        return string("nvmlDeviceGetVbiosVersion", NvmlConstants.VBIOS_VERSION_BUFFER_SIZE,
                (b, l) -> lib.nvmlDeviceGetVbiosVersion(handle, b, l));
    }

    public Optional<String> inforomImageVersion() {
        return string("nvmlDeviceGetInforomImageVersion", NvmlConstants.INFOROM_VERSION_BUFFER_SIZE,
                (b, l) -> lib.nvmlDeviceGetInforomImageVersion(handle, b, l));
    }

    public Optional<PciInfo> pciInfo() {
        session.ensureOpen();
        NvmlPciInfo p = new NvmlPciInfo();
        if (!calls.check("nvmlDeviceGetPciInfo_v3", lib.nvmlDeviceGetPciInfo_v3(handle, p))) {
            return Optional.empty();
        }
        return Optional.of(new PciInfo(p.busIdString(), p.domain, p.bus, p.device, p.pciDeviceId, p.pciSubSystemId));
    }

    public Optional<Integer> minorNumber() {
        return uint("nvmlDeviceGetMinorNumber", o -> lib.nvmlDeviceGetMinorNumber(handle, o));
    }

    public Optional<Architecture> architecture() {
        return uint("nvmlDeviceGetArchitecture", o -> lib.nvmlDeviceGetArchitecture(handle, o)).map(Architecture::of);
    }

    public Optional<ComputeCapability> computeCapability() {
        String fn = "nvmlDeviceGetCudaComputeCapability";
        session.ensureOpen();
        if (!calls.has(fn)) {
            return Optional.empty();
        }
        IntByReference major = new IntByReference();
        IntByReference minor = new IntByReference();
        return calls.check(fn, lib.nvmlDeviceGetCudaComputeCapability(handle, major, minor))
                ? Optional.of(new ComputeCapability(major.getValue(), minor.getValue())) : Optional.empty();
    }

    // --- memory --------------------------------------------------------------------------

    public Optional<MemoryInfo> memory() {
        session.ensureOpen();
        if (calls.has("nvmlDeviceGetMemoryInfo_v2")) {
            NvmlMemoryV2 m = new NvmlMemoryV2();
            if (calls.check("nvmlDeviceGetMemoryInfo_v2", lib.nvmlDeviceGetMemoryInfo_v2(handle, m))) {
                return Optional.of(new MemoryInfo(m.total, m.used, m.free, Optional.of(m.reserved)));
            }
        }
        if (calls.has("nvmlDeviceGetMemoryInfo")) {
            NvmlMemory m = new NvmlMemory();
            if (calls.check("nvmlDeviceGetMemoryInfo", lib.nvmlDeviceGetMemoryInfo(handle, m))) {
                return Optional.of(new MemoryInfo(m.total, m.used, m.free, Optional.empty()));
            }
        }
        return Optional.empty();
    }

    // --- temperature ---------------------------------------------------------------------

    public Optional<Integer> temperatureCelsius() {
        session.ensureOpen();
        if (calls.has("nvmlDeviceGetTemperatureV")) {
            NvmlTemperature t = new NvmlTemperature();
            t.sensorType = NvmlConstants.TEMPERATURE_GPU;
            if (calls.check("nvmlDeviceGetTemperatureV", lib.nvmlDeviceGetTemperatureV(handle, t))) {
                return Optional.of(t.temperature);
            }
        }
        return uint("nvmlDeviceGetTemperature",
                o -> lib.nvmlDeviceGetTemperature(handle, NvmlConstants.TEMPERATURE_GPU, o));
    }

    /**
     * Device-memory (HBM) temperature, field {@code NVML_FI_DEV_MEMORY_TEMP}; empty on GPUs and drivers
     * that do not report one (GDDR boards, older drivers).
     */
    public Optional<Integer> memoryTemperatureCelsius() {
        return integerField(NvmlConstants.FI_DEV_MEMORY_TEMP).map(Long::intValue);
    }

    public Optional<Integer> temperatureThreshold(int thresholdType) {
        return uint("nvmlDeviceGetTemperatureThreshold",
                o -> lib.nvmlDeviceGetTemperatureThreshold(handle, thresholdType, o));
    }

    public Temperatures temperatures() {
        return new Temperatures(temperatureCelsius(),
                temperatureThreshold(NvmlConstants.TEMPERATURE_THRESHOLD_SLOWDOWN),
                temperatureThreshold(NvmlConstants.TEMPERATURE_THRESHOLD_SHUTDOWN),
                temperatureThreshold(NvmlConstants.TEMPERATURE_THRESHOLD_MEM_MAX),
                temperatureThreshold(NvmlConstants.TEMPERATURE_THRESHOLD_GPU_MAX));
    }

    // --- power ---------------------------------------------------------------------------

    public PowerInfo power() {
        return new PowerInfo(
                uint("nvmlDeviceGetPowerUsage", o -> lib.nvmlDeviceGetPowerUsage(handle, o)),
                uint("nvmlDeviceGetPowerManagementLimit", o -> lib.nvmlDeviceGetPowerManagementLimit(handle, o)),
                uint("nvmlDeviceGetEnforcedPowerLimit", o -> lib.nvmlDeviceGetEnforcedPowerLimit(handle, o)),
                uint("nvmlDeviceGetPowerManagementDefaultLimit",
                        o -> lib.nvmlDeviceGetPowerManagementDefaultLimit(handle, o)),
                ulong("nvmlDeviceGetTotalEnergyConsumption", o -> lib.nvmlDeviceGetTotalEnergyConsumption(handle, o)));
    }

    // --- clocks --------------------------------------------------------------------------

    public ClockInfo clocks() {
        Optional<Long> reasons = calls.has("nvmlDeviceGetCurrentClocksEventReasons")
                ? ulong("nvmlDeviceGetCurrentClocksEventReasons",
                        o -> lib.nvmlDeviceGetCurrentClocksEventReasons(handle, o))
                : ulong("nvmlDeviceGetCurrentClocksThrottleReasons",
                        o -> lib.nvmlDeviceGetCurrentClocksThrottleReasons(handle, o));
        return new ClockInfo(
                uint("nvmlDeviceGetClockInfo", o -> lib.nvmlDeviceGetClockInfo(handle, NvmlConstants.CLOCK_SM, o)),
                uint("nvmlDeviceGetClockInfo", o -> lib.nvmlDeviceGetClockInfo(handle, NvmlConstants.CLOCK_MEM, o)),
                uint("nvmlDeviceGetMaxClockInfo", o -> lib.nvmlDeviceGetMaxClockInfo(handle, NvmlConstants.CLOCK_SM, o)),
                uint("nvmlDeviceGetMaxClockInfo", o -> lib.nvmlDeviceGetMaxClockInfo(handle, NvmlConstants.CLOCK_MEM, o)),
                reasons);
    }

    // --- utilization ---------------------------------------------------------------------

    public Optional<Utilization> utilization() {
        String fn = "nvmlDeviceGetUtilizationRates";
        session.ensureOpen();
        if (!calls.has(fn)) {
            return Optional.empty();
        }
        NvmlUtilization u = new NvmlUtilization();
        return calls.check(fn, lib.nvmlDeviceGetUtilizationRates(handle, u))
                ? Optional.of(new Utilization(u.gpu, u.memory)) : Optional.empty();
    }

    // --- ECC / remapping -----------------------------------------------------------------

    public Optional<EccInfo> ecc() {
        String fn = "nvmlDeviceGetEccMode";
        session.ensureOpen();
        if (!calls.has(fn)) {
            return Optional.empty();
        }
        IntByReference current = new IntByReference();
        IntByReference pending = new IntByReference();
        if (!calls.check(fn, lib.nvmlDeviceGetEccMode(handle, current, pending))) {
            return Optional.empty();
        }
        return Optional.of(new EccInfo(current.getValue() == NvmlConstants.FEATURE_ENABLED,
                pending.getValue() == NvmlConstants.FEATURE_ENABLED,
                eccCount(NvmlConstants.MEMORY_ERROR_CORRECTED, NvmlConstants.VOLATILE_ECC),
                eccCount(NvmlConstants.MEMORY_ERROR_UNCORRECTED, NvmlConstants.VOLATILE_ECC),
                eccCount(NvmlConstants.MEMORY_ERROR_CORRECTED, NvmlConstants.AGGREGATE_ECC),
                eccCount(NvmlConstants.MEMORY_ERROR_UNCORRECTED, NvmlConstants.AGGREGATE_ECC)));
    }

    private Optional<Long> eccCount(int errorType, int counterType) {
        return ulong("nvmlDeviceGetTotalEccErrors",
                o -> lib.nvmlDeviceGetTotalEccErrors(handle, errorType, counterType, o));
    }

    public Optional<RemappedRows> remappedRows() {
        String fn = "nvmlDeviceGetRemappedRows";
        session.ensureOpen();
        if (!calls.has(fn)) {
            return Optional.empty();
        }
        IntByReference corr = new IntByReference();
        IntByReference unc = new IntByReference();
        IntByReference pending = new IntByReference();
        IntByReference failure = new IntByReference();
        return calls.check(fn, lib.nvmlDeviceGetRemappedRows(handle, corr, unc, pending, failure))
                ? Optional.of(new RemappedRows(corr.getValue(), unc.getValue(), pending.getValue() != 0,
                failure.getValue() != 0))
                : Optional.empty();
    }

    // --- field values / recovery action ---------------------------------------------------

    /**
     * One integer field of {@code nvmlDeviceGetFieldValues}. Empty when the driver lacks the call,
     * or answers the field with NOT_SUPPORTED or INVALID_ARGUMENT (a field id newer than the driver).
     */
    private Optional<Long> integerField(int fieldId) {
        String fn = "nvmlDeviceGetFieldValues";
        session.ensureOpen();
        if (!calls.has(fn)) {
            return Optional.empty();
        }
        NvmlFieldValue v = new NvmlFieldValue();
        v.fieldId = fieldId;
        v.scopeId = 0;
        if (!calls.check(fn, lib.nvmlDeviceGetFieldValues(handle, 1, v))) {
            return Optional.empty();
        }
        NvmlReturn r = NvmlReturn.of(v.nvmlReturn);
        if (r == NvmlReturn.ERROR_INVALID_ARGUMENT) {
            return Optional.empty();
        }
        return calls.check(fn + "[field " + fieldId + "]", v.nvmlReturn) ? Optional.of(v.integerValue()) : Optional.empty();
    }

    /**
     * The driver's recommended recovery action (field {@code NVML_FI_DEV_GET_GPU_RECOVERY_ACTION});
     * empty on drivers and GPUs that do not report one.
     */
    public Optional<RecoveryAction> recoveryAction() {
        return integerField(NvmlConstants.FI_DEV_GET_GPU_RECOVERY_ACTION).map(RecoveryAction::of);
    }

    // --- PCIe ----------------------------------------------------------------------------

    public PcieLink pcie() {
        return new PcieLink(
                uint("nvmlDeviceGetCurrPcieLinkGeneration", o -> lib.nvmlDeviceGetCurrPcieLinkGeneration(handle, o)),
                uint("nvmlDeviceGetCurrPcieLinkWidth", o -> lib.nvmlDeviceGetCurrPcieLinkWidth(handle, o)),
                uint("nvmlDeviceGetMaxPcieLinkGeneration", o -> lib.nvmlDeviceGetMaxPcieLinkGeneration(handle, o)),
                uint("nvmlDeviceGetMaxPcieLinkWidth", o -> lib.nvmlDeviceGetMaxPcieLinkWidth(handle, o)),
                uint("nvmlDeviceGetGpuMaxPcieLinkGeneration",
                        o -> lib.nvmlDeviceGetGpuMaxPcieLinkGeneration(handle, o)),
                uint("nvmlDeviceGetPcieReplayCounter", o -> lib.nvmlDeviceGetPcieReplayCounter(handle, o)));
    }

    // --- NVLink --------------------------------------------------------------------------

    /**
     * Every NVLink the GPU has. Links are numbered from 0; NVML answers NOT_SUPPORTED (or
     * INVALID_ARGUMENT) past the last one, and for link 0 on GPUs without NVLink.
     */
    public List<NvLink> nvlinks() {
        session.ensureOpen();
        if (!calls.has("nvmlDeviceGetNvLinkState")) {
            return List.of();
        }
        List<NvLink> links = new ArrayList<>();
        for (int link = 0; link < NvmlConstants.NVLINK_MAX_LINKS; link++) {
            IntByReference active = new IntByReference();
            int rc = lib.nvmlDeviceGetNvLinkState(handle, link, active);
            if (NvmlReturn.of(rc) == NvmlReturn.ERROR_INVALID_ARGUMENT) {
                break;
            }
            if (!calls.check("nvmlDeviceGetNvLinkState", rc)) {
                continue;
            }
            links.add(new NvLink(link, active.getValue() == NvmlConstants.FEATURE_ENABLED, remotePciBusId(link)));
        }
        return List.copyOf(links);
    }

    private Optional<String> remotePciBusId(int link) {
        String fn = "nvmlDeviceGetNvLinkRemotePciInfo_v2";
        if (!calls.has(fn)) {
            return Optional.empty();
        }
        NvmlPciInfo p = new NvmlPciInfo();
        int rc = lib.nvmlDeviceGetNvLinkRemotePciInfo_v2(handle, link, p);
        // A link that is down has no far end to report; that is the link state's finding, not an error.
        if (rc != NvmlReturn.SUCCESS.code() && !NvmlReturn.of(rc).gpuUnavailable()) {
            return Optional.empty();
        }
        calls.check(fn, rc);
        return Optional.of(p.busIdString());
    }

    /** The NVLink version of an active link (e.g. 4 on Hopper); empty when NVML does not say. */
    public Optional<Integer> nvlinkVersion(int link) {
        String fn = "nvmlDeviceGetNvLinkVersion";
        session.ensureOpen();
        if (!calls.has(fn)) {
            return Optional.empty();
        }
        IntByReference out = new IntByReference();
        int rc = lib.nvmlDeviceGetNvLinkVersion(handle, link, out);
        if (NvmlReturn.of(rc) == NvmlReturn.ERROR_INVALID_ARGUMENT) {
            return Optional.empty();
        }
        return calls.check(fn, rc) ? Optional.of(out.getValue()) : Optional.empty();
    }

    /**
     * The link's error counters (lifetime totals since the driver loaded; judge differences). A counter the
     * GPU does not keep is left out.
     */
    public Map<GpuTopology.NvLinkCounter, Long> nvlinkErrorCounters(int link) {
        String fn = "nvmlDeviceGetNvLinkErrorCounter";
        session.ensureOpen();
        Map<GpuTopology.NvLinkCounter, Long> out = new java.util.EnumMap<>(GpuTopology.NvLinkCounter.class);
        if (!calls.has(fn)) {
            return out;
        }
        for (GpuTopology.NvLinkCounter c : GpuTopology.NvLinkCounter.values()) {
            LongByReference v = new LongByReference();
            int rc = lib.nvmlDeviceGetNvLinkErrorCounter(handle, link, c.code(), v);
            if (NvmlReturn.of(rc) == NvmlReturn.ERROR_INVALID_ARGUMENT) {
                continue; // a counter this driver does not know
            }
            if (calls.check(fn, rc)) {
                out.put(c, v.getValue());
            }
        }
        return out;
    }

    // --- topology ------------------------------------------------------------------------

    /** The closest PCIe ancestor this GPU shares with {@code other}; empty when NVML cannot say. */
    public Optional<GpuTopology.Level> commonAncestor(GpuDevice other) {
        return uint("nvmlDeviceGetTopologyCommonAncestor",
                o -> lib.nvmlDeviceGetTopologyCommonAncestor(handle, other.handle(), o)).map(GpuTopology.Level::of);
    }

    /** Whether this GPU can reach {@code other}'s memory directly, for one capability. */
    public Optional<GpuTopology.P2pStatus> p2pStatus(GpuDevice other, GpuTopology.P2pCapability capability) {
        return uint("nvmlDeviceGetP2PStatus",
                o -> lib.nvmlDeviceGetP2PStatus(handle, other.handle(), capability.code(), o))
                .map(GpuTopology.P2pStatus::of);
    }

    // --- modes / processes ---------------------------------------------------------------

    public Optional<Boolean> persistenceMode() {
        return uint("nvmlDeviceGetPersistenceMode", o -> lib.nvmlDeviceGetPersistenceMode(handle, o))
                .map(v -> v == NvmlConstants.FEATURE_ENABLED);
    }

    public Optional<MigMode> migMode() {
        String fn = "nvmlDeviceGetMigMode";
        session.ensureOpen();
        if (!calls.has(fn)) {
            return Optional.empty();
        }
        IntByReference current = new IntByReference();
        IntByReference pending = new IntByReference();
        return calls.check(fn, lib.nvmlDeviceGetMigMode(handle, current, pending))
                ? Optional.of(new MigMode(current.getValue() == 1, pending.getValue() == 1)) : Optional.empty();
    }

    public Optional<List<ComputeProcess>> computeProcesses() {
        String fn = "nvmlDeviceGetComputeRunningProcesses_v3";
        session.ensureOpen();
        if (!calls.has(fn)) {
            return Optional.empty();
        }
        // Ask with room for a few; NVML answers INSUFFICIENT_SIZE with the real count, which can
        // grow between calls, so retry a bounded number of times.
        int capacity = 8;
        for (int attempt = 0; attempt < 4; attempt++) {
            NvmlProcessInfo first = new NvmlProcessInfo();
            NvmlProcessInfo[] infos = (NvmlProcessInfo[]) first.toArray(capacity);
            IntByReference count = new IntByReference(capacity);
            int rc = lib.nvmlDeviceGetComputeRunningProcesses_v3(handle, count, infos[0]);
            if (NvmlReturn.of(rc) == NvmlReturn.ERROR_INSUFFICIENT_SIZE) {
                capacity = Math.max(capacity * 2, count.getValue() + 4);
                continue;
            }
            if (!calls.check(fn, rc)) {
                return Optional.empty();
            }
            List<ComputeProcess> out = new ArrayList<>(count.getValue());
            for (int i = 0; i < count.getValue() && i < infos.length; i++) {
                infos[i].read();
                long used = infos[i].usedGpuMemory;
                // NVML_VALUE_NOT_AVAILABLE (ULLONG_MAX) when the driver cannot attribute memory.
                out.add(new ComputeProcess(Integer.toUnsignedLong(infos[i].pid),
                        used == -1L ? Optional.empty() : Optional.of(used)));
            }
            return Optional.of(List.copyOf(out));
        }
        throw new NvmlException(fn, NvmlReturn.ERROR_INSUFFICIENT_SIZE.code(),
                "process list kept growing; gave up after 4 attempts");
    }

    // --- whole snapshot ------------------------------------------------------------------

    /**
     * Reads everything. A failing reading is recorded in {@link GpuSnapshot#errors()} and the rest
     * continue; a lost GPU stops the read and is reported in {@link GpuSnapshot#state()}.
     */
    public GpuSnapshot snapshot() {
        return new SnapshotReader(this).read();
    }
}
