package dev.kiln.nvml;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.kiln.nvml.raw.DeviceHandle;
import dev.kiln.nvml.raw.NvmlBinding;
import dev.kiln.nvml.raw.NvmlConstants;
import dev.kiln.nvml.raw.NvmlLibrary;
import dev.kiln.nvml.raw.NvmlLoader;
import dev.kiln.nvml.raw.NvmlMemory;
import dev.kiln.nvml.raw.NvmlMemoryV2;
import dev.kiln.nvml.raw.NvmlPciInfo;
import dev.kiln.nvml.raw.NvmlProcessInfo;
import dev.kiln.nvml.raw.NvmlSymbols;
import dev.kiln.nvml.raw.NvmlUtilization;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real JNA path end to end: {@code src/test/c/fake_nvml.c} is compiled into a shared library,
 * loaded through {@link NvmlLoader#load(String)}, and read through the typed API, so every string,
 * structure, unsigned int and 64-bit counter crosses the native boundary as it would with the driver.
 */
class FakeNvmlLibraryTest {

    private static final long GIB = 1L << 30;
    private static final long FAKE_TOTAL = 80 * GIB;
    private static final long FAKE_RESERVED = 546_308_096L;

    /** Symbols of {@link NvmlSymbols} that fake_nvml.c exports. */
    private static final Set<String> EXPORTED;

    /** Optional symbols fake_nvml.c deliberately leaves out. */
    private static final Set<String> NOT_EXPORTED = Set.of("nvmlDeviceGetTemperatureV",
            "nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetBoardPartNumber",
            "nvmlDeviceGetInforomImageVersion", "nvmlDeviceGetIndex", "nvmlDeviceGetGpuMaxPcieLinkGeneration",
            "nvmlDeviceGetPowerManagementDefaultLimit");

    static {
        Set<String> s = new HashSet<>(NvmlSymbols.REQUIRED);
        s.addAll(NvmlSymbols.OPTIONAL);
        s.removeAll(NOT_EXPORTED);
        EXPORTED = Set.copyOf(s);
    }

    /** Test-only export of the fake: open init/shutdown balance. */
    public interface FakeControl extends Library {
        int fakeNvmlInitCount();

        void fakeNvmlRaiseEvent(int gpu, long type, long data, int gpuInstance, int computeInstance);

        int fakeNvmlOpenEventSets();
    }

    @TempDir
    static Path buildDir;

    private static Path compiler;
    private static Path fakeLibrary;
    private static NvmlBinding binding;
    private static FakeControl control;

    @BeforeAll
    static void buildFake() throws Exception {
        Optional<Path> cc = CFakes.compiler();
        assumeTrue(cc.isPresent(), "no gcc or cc on PATH: cannot build the C fake of libnvidia-ml, skipping");
        compiler = cc.get();
        fakeLibrary = compile("libnvidia-ml-fake.so");
        NvmlLoader.Result result = NvmlLoader.load(fakeLibrary.toString());
        assertThat(result).as("loading %s", fakeLibrary).isInstanceOf(NvmlLoader.Loaded.class);
        binding = ((NvmlLoader.Loaded) result).binding();
        control = Native.load(fakeLibrary.toString(), FakeControl.class);
    }

    @AfterEach
    void everySessionWasShutDown() {
        assertThat(control.fakeNvmlInitCount()).as("nvmlInit_v2 calls not matched by nvmlShutdown").isZero();
        assertThat(control.fakeNvmlOpenEventSets()).as("event sets not freed").isZero();
    }

    private static Path compile(String fileName, String... extraFlags) throws IOException, InterruptedException {
        return CFakes.compile(compiler, "fake_nvml.c", buildDir, fileName, extraFlags);
    }

    // --- loader and capability probe ---------------------------------------------------------

    @Test
    void loaderProbesExactlyTheExportedSymbols() {
        assertThat(binding.simulated()).isFalse();
        assertThat(binding.description()).isEqualTo(fakeLibrary.toString());
        assertThat(binding.symbols()).containsExactlyInAnyOrderElementsOf(EXPORTED);
        assertThat(binding.symbols()).doesNotContainAnyElementsOf(NOT_EXPORTED);
        assertThat(binding.has("nvmlDeviceGetCurrentClocksThrottleReasons")).isTrue();
        assertThat(binding.has("nvmlDeviceGetTemperature")).isTrue();
        try (NvmlSession s = NvmlSession.open(binding)) {
            assertThat(s.capabilities()).isEqualTo(binding.symbols());
        }
    }

    @Test
    void missingLibraryIsUnavailableWithReason() {
        NvmlLoader.Result r = NvmlLoader.load("/nonexistent/libnvidia-ml.so.1");
        assertThat(r).isInstanceOf(NvmlLoader.Unavailable.class);
        assertThat(((NvmlLoader.Unavailable) r).reason()).contains("NVML library not found")
                .contains("/nonexistent/libnvidia-ml.so.1");
    }

    @Test
    void libraryLackingARequiredSymbolIsUnavailableNamingIt() throws Exception {
        Path old = compile("libnvidia-ml-no-pci-v3.so", "-DFAKE_WITHOUT_PCI_INFO_V3");
        NvmlLoader.Result r = NvmlLoader.load(old.toString());
        assertThat(r).isInstanceOf(NvmlLoader.Unavailable.class);
        String reason = ((NvmlLoader.Unavailable) r).reason();
        assertThat(reason).contains("lacks required symbols").contains("[nvmlDeviceGetPciInfo_v3]")
                .contains(old.toString());
        for (String other : NvmlSymbols.REQUIRED) {
            if (!other.equals("nvmlDeviceGetPciInfo_v3")) {
                assertThat(reason).doesNotContain(other + ",").doesNotContain(other + "]");
            }
        }
    }

    // --- system --------------------------------------------------------------------------

    @Test
    void systemInfoAndCount() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            NvmlSystemInfo info = s.systemInfo();
            assertThat(info.driverVersion()).isEqualTo("535.183.01");
            assertThat(info.nvmlVersion()).isEqualTo("12.535.183.01");
            assertThat(info.cudaDriverVersion()).contains(12020);
            assertThat(info.cudaDriverVersionString()).contains("12.2");
            assertThat(s.deviceCount()).isEqualTo(2);
        }
    }

    // --- typed readings of the healthy GPU 0 ---------------------------------------------------

    @Test
    void identityStringsAndNumbers() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            GpuDevice d = s.device(0);
            assertThat(d.index()).isZero();
            assertThat(d.name()).contains("NVIDIA H100 80GB HBM3");
            assertThat(d.uuid()).contains("GPU-6b696c6e-0000-4000-8000-000000000000");
            assertThat(d.serial()).contains("1654922000001");
            assertThat(d.vbiosVersion()).contains("96.00.74.00.1C");
            assertThat(d.minorNumber()).contains(0);
            assertThat(d.architecture()).contains(Architecture.HOPPER);
            assertThat(d.computeCapability()).contains(new ComputeCapability(9, 0));
            // Not exported by this "driver": absent, not an error.
            assertThat(d.boardPartNumber()).isEmpty();
            assertThat(d.inforomImageVersion()).isEmpty();
            assertThat(s.device(1).uuid()).contains("GPU-6b696c6e-0001-4000-8000-000000000001");
        }
    }

    @Test
    void pciInfoStructMarshals() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            assertThat(s.device(0).pciInfo()).contains(
                    new PciInfo("00000000:1B:00.0", 0, 0x1B, 0, 0x233010DE, 0x16C110DE));
            // Every field differs from GPU 0's, so a shifted offset cannot pass.
            assertThat(s.device(1).pciInfo()).contains(
                    new PciInfo("00000001:2A:03.0", 1, 0x2A, 3, 0x233010DE, 0x16C110DE));
        }
    }

    @Test
    void memoryV2StructMarshals() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            MemoryInfo m = s.device(0).memory().orElseThrow();
            assertThat(m.totalBytes()).isEqualTo(FAKE_TOTAL);
            assertThat(m.reservedBytes()).contains(FAKE_RESERVED);
            assertThat(m.usedBytes()).isEqualTo(GIB);
            assertThat(m.freeBytes()).isEqualTo(FAKE_TOTAL - FAKE_RESERVED - GIB);
        }
    }

    @Test
    void memoryFallsBackToV1WhenV2IsAbsent() {
        Set<String> older = new HashSet<>(binding.symbols());
        older.remove("nvmlDeviceGetMemoryInfo_v2");
        NvmlBinding withoutV2 = new NvmlBinding(binding.library(), older, binding.description(), false);
        try (NvmlSession s = NvmlSession.open(withoutV2)) {
            MemoryInfo m = s.device(0).memory().orElseThrow();
            assertThat(m.totalBytes()).isEqualTo(FAKE_TOTAL);
            assertThat(m.usedBytes()).isEqualTo(FAKE_RESERVED + GIB);
            assertThat(m.freeBytes()).isEqualTo(FAKE_TOTAL - FAKE_RESERVED - GIB);
            assertThat(m.reservedBytes()).isEmpty();
        }
    }

    @Test
    void temperatureFallsBackToTheDeprecatedCall() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            assertThat(s.capabilities()).doesNotContain("nvmlDeviceGetTemperatureV");
            Temperatures t = s.device(0).temperatures();
            assertThat(t.gpuCelsius()).contains(41);
            assertThat(t.slowdownCelsius()).contains(87);
            assertThat(t.shutdownCelsius()).contains(92);
            assertThat(t.memoryMaxCelsius()).contains(95);
            assertThat(t.gpuMaxCelsius()).contains(85);
        }
    }

    @Test
    void powerUnsignedIntsAndEnergyCounter() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            PowerInfo p = s.device(0).power();
            assertThat(p.usageMilliwatts()).contains(312_456);
            assertThat(p.limitMilliwatts()).contains(700_000);
            assertThat(p.enforcedLimitMilliwatts()).contains(650_000);
            assertThat(p.defaultLimitMilliwatts()).as("symbol not exported").isEmpty();
            assertThat(p.totalEnergyMillijoules()).contains(0x1_2345_6789L);
        }
    }

    @Test
    void clockReasonsFallBackToThrottleReasonsWithAll64Bits() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            ClockInfo c = s.device(0).clocks();
            assertThat(c.smMhz()).contains(1755);
            assertThat(c.memoryMhz()).contains(2619);
            assertThat(c.smMaxMhz()).contains(1980);
            assertThat(c.memoryMaxMhz()).contains(2620);
            assertThat(c.eventReasonsMask()).contains(0x1_0000_0024L);
            assertThat(c.eventReasons()).containsExactly(ClockEventReason.SW_POWER_CAP,
                    ClockEventReason.SW_THERMAL_SLOWDOWN);
        }
    }

    @Test
    void utilizationEccAndRemappedRows() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            GpuDevice d = s.device(0);
            assertThat(d.utilization()).contains(new Utilization(63, 21));
            EccInfo e = d.ecc().orElseThrow();
            assertThat(e.enabled()).isTrue();
            assertThat(e.pendingEnabled()).isFalse();
            assertThat(e.volatileCorrected()).contains(7L);
            assertThat(e.volatileUncorrected()).contains(1L);
            assertThat(e.aggregateCorrected()).contains(0x1_0000_0003L);
            assertThat(e.aggregateUncorrected()).contains(2L);
            assertThat(d.remappedRows()).contains(new RemappedRows(3, 1, true, false));
        }
    }

    @Test
    void pcieLink() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            PcieLink p = s.device(0).pcie();
            assertThat(p.currentGeneration()).contains(4);
            assertThat(p.currentWidth()).contains(8);
            assertThat(p.maxGeneration()).contains(5);
            assertThat(p.maxWidth()).contains(16);
            assertThat(p.gpuMaxGeneration()).as("symbol not exported").isEmpty();
            assertThat(p.replayCounter()).contains(12);
        }
    }

    @Test
    void nvlinksStopAtTheLastSupportedLinkAndDownLinksHaveNoRemote() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            assertThat(s.device(0).nvlinks()).containsExactly(
                    new NvLink(0, true, Optional.of("00000000:05:00.0")),
                    new NvLink(1, true, Optional.of("00000000:06:00.0")),
                    new NvLink(2, false, Optional.empty()),
                    new NvLink(3, true, Optional.of("00000000:08:00.0")));
        }
    }

    @Test
    void nvlinkVersionsAndErrorCountersAreMarshalledAndUnsupportedCountersLeftOut() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            GpuDevice d = s.device(0);
            assertThat(d.nvlinkVersion(1)).contains(4);
            assertThat(d.nvlinkVersion(2)).as("down link").isEmpty();
            assertThat(d.nvlinkVersion(40)).as("past NVML_NVLINK_MAX_LINKS").isEmpty();
            var first = d.nvlinkErrorCounters(3);
            // The fake answers 1000*link + 10*counter + calls so far; ECC_DATA is NOT_SUPPORTED.
            assertThat(first).containsOnlyKeys(GpuTopology.NvLinkCounter.REPLAY, GpuTopology.NvLinkCounter.RECOVERY,
                    GpuTopology.NvLinkCounter.CRC_FLIT, GpuTopology.NvLinkCounter.CRC_DATA);
            assertThat(first.get(GpuTopology.NvLinkCounter.CRC_DATA) % 1000).isEqualTo(30);
            var second = d.nvlinkErrorCounters(3);
            assertThat(second.get(GpuTopology.NvLinkCounter.CRC_DATA) - first.get(GpuTopology.NvLinkCounter.CRC_DATA))
                    .isEqualTo(1);
            assertThat(d.nvlinkErrorCounters(9)).as("no such link").isEmpty();
        }
    }

    @Test
    void topologyAndP2pStatusTakeBothHandlesAndALostPeerIsUnavailable() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            GpuDevice a = s.device(0);
            assertThat(a.commonAncestor(a)).contains(GpuTopology.Level.INTERNAL);
            assertThat(a.p2pStatus(a, GpuTopology.P2pCapability.NVLINK)).contains(GpuTopology.P2pStatus.NOT_SUPPORTED);
            // The fake's GPU 1 is lost: a pair question about it says so instead of answering for GPU 0 alone.
            assertThatThrownBy(() -> a.commonAncestor(s.device(1))).isInstanceOf(GpuUnavailableException.class);
            assertThatThrownBy(() -> a.p2pStatus(s.device(1), GpuTopology.P2pCapability.READ))
                    .isInstanceOf(GpuUnavailableException.class);
        }
    }

    @Test
    void notSupportedIsEmptyButOtherErrorsAreErrors() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            GpuDevice d = s.device(0);
            assertThat(d.migMode()).as("NOT_SUPPORTED").isEmpty();
            assertThatThrownBy(d::persistenceMode)
                    .isInstanceOf(NvmlException.class)
                    .isNotInstanceOf(GpuUnavailableException.class)
                    .hasMessageContaining("nvmlDeviceGetPersistenceMode")
                    .hasMessageContaining("ERROR_NO_PERMISSION (4)")
                    .hasMessageContaining("Insufficient Permissions (fake)");
        }
    }

    @Test
    void processListGrowsPastFirstGuessAndKeepsUnsignedPidsAnd64BitMemory() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            List<ComputeProcess> procs = s.device(0).computeProcesses().orElseThrow();
            assertThat(procs).hasSize(10);
            for (int i = 0; i < 8; i++) {
                assertThat(procs.get(i)).isEqualTo(new ComputeProcess(1000 + i, Optional.of((i + 1) * GIB + i)));
            }
            assertThat(procs.get(8)).as("NVML_VALUE_NOT_AVAILABLE")
                    .isEqualTo(new ComputeProcess(1008, Optional.empty()));
            assertThat(procs.get(9)).isEqualTo(new ComputeProcess(0x8000_0001L, Optional.of(10 * GIB + 9)));
        }
    }

    // --- whole snapshots, a lost GPU ---------------------------------------------------------

    @Test
    void snapshotOfHealthyGpuRecordsOnlyRealErrors() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            GpuSnapshot snap = s.device(0).snapshot();
            assertThat(snap.state()).isEqualTo(GpuState.OK);
            assertThat(snap.name()).contains("NVIDIA H100 80GB HBM3");
            assertThat(snap.pci().map(PciInfo::busId)).contains("00000000:1B:00.0");
            assertThat(snap.memory().map(MemoryInfo::totalBytes)).contains(FAKE_TOTAL);
            assertThat(snap.boardPartNumber()).isEmpty();
            assertThat(snap.inforomImageVersion()).isEmpty();
            assertThat(snap.nvlinks()).hasSize(4);
            // The one failing reading is recorded; the readings after it were still taken.
            assertThat(snap.errors()).singleElement().satisfies(e -> {
                assertThat(e.field()).isEqualTo("persistenceMode");
                assertThat(e.function()).isEqualTo("nvmlDeviceGetPersistenceMode");
                assertThat(e.result()).isEqualTo(NvmlReturn.ERROR_NO_PERMISSION);
            });
            assertThat(snap.persistenceMode()).isEmpty();
            assertThat(snap.migMode()).isEmpty();
            assertThat(snap.computeProcesses()).hasValueSatisfying(l -> assertThat(l).hasSize(10));
        }
    }

    @Test
    void gpuLostAfterHandleLookupIsReportedAsLost() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            GpuDevice d = s.device(1);
            GpuSnapshot snap = d.snapshot();
            assertThat(snap.index()).isEqualTo(1);
            assertThat(snap.state()).isEqualTo(GpuState.LOST);
            // Read before the GPU stopped answering: kept.
            assertThat(snap.name()).contains("NVIDIA H100 80GB HBM3");
            assertThat(snap.uuid()).contains("GPU-6b696c6e-0001-4000-8000-000000000001");
            assertThat(snap.serial()).contains("1654922000002");
            assertThat(snap.vbiosVersion()).contains("96.00.74.00.1D");
            assertThat(snap.pci().map(PciInfo::busId)).contains("00000001:2A:03.0");
            assertThat(snap.minorNumber()).contains(1);
            assertThat(snap.computeCapability()).contains(new ComputeCapability(9, 0));
            // From memory on: nothing, and never shown as zeros.
            assertThat(snap.memory()).isEmpty();
            assertThat(snap.temperatures()).isEqualTo(Temperatures.NONE);
            assertThat(snap.power()).isEqualTo(PowerInfo.NONE);
            assertThat(snap.clocks()).isEqualTo(ClockInfo.NONE);
            assertThat(snap.ecc()).isEmpty();
            assertThat(snap.pcie()).isEqualTo(PcieLink.NONE);
            assertThat(snap.nvlinks()).isEmpty();
            assertThat(snap.computeProcesses()).isEmpty();
            assertThat(snap.errors()).singleElement().satisfies(e -> {
                assertThat(e.field()).isEqualTo("memory");
                assertThat(e.function()).isEqualTo("nvmlDeviceGetMemoryInfo_v2");
                assertThat(e.result()).isEqualTo(NvmlReturn.ERROR_GPU_IS_LOST);
                assertThat(e.rawCode()).isEqualTo(15);
                assertThat(e.message()).contains("GPU is lost (fake)");
            });
            assertThatThrownBy(d::power).isInstanceOfSatisfying(GpuUnavailableException.class,
                    e -> assertThat(e.state()).isEqualTo(GpuState.LOST));
            assertThatThrownBy(d::remappedRows).isInstanceOfSatisfying(GpuUnavailableException.class,
                    e -> assertThat(e.state()).isEqualTo(GpuState.RESET_REQUIRED));

            List<GpuSnapshot> all = s.snapshotAll();
            assertThat(all).extracting(GpuSnapshot::index).containsExactly(0, 1);
            assertThat(all).extracting(GpuSnapshot::state).containsExactly(GpuState.OK, GpuState.LOST);
        }
    }

    // --- raw structures straight from C --------------------------------------------------------

    @Test
    void rawStructuresAsCFillsThem() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            NvmlLibrary lib = binding.library();
            PointerByReference ref = new PointerByReference();
            assertThat(lib.nvmlDeviceGetHandleByIndex_v2(0, ref)).isZero();
            DeviceHandle h = new DeviceHandle(ref.getValue());

            NvmlPciInfo pci = new NvmlPciInfo();
            assertThat(lib.nvmlDeviceGetPciInfo_v3(h, pci)).isZero();
            assertThat(Native.toString(pci.busIdLegacy)).isEqualTo("0000:1B:00.0");
            assertThat(pci.busIdString()).isEqualTo("00000000:1B:00.0");
            assertThat(pci.pciSubSystemId).isEqualTo(0x16C110DE);

            NvmlMemory v1 = new NvmlMemory();
            assertThat(lib.nvmlDeviceGetMemoryInfo(h, v1)).isZero();
            assertThat(new long[]{v1.total, v1.free, v1.used})
                    .containsExactly(FAKE_TOTAL, FAKE_TOTAL - FAKE_RESERVED - GIB, FAKE_RESERVED + GIB);

            NvmlMemoryV2 wrongVersion = new NvmlMemoryV2();
            wrongVersion.version = NvmlConstants.structVersion(40, 1);
            assertThat(NvmlReturn.of(lib.nvmlDeviceGetMemoryInfo_v2(h, wrongVersion)))
                    .as("the fake checks the version word, as NVML does")
                    .isEqualTo(NvmlReturn.ERROR_ARGUMENT_VERSION_MISMATCH);

            NvmlUtilization u = new NvmlUtilization();
            assertThat(lib.nvmlDeviceGetUtilizationRates(h, u)).isZero();
            assertThat(new int[]{u.gpu, u.memory}).containsExactly(63, 21);

            IntByReference count = new IntByReference(0);
            assertThat(NvmlReturn.of(lib.nvmlDeviceGetComputeRunningProcesses_v3(h, count, null)))
                    .isEqualTo(NvmlReturn.ERROR_INSUFFICIENT_SIZE);
            assertThat(count.getValue()).isEqualTo(10);
            NvmlProcessInfo[] infos = (NvmlProcessInfo[]) new NvmlProcessInfo().toArray(10);
            assertThat(lib.nvmlDeviceGetComputeRunningProcesses_v3(h, count, infos[0])).isZero();
            infos[7].read();
            assertThat(infos[7].pid).isEqualTo(1007);
            assertThat(infos[7].usedGpuMemory).isEqualTo(8 * GIB + 7);
            assertThat(infos[7].gpuInstanceId).isEqualTo(0xFFFFFFFF);
            assertThat(infos[7].computeInstanceId).isEqualTo(0xFFFFFFFF);

            assertThat(lib.nvmlErrorString(15)).isEqualTo("GPU is lost (fake)");
        }
    }

    // --- session lifecycle ---------------------------------------------------------------------

    @Test
    void sessionsPairInitAndShutdown() {
        assertThat(control.fakeNvmlInitCount()).isZero();
        NvmlSession a = NvmlSession.open(binding);
        NvmlSession b = NvmlSession.open(binding);
        assertThat(control.fakeNvmlInitCount()).isEqualTo(2);
        b.close();
        b.close();
        assertThat(control.fakeNvmlInitCount()).as("a second close must not shut NVML down again").isEqualTo(1);
        assertThat(a.deviceCount()).isEqualTo(2);
        a.close();
        assertThat(control.fakeNvmlInitCount()).isZero();

        assertThatThrownBy(() -> Nvml.withSession(binding, s -> {
            assertThat(control.fakeNvmlInitCount()).isEqualTo(1);
            throw new IllegalStateException("work failed");
        })).hasMessage("work failed");
        assertThat(control.fakeNvmlInitCount()).as("withSession shuts down when the work throws").isZero();
        assertThat(Nvml.withSession(binding, NvmlSession::deviceCount)).isEqualTo(2);
    }

    @Test
    void closedSessionRefusesCallsOnItAndItsDevices() {
        NvmlSession s = NvmlSession.open(binding);
        GpuDevice d = s.device(0);
        s.close();
        assertThatThrownBy(s::deviceCount).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> s.device(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(d::name).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(d::snapshot).isInstanceOf(IllegalStateException.class);
    }

    // --- events and field values ------------------------------------------------------------

    @Test
    void eventDataStructMarshalsWithTheGpuNamedByItsHandle() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            EventSubscription sub = s.subscribeEvents(NvmlEventType.HEALTH);
            assertThat(sub.active()).isTrue();
            assertThat(sub.registrations().get(0).types()).containsExactlyInAnyOrder(
                    NvmlEventType.XID_CRITICAL_ERROR, NvmlEventType.DOUBLE_BIT_ECC_ERROR,
                    NvmlEventType.GPU_RECOVERY_ACTION);
            assertThat(sub.registrations().get(1).types()).as("GPU 1 is lost").isEmpty();
            assertThat(sub.registrations().get(1).problem()).hasValueSatisfying(p -> assertThat(p)
                    .contains("GPU unavailable"));
            assertThat(sub.poll(0)).as("nothing raised yet").isEmpty();

            control.fakeNvmlRaiseEvent(0, 0x8L, 79, 0xFFFFFFFF, 0xFFFFFFFF);
            control.fakeNvmlRaiseEvent(0, 0x4L, 0, 0xFFFFFFFF, 0xFFFFFFFF); // P-state: not registered
            control.fakeNvmlRaiseEvent(0, 0x2L, 0x1_0000_0001L, 3, 1);     // every field distinct
            NvmlEvent xid = sub.poll(0).orElseThrow();
            assertThat(xid.gpuIndex()).isZero();
            assertThat(xid.uuid()).contains("GPU-6b696c6e-0000-4000-8000-000000000000");
            assertThat(xid.pciBusId()).contains("00000000:1B:00.0");
            assertThat(xid.xid()).contains(79L);
            assertThat(xid.gpuInstanceId()).isEmpty();
            assertThat(xid.computeInstanceId()).isEmpty();
            NvmlEvent ecc = sub.poll(0).orElseThrow();
            assertThat(ecc.type()).contains(NvmlEventType.DOUBLE_BIT_ECC_ERROR);
            assertThat(ecc.eventData()).as("all 64 bits").isEqualTo(0x1_0000_0001L);
            assertThat(ecc.gpuInstanceId()).contains(3);
            assertThat(ecc.computeInstanceId()).contains(1);
            assertThat(sub.poll(0)).as("the P-state event was never registered").isEmpty();
            assertThat(control.fakeNvmlOpenEventSets()).isEqualTo(1);
            sub.close();
            assertThat(control.fakeNvmlOpenEventSets()).isZero();
            // Drain what this set never took, so later tests start clean.
            try (EventSubscription other = s.subscribeEvents(Set.of(NvmlEventType.values()))) {
                assertThat(other.registrations().get(0).types()).hasSize(3);
            }
        }
    }

    @Test
    void sessionCloseFreesItsEventSets() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            s.subscribeEvents(Set.of(NvmlEventType.XID_CRITICAL_ERROR));
            assertThat(control.fakeNvmlOpenEventSets()).isEqualTo(1);
        }
        assertThat(control.fakeNvmlOpenEventSets()).isZero();
    }

    @Test
    void recoveryActionFieldValueMarshalsAsAnUnsignedInt() {
        try (NvmlSession s = NvmlSession.open(binding)) {
            assertThat(s.device(0).recoveryAction()).contains(RecoveryAction.GPU_RESET);
            assertThat(s.device(0).snapshot().recoveryAction()).contains(RecoveryAction.GPU_RESET);
            assertThatThrownBy(() -> s.device(1).recoveryAction()).isInstanceOf(GpuUnavailableException.class);
        }
    }
}
