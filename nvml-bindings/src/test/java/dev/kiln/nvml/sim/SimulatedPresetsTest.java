package dev.kiln.nvml.sim;

import dev.kiln.nvml.Architecture;
import dev.kiln.nvml.ComputeCapability;
import dev.kiln.nvml.GpuDevice;
import dev.kiln.nvml.GpuSnapshot;
import dev.kiln.nvml.GpuState;
import dev.kiln.nvml.MemoryInfo;
import dev.kiln.nvml.NvLink;
import dev.kiln.nvml.Nvml;
import dev.kiln.nvml.NvmlSession;
import dev.kiln.nvml.NvmlSystemInfo;
import dev.kiln.nvml.PciInfo;
import dev.kiln.nvml.raw.NvmlBinding;
import dev.kiln.nvml.raw.NvmlSymbols;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each built-in preset read through the typed API, as a check would see the server. */
class SimulatedPresetsTest {

    private static final long MIB = 1024L * 1024L;

    record Expected(String id, int gpus, String name, long memoryMib, long reservedMib, int nvlinksPerGpu,
                    int pcieGen, int pcieWidth, Architecture arch, ComputeCapability cc, String driver,
                    String cuda, List<String> busIds) {
        @Override
        public String toString() {
            return id;
        }
    }

    private static final List<String> HGX_BUS_IDS = List.of("00000000:18:00.0", "00000000:2A:00.0",
            "00000000:3A:00.0", "00000000:5D:00.0", "00000000:9A:00.0", "00000000:AB:00.0", "00000000:BA:00.0",
            "00000000:DB:00.0");
    private static final Set<String> HGX_NVSWITCHES = Set.of("00000000:05:00.0", "00000000:06:00.0",
            "00000000:07:00.0", "00000000:08:00.0");

    static Stream<Expected> presets() {
        return Stream.of(
                new Expected("hgx-h100", 8, "NVIDIA H100 80GB HBM3", 81559, 521, 18, 5, 16, Architecture.HOPPER,
                        new ComputeCapability(9, 0), "550.54.15", "12.4", HGX_BUS_IDS),
                new Expected("hgx-h200", 8, "NVIDIA H200", 143771, 581, 18, 5, 16, Architecture.HOPPER,
                        new ComputeCapability(9, 0), "570.124.06", "12.8", HGX_BUS_IDS),
                new Expected("hgx-b200", 8, "NVIDIA B200", 183359, 640, 18, 5, 16, Architecture.BLACKWELL,
                        new ComputeCapability(10, 0), "580.65.06", "13.0", HGX_BUS_IDS),
                new Expected("pcie-l40s", 4, "NVIDIA L40S", 46068, 487, 0, 4, 16, Architecture.ADA,
                        new ComputeCapability(8, 9), "550.54.15", "12.4",
                        List.of("00000000:17:00.0", "00000000:31:00.0", "00000000:B1:00.0", "00000000:CA:00.0")));
    }

    private static List<GpuSnapshot> snapshots(SimulatedServer server) {
        return Nvml.withSession(server.binding(), NvmlSession::snapshotAll);
    }

    @Test
    void presetIdsAndLookup() {
        assertThat(ServerPresets.ids()).containsExactly("hgx-h100", "hgx-h200", "hgx-b200", "pcie-l40s");
        assertThat(ServerPresets.get("hgx-b200")).isSameAs(ServerPresets.HGX_B200);
        assertThat(ServerPresets.find("dgx-a100")).isEmpty();
        assertThatThrownBy(() -> ServerPresets.get("dgx-a100")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dgx-a100").hasMessageContaining("hgx-h100, hgx-h200, hgx-b200, pcie-l40s");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("presets")
    void systemAndDeviceCount(Expected e) {
        SimulatedServer server = new SimulatedServer("node-001", ServerPresets.get(e.id()));
        NvmlBinding binding = server.binding();
        assertThat(binding.simulated()).isTrue();
        assertThat(binding.description()).contains(e.id()).contains("node-001");
        Set<String> all = new HashSet<>(NvmlSymbols.REQUIRED);
        all.addAll(NvmlSymbols.OPTIONAL);
        assertThat(binding.symbols()).isEqualTo(all);
        try (NvmlSession s = NvmlSession.open(binding)) {
            assertThat(s.deviceCount()).isEqualTo(e.gpus());
            NvmlSystemInfo info = s.systemInfo();
            assertThat(info.driverVersion()).isEqualTo(e.driver());
            assertThat(info.nvmlVersion()).endsWith("." + e.driver());
            assertThat(info.cudaDriverVersionString()).contains(e.cuda());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("presets")
    void everyGpuReadsAsThePresetSays(Expected e) {
        List<GpuSnapshot> snaps = snapshots(new SimulatedServer("node-001", ServerPresets.get(e.id())));
        assertThat(snaps).hasSize(e.gpus());
        assertThat(snaps).extracting(GpuSnapshot::index).containsExactlyElementsOf(
                Stream.iterate(0, i -> i + 1).limit(e.gpus()).toList());
        assertThat(snaps).extracting(sn -> sn.pci().map(PciInfo::busId).orElseThrow())
                .containsExactlyElementsOf(e.busIds());
        for (GpuSnapshot g : snaps) {
            assertThat(g.state()).isEqualTo(GpuState.OK);
            assertThat(g.errors()).isEmpty();
            assertThat(g.name()).contains(e.name());
            assertThat(g.architecture()).contains(e.arch());
            assertThat(g.computeCapability()).contains(e.cc());
            assertThat(g.minorNumber()).contains(g.index());
            MemoryInfo m = g.memory().orElseThrow();
            assertThat(m.totalBytes()).isEqualTo(e.memoryMib() * MIB);
            assertThat(m.reservedBytes()).contains(e.reservedMib() * MIB);
            assertThat(m.usedBytes()).isZero();
            assertThat(m.freeBytes()).isEqualTo((e.memoryMib() - e.reservedMib()) * MIB);
            assertThat(g.pcie().currentGeneration()).contains(e.pcieGen());
            assertThat(g.pcie().maxGeneration()).contains(e.pcieGen());
            assertThat(g.pcie().currentWidth()).contains(e.pcieWidth());
            assertThat(g.pcie().maxWidth()).contains(e.pcieWidth());
            assertThat(g.nvlinks()).hasSize(e.nvlinksPerGpu());
            assertThat(g.nvlinks()).allSatisfy(l -> {
                assertThat(l.active()).isTrue();
                assertThat(l.remotePciBusId()).hasValueSatisfying(b -> assertThat(HGX_NVSWITCHES).contains(b));
            });
            assertThat(g.ecc()).hasValueSatisfying(ecc -> {
                assertThat(ecc.enabled()).isTrue();
                assertThat(ecc.volatileUncorrected()).contains(0L);
            });
            assertThat(g.remappedRows()).hasValueSatisfying(r -> assertThat(r.pending()).isFalse());
            assertThat(g.temperatures().gpuCelsius()).hasValueSatisfying(t ->
                    assertThat(t).isLessThan(g.temperatures().slowdownCelsius().orElseThrow()));
            assertThat(g.computeProcesses()).contains(List.of());
            assertThat(g.power().totalEnergyMillijoules()).hasValueSatisfying(j -> assertThat(j).isPositive());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("presets")
    void nvlinksSpreadOverTheSwitchesOnHgxAndAreAbsentOnPcie(Expected e) {
        List<GpuSnapshot> snaps = snapshots(new SimulatedServer("node-001", ServerPresets.get(e.id())));
        if (e.nvlinksPerGpu() == 0) {
            assertThat(snaps).allSatisfy(g -> assertThat(g.nvlinks()).isEmpty());
            return;
        }
        List<NvLink> links = snaps.get(0).nvlinks();
        assertThat(links).extracting(NvLink::link).containsExactlyElementsOf(
                Stream.iterate(0, i -> i + 1).limit(18).toList());
        assertThat(links).extracting(l -> l.remotePciBusId().orElseThrow()).containsAll(HGX_NVSWITCHES);
    }

    private static List<String> uuids(SimulatedServer server) {
        return snapshots(server).stream().map(g -> g.uuid().orElseThrow()).toList();
    }

    private static List<String> serials(SimulatedServer server) {
        return snapshots(server).stream().map(g -> g.serial().orElseThrow()).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("presets")
    void identitiesAreUniqueAcrossGpusAndNodesAndStablePerNode(Expected e) {
        ServerPreset preset = ServerPresets.get(e.id());
        SimulatedServer a = new SimulatedServer("node-001", preset);
        SimulatedServer b = new SimulatedServer("node-002", preset);
        List<String> uuidsA = uuids(a);
        List<String> uuidsB = uuids(b);
        List<String> serialsA = serials(a);
        List<String> serialsB = serials(b);

        List<String> allUuids = new ArrayList<>(uuidsA);
        allUuids.addAll(uuidsB);
        assertThat(allUuids).doesNotHaveDuplicates().hasSize(2 * e.gpus())
                .allSatisfy(u -> assertThat(u).matches("GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"));
        List<String> allSerials = new ArrayList<>(serialsA);
        allSerials.addAll(serialsB);
        assertThat(allSerials).doesNotHaveDuplicates().hasSize(2 * e.gpus())
                .allSatisfy(sn -> assertThat(sn).matches("\\d{13}"));

        SimulatedServer again = new SimulatedServer("node-001", preset);
        assertThat(uuids(again)).isEqualTo(uuidsA);
        assertThat(serials(again)).isEqualTo(serialsA);
        // The test hooks agree with what NVML reports.
        assertThat(a.slots()).extracting(SimGpu::uuid).containsExactlyElementsOf(uuidsA);
        assertThat(a.slots()).extracting(SimGpu::serial).containsExactlyElementsOf(serialsA);
    }

    @Test
    void sameNodeNameOnDifferentPresetsGivesDifferentGpus() {
        assertThat(uuids(new SimulatedServer("node-001", ServerPresets.HGX_H100)))
                .doesNotContainAnyElementsOf(uuids(new SimulatedServer("node-001", ServerPresets.HGX_H200)));
    }

    @Test
    void closedSessionRefusesFurtherCalls() {
        NvmlSession s = NvmlSession.open(new SimulatedServer("node-001", ServerPresets.HGX_H100).binding());
        GpuDevice d = s.device(0);
        assertThat(d.name()).isPresent();
        s.close();
        s.close(); // idempotent
        assertThatThrownBy(s::deviceCount).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(s::systemInfo).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(s::snapshotAll).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> s.device(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(d::name).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("session is closed");
        assertThatThrownBy(d::memory).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(d::clocks).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(d::nvlinks).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(d::snapshot).isInstanceOf(IllegalStateException.class);
        assertThat(s.capabilities()).as("metadata stays readable").contains("nvmlDeviceGetName");
    }
}
