package dev.kiln.nvml.sim;

import dev.kiln.nvml.ClockEventReason;
import dev.kiln.nvml.ComputeProcess;
import dev.kiln.nvml.EccInfo;
import dev.kiln.nvml.EventSubscription;
import dev.kiln.nvml.GpuDevice;
import dev.kiln.nvml.GpuSnapshot;
import dev.kiln.nvml.GpuState;
import dev.kiln.nvml.GpuUnavailableException;
import dev.kiln.nvml.MemoryInfo;
import dev.kiln.nvml.NvLink;
import dev.kiln.nvml.Nvml;
import dev.kiln.nvml.NvmlEvent;
import dev.kiln.nvml.NvmlEventType;
import dev.kiln.nvml.NvmlReturn;
import dev.kiln.nvml.NvmlSession;
import dev.kiln.nvml.NvmlSystemInfo;
import dev.kiln.nvml.PciInfo;
import dev.kiln.nvml.PcieLink;
import dev.kiln.nvml.ReadError;
import dev.kiln.nvml.RecoveryAction;
import dev.kiln.nvml.RemappedRows;
import dev.kiln.nvml.Utilization;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every {@link Fault} type, seen through the typed NVML API the way a check sees it. */
class SimulatedFaultsTest {

    private static final long GIB = 1L << 30;
    private static final ServerPreset H100 = ServerPresets.HGX_H100;

    private static SimulatedServer h100(Fault... faults) {
        return new SimulatedServer("node-001", H100, List.of(faults));
    }

    private static <T> T read(SimulatedServer server, Function<NvmlSession, T> work) {
        return Nvml.withSession(server.binding(), work);
    }

    private static List<GpuSnapshot> snapshots(SimulatedServer server) {
        return read(server, NvmlSession::snapshotAll);
    }

    @Test
    void everyFaultTypeHasANestedTestClassHere() {
        Set<String> tested = Arrays.stream(SimulatedFaultsTest.class.getDeclaredClasses())
                .filter(c -> c.isAnnotationPresent(Nested.class)).map(Class::getSimpleName)
                .collect(Collectors.toSet());
        Set<String> faults = Arrays.stream(Fault.class.getPermittedSubclasses()).map(Class::getSimpleName)
                .collect(Collectors.toSet());
        assertThat(tested).containsAll(faults);
    }

    @Nested
    class GpuMissing {
        @Test
        void countDropsAndTheSlotsBusIdIsGone() {
            SimulatedServer server = h100(new Fault.GpuMissing(3));
            List<GpuSnapshot> snaps = snapshots(server);
            assertThat(snaps).hasSize(7);
            List<String> busIds = snaps.stream().map(s -> s.pci().map(PciInfo::busId).orElseThrow()).toList();
            assertThat(busIds).doesNotContain("00000000:5D:00.0");
            assertThat(busIds).containsExactly("00000000:18:00.0", "00000000:2A:00.0", "00000000:3A:00.0",
                    "00000000:9A:00.0", "00000000:AB:00.0", "00000000:BA:00.0", "00000000:DB:00.0");
            // Later GPUs shift down one NVML index, as on real hardware.
            assertThat(snaps.get(3).index()).isEqualTo(3);
            assertThat(snaps.get(3).uuid()).contains(server.gpu(4).uuid());
            assertThat(snaps).extracting(s -> s.uuid().orElseThrow()).doesNotContain(server.gpu(3).uuid());
            assertThat(snaps).allSatisfy(s -> assertThat(s.state()).isEqualTo(GpuState.OK));
        }

        @Test
        void twoMissingGpus() {
            assertThat(read(h100(new Fault.GpuMissing(0), new Fault.GpuMissing(7)), NvmlSession::deviceCount))
                    .isEqualTo(6);
        }

        @Test
        void outOfRangeSlotIsRejected() {
            assertThatThrownBy(() -> h100(new Fault.GpuMissing(8))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("GPU 8").hasMessageContaining("0..7");
        }
    }

    @Nested
    class EccUncorrectable {
        @Test
        void volatileAndAggregateCountsRiseOnThatGpuOnly() {
            List<GpuSnapshot> snaps = snapshots(h100(new Fault.EccUncorrectable(2, 3),
                    new Fault.EccUncorrectable(2, 2)));
            EccInfo ecc = snaps.get(2).ecc().orElseThrow();
            assertThat(ecc.volatileUncorrected()).contains(5L);
            assertThat(ecc.aggregateUncorrected()).contains(5L);
            assertThat(ecc.volatileCorrected()).contains(0L);
            assertThat(ecc.aggregateCorrected()).contains(0L);
            assertThat(ecc.enabled()).isTrue();
            for (int i = 0; i < 8; i++) {
                if (i != 2) {
                    assertThat(snaps.get(i).ecc().orElseThrow().volatileUncorrected()).as("GPU %d", i).contains(0L);
                }
            }
        }
    }

    @Nested
    class RemapPending {
        @Test
        void pendingRemapIsReported() {
            List<GpuSnapshot> snaps = snapshots(h100(new Fault.RemapPending(1)));
            assertThat(snaps.get(1).remappedRows()).contains(new RemappedRows(0, 1, true, false));
            assertThat(snaps.get(0).remappedRows()).contains(new RemappedRows(0, 0, false, false));
        }
    }

    @Nested
    class RemapFailure {
        @Test
        void failedRemapIsReported() {
            List<GpuSnapshot> snaps = snapshots(h100(new Fault.RemapFailure(1)));
            assertThat(snaps.get(1).remappedRows()).contains(new RemappedRows(0, 0, false, true));
            assertThat(snaps.get(2).remappedRows().orElseThrow().failureOccurred()).isFalse();
        }
    }

    @Nested
    class PcieDowntrained {
        @Test
        void generationAndWidthTrainBelowMax() {
            List<GpuSnapshot> snaps = snapshots(h100(
                    new Fault.PcieDowntrained(5, Optional.of(3), Optional.of(8))));
            PcieLink link = snaps.get(5).pcie();
            assertThat(link.currentGeneration()).contains(3);
            assertThat(link.currentWidth()).contains(8);
            assertThat(link.maxGeneration()).contains(5);
            assertThat(link.maxWidth()).contains(16);
            assertThat(link.gpuMaxGeneration()).contains(5);
            assertThat(snaps.get(4).pcie().currentGeneration()).contains(5);
        }

        @Test
        void widthOnly() {
            PcieLink link = snapshots(h100(new Fault.PcieDowntrained(0, Optional.empty(), Optional.of(4))))
                    .get(0).pcie();
            assertThat(link.currentGeneration()).contains(5);
            assertThat(link.currentWidth()).contains(4);
        }
    }

    @Nested
    class NvlinkDown {
        @Test
        void namedLinksAreInactiveWithNoRemote() {
            List<NvLink> links = snapshots(h100(new Fault.NvlinkDown(4, List.of(3, 7)))).get(4).nvlinks();
            assertThat(links).hasSize(18);
            for (NvLink l : links) {
                if (l.link() == 3 || l.link() == 7) {
                    assertThat(l.active()).as("link %d", l.link()).isFalse();
                    assertThat(l.remotePciBusId()).as("link %d", l.link()).isEmpty();
                } else {
                    assertThat(l.active()).as("link %d", l.link()).isTrue();
                    assertThat(l.remotePciBusId()).as("link %d", l.link()).isPresent();
                }
            }
        }

        @Test
        void otherGpusKeepAllLinks() {
            List<GpuSnapshot> snaps = snapshots(h100(new Fault.NvlinkDown(4, List.of(3, 7))));
            assertThat(snaps.get(3).nvlinks()).hasSize(18).allSatisfy(l -> assertThat(l.active()).isTrue());
        }

        @Test
        void emptyListMeansEveryLink() {
            List<NvLink> links = snapshots(h100(new Fault.NvlinkDown(0, List.of()))).get(0).nvlinks();
            assertThat(links).hasSize(18).allSatisfy(l -> {
                assertThat(l.active()).isFalse();
                assertThat(l.remotePciBusId()).isEmpty();
            });
        }

        @Test
        void nonexistentLinkOrPresetWithoutNvlinkIsRejected() {
            assertThatThrownBy(() -> h100(new Fault.NvlinkDown(0, List.of(18))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("link 18");
            assertThatThrownBy(() -> new SimulatedServer("n", ServerPresets.PCIE_L40S,
                    List.of(new Fault.NvlinkDown(0, List.of()))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no NVLink");
        }
    }

    /**
     * Fabric faults: NVLink error counters show in NVML (rising after the first read); the others change what
     * {@link SimulatedFabric} measures (and the agent's simulated NICs and ports), never what NVML answers.
     */
    @Nested
    class Fabric {
        @Test
        void nvlinkErrorCountersRiseAfterTheFirstReadOnTheFaultyLinkOnly() {
            SimulatedServer s = h100(new Fault.NvlinkErrors(2, 5, "crc_data", 40));
            read(s, session -> {
                var first = session.device(2).nvlinkErrorCounters(5);
                var second = session.device(2).nvlinkErrorCounters(5);
                assertThat(second.get(dev.kiln.nvml.GpuTopology.NvLinkCounter.CRC_DATA)
                        - first.get(dev.kiln.nvml.GpuTopology.NvLinkCounter.CRC_DATA)).isEqualTo(40);
                assertThat(second.get(dev.kiln.nvml.GpuTopology.NvLinkCounter.REPLAY))
                        .isEqualTo(first.get(dev.kiln.nvml.GpuTopology.NvLinkCounter.REPLAY));
                var other = session.device(2).nvlinkErrorCounters(4);
                assertThat(session.device(2).nvlinkErrorCounters(4)).isEqualTo(other);
                assertThat(session.device(2).nvlinkVersion(5)).contains(4);
                return null;
            });
            assertThatThrownBy(() -> new SimulatedServer("n", ServerPresets.PCIE_L40S,
                    List.of(new Fault.NvlinkErrors(0, 0, "replay", 1)))).hasMessageContaining("no NVLink");
        }

        @Test
        void topologyAndP2pFollowThePreset() {
            read(h100(), session -> {
                var a = session.device(0);
                assertThat(a.commonAncestor(session.device(3))).contains(dev.kiln.nvml.GpuTopology.Level.NODE);
                assertThat(a.commonAncestor(session.device(4))).contains(dev.kiln.nvml.GpuTopology.Level.SYSTEM);
                assertThat(a.p2pStatus(session.device(7), dev.kiln.nvml.GpuTopology.P2pCapability.NVLINK))
                        .contains(dev.kiln.nvml.GpuTopology.P2pStatus.OK);
                return null;
            });
            read(new SimulatedServer("n", ServerPresets.PCIE_L40S), session -> {
                var a = session.device(0);
                assertThat(a.p2pStatus(session.device(1), dev.kiln.nvml.GpuTopology.P2pCapability.NVLINK))
                        .contains(dev.kiln.nvml.GpuTopology.P2pStatus.NOT_SUPPORTED);
                assertThat(a.p2pStatus(session.device(1), dev.kiln.nvml.GpuTopology.P2pCapability.READ))
                        .contains(dev.kiln.nvml.GpuTopology.P2pStatus.OK);
                assertThat(a.p2pStatus(session.device(2), dev.kiln.nvml.GpuTopology.P2pCapability.READ))
                        .contains(dev.kiln.nvml.GpuTopology.P2pStatus.CHIPSET_NOT_SUPPORTED);
                return null;
            });
        }

        @Test
        void linkFaultsChangeOnlyTheMeasuredFigures() {
            SimulatedFabric healthy = new SimulatedFabric(h100());
            SimulatedFabric degraded = new SimulatedFabric(h100(new Fault.NvlinkDegraded(3, List.of(), 0.5),
                    new Fault.SlowGpuPair(1, 6, 0.6)));
            double base = healthy.pair(0, 1).orElseThrow().abGBps();
            assertThat(base).isBetween(360.0, 385.0);
            assertThat(degraded.pair(3, 0).orElseThrow().abGBps()).isBetween(base * 0.45, base * 0.55);
            assertThat(degraded.pair(1, 6).orElseThrow().baGBps()).isBetween(base * 0.55, base * 0.65);
            assertThat(degraded.pair(0, 1).orElseThrow().abGBps()).isEqualTo(base);
            SimulatedFabric l40s = new SimulatedFabric(new SimulatedServer("n", ServerPresets.PCIE_L40S,
                    List.of(new Fault.PcieDowntrained(1, java.util.Optional.empty(), java.util.Optional.of(8)))));
            assertThat(l40s.pair(0, 2)).isEmpty();
            assertThat(l40s.host(0)[0]).isBetween(26.0, 28.0);
            assertThat(l40s.host(1)[0]).isBetween(13.0, 14.0);
            // NIC and port faults leave NVML alone.
            assertThat(snapshots(h100(new Fault.NicSlow(1), new Fault.NicLossy(2), new Fault.IbPortErrors("mlx5_0", 1,
                    "symbol_error", 5)))).hasSize(8).allSatisfy(g -> assertThat(g.state()).isEqualTo(GpuState.OK));
        }
    }

    @Nested
    class NvlinkDegraded {
        @Test
        void linksStayActiveAndARealLinkListIsRequired() {
            assertThat(snapshots(h100(new Fault.NvlinkDegraded(3, List.of(), 0.5))).get(3).nvlinks())
                    .allSatisfy(l -> assertThat(l.active()).isTrue());
            assertThatThrownBy(() -> h100(new Fault.NvlinkDegraded(3, List.of(18), 0.5))).hasMessageContaining("link 18");
        }
    }

    @Nested
    class SlowGpuPair {
        @Test
        void bothSlotsAreChecked() {
            assertThatThrownBy(() -> h100(new Fault.SlowGpuPair(1, 9, 0.5))).hasMessageContaining("GPUs 0..7");
        }
    }

    @Nested
    class NvlinkErrors {
        @Test
        void unknownCounterIsRejected() {
            assertThatThrownBy(() -> new Fault.NvlinkErrors(0, 0, "crc", 1)).hasMessageContaining("unknown NVLink error counter");
        }
    }

    @Nested
    class NicSlow {
        @Test
        void isNotAGpuFault() {
            assertThat(h100(new Fault.NicSlow(5)).visibleGpus()).hasSize(8);
        }
    }

    @Nested
    class NicLossy {
        @Test
        void isNotAGpuFault() {
            assertThat(h100(new Fault.NicLossy(5)).visibleGpus()).hasSize(8);
        }
    }

    @Nested
    class IbPortErrors {
        @Test
        void isNotAGpuFault() {
            assertThat(h100(new Fault.IbPortErrors("mlx5_1", 1, "symbol_error", 3)).visibleGpus()).hasSize(8);
        }
    }

    /** Burn-in faults act on the simulated burn-in backend (agent module), never on what NVML answers. */
    @Nested
    class Burnin {
        @Test
        void nvmlAnswersAsForAHealthyServerAndTheGpuSlotIsChecked() {
            List<Fault> burnin = List.of(new Fault.BurninWrongResults(1),
                    new Fault.BurninMemoryErrors(2, List.of(0x1000L)), new Fault.BurninThermal(3, Duration.ZERO),
                    new Fault.BurninXid(4, 79, Duration.ZERO), new Fault.WorkerCrash(Duration.ZERO),
                    new Fault.WorkerHang(Duration.ZERO));
            List<GpuSnapshot> faulty = snapshots(new SimulatedServer("node-1", ServerPresets.HGX_H100, burnin));
            List<GpuSnapshot> healthy = snapshots(new SimulatedServer("node-1", ServerPresets.HGX_H100));
            assertThat(faulty).hasSize(8);
            for (int i = 0; i < 8; i++) {
                assertThat(faulty.get(i).state()).isEqualTo(GpuState.OK);
                assertThat(faulty.get(i).clocks().eventReasons()).isEqualTo(healthy.get(i).clocks().eventReasons());
                assertThat(faulty.get(i).uuid()).isEqualTo(healthy.get(i).uuid());
            }
            assertThat(Fault.Burnin.class.getPermittedSubclasses()).hasSize(burnin.size());
            assertThatThrownBy(() -> new SimulatedServer("n", ServerPresets.HGX_H100,
                    List.of(new Fault.BurninXid(8, 79, Duration.ZERO)))).hasMessageContaining("GPUs 0..7");
        }
    }

    @Nested
    class ThermalSlowdown {
        @Test
        void thermalReasonsDecodeAndClocksDrop() {
            List<GpuSnapshot> snaps = snapshots(h100(new Fault.ThermalSlowdown(6)));
            GpuSnapshot hot = snaps.get(6);
            assertThat(hot.clocks().eventReasons()).containsExactly(ClockEventReason.SW_THERMAL_SLOWDOWN,
                    ClockEventReason.HW_THERMAL_SLOWDOWN);
            assertThat(hot.clocks().eventReasonsMask()).contains(0x60L);
            assertThat(hot.temperatures().gpuCelsius().orElseThrow())
                    .isGreaterThanOrEqualTo(hot.temperatures().slowdownCelsius().orElseThrow());
            assertThat(hot.clocks().smMhz().orElseThrow()).isLessThan(hot.clocks().smMaxMhz().orElseThrow());
            assertThat(snaps.get(5).clocks().eventReasons()).containsExactly(ClockEventReason.GPU_IDLE);
            assertThat(snaps.get(5).temperatures().gpuCelsius().orElseThrow())
                    .isLessThan(snaps.get(5).temperatures().slowdownCelsius().orElseThrow());
        }
    }

    @Nested
    class GpuLost {
        @Test
        void lostAfterSomeReadsKeepsEarlierFieldsAndMarksTheSnapshotLost() {
            SimulatedServer server = h100(new Fault.GpuLost(2, 5, Duration.ZERO));
            List<GpuSnapshot> first = snapshots(server);
            GpuSnapshot lost = first.get(2);
            assertThat(lost.state()).isEqualTo(GpuState.LOST);
            assertThat(lost.name()).contains(H100.gpu().name());
            assertThat(lost.uuid()).contains(server.gpu(2).uuid());
            assertThat(lost.serial()).contains(server.gpu(2).serial());
            assertThat(lost.memory()).isEmpty();
            assertThat(lost.ecc()).isEmpty();
            assertThat(lost.nvlinks()).isEmpty();
            assertThat(lost.pcie()).isEqualTo(PcieLink.NONE);
            assertThat(lost.errors()).singleElement().satisfies(e -> {
                assertThat(e.result()).isEqualTo(NvmlReturn.ERROR_GPU_IS_LOST);
                assertThat(e.rawCode()).isEqualTo(15);
            });
            assertThat(first).filteredOn(s -> s.index() != 2)
                    .allSatisfy(s -> assertThat(s.state()).isEqualTo(GpuState.OK));
            assertThat(server.gpu(2).isLost()).isTrue();

            // Next pass: even the handle cannot be had; the GPU still counts and is still LOST.
            List<GpuSnapshot> second = snapshots(server);
            assertThat(second).hasSize(8);
            assertThat(second.get(2).state()).isEqualTo(GpuState.LOST);
            assertThat(second.get(2).name()).isEmpty();
            assertThat(second.get(2).errors()).extracting(ReadError::field).containsExactly("handle");
        }

        @Test
        void lostFromTheStart() {
            SimulatedServer server = h100(new Fault.GpuLost(0, 0, Duration.ZERO));
            read(server, s -> {
                assertThatThrownBy(() -> s.device(0)).isInstanceOfSatisfying(GpuUnavailableException.class,
                        e -> assertThat(e.state()).isEqualTo(GpuState.LOST));
                assertThat(s.deviceCount()).isEqualTo(8);
                GpuSnapshot snap = s.snapshotAll().get(0);
                assertThat(snap.state()).isEqualTo(GpuState.LOST);
                assertThat(snap.errors()).singleElement().satisfies(e -> {
                    assertThat(e.field()).isEqualTo("handle");
                    assertThat(e.function()).isEqualTo("nvmlDeviceGetHandleByIndex_v2");
                });
                return null;
            });
        }

        @Test
        void lostAfterTimePasses() throws InterruptedException {
            SimulatedServer server = h100(new Fault.GpuLost(1, 0, Duration.ofMillis(1)));
            Thread.sleep(20);
            read(server, s -> {
                assertThatThrownBy(() -> s.device(1)).isInstanceOf(GpuUnavailableException.class);
                assertThat(s.device(0).name()).isPresent();
                return null;
            });
        }

        @Test
        void testHookLosesAGpuMidSession() {
            SimulatedServer server = h100();
            read(server, s -> {
                GpuDevice d = s.device(3);
                assertThat(d.name()).isPresent();
                server.gpu(3).loseNow();
                assertThatThrownBy(d::name).isInstanceOf(GpuUnavailableException.class);
                assertThat(d.snapshot().state()).isEqualTo(GpuState.LOST);
                return null;
            });
        }
    }

    @Nested
    class MissingSymbol {
        @Test
        void olderDriverLacksOptionalSymbolsAndReportsItsVersion() {
            SimulatedServer server = h100(new Fault.MissingSymbol(List.of("nvmlDeviceGetTemperatureV",
                    "nvmlDeviceGetRemappedRows", "nvmlDeviceGetCurrentClocksEventReasons"),
                    Optional.of("470.82.01")));
            read(server, s -> {
                assertThat(s.capabilities()).doesNotContain("nvmlDeviceGetTemperatureV",
                        "nvmlDeviceGetRemappedRows", "nvmlDeviceGetCurrentClocksEventReasons");
                assertThat(s.capabilities()).contains("nvmlDeviceGetTemperature",
                        "nvmlDeviceGetCurrentClocksThrottleReasons");
                NvmlSystemInfo info = s.systemInfo();
                assertThat(info.driverVersion()).isEqualTo("470.82.01");
                assertThat(info.nvmlVersion()).isEqualTo("12.470.82.01");
                GpuSnapshot snap = s.device(0).snapshot();
                assertThat(snap.state()).isEqualTo(GpuState.OK);
                assertThat(snap.errors()).as("a missing symbol is absence, not an error").isEmpty();
                assertThat(snap.remappedRows()).isEmpty();
                // Fallbacks to the older calls still read.
                assertThat(snap.temperatures().gpuCelsius()).isPresent();
                assertThat(snap.clocks().eventReasons()).containsExactly(ClockEventReason.GPU_IDLE);
                return null;
            });
        }

        @Test
        void withoutBothTemperatureCallsTheReadingIsEmpty() {
            SimulatedServer server = h100(new Fault.MissingSymbol(
                    List.of("nvmlDeviceGetTemperatureV", "nvmlDeviceGetTemperature"), Optional.empty()));
            GpuSnapshot snap = snapshots(server).get(0);
            assertThat(snap.temperatures().gpuCelsius()).isEmpty();
            assertThat(snap.temperatures().slowdownCelsius()).isPresent();
            assertThat(snap.errors()).isEmpty();
            assertThat(read(server, NvmlSession::systemInfo).driverVersion()).isEqualTo(H100.driverVersion());
        }

        @Test
        void requiredOrUnknownSymbolsCannotBeRemoved() {
            assertThatThrownBy(() -> h100(new Fault.MissingSymbol(List.of("nvmlDeviceGetUUID"), Optional.empty())))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nvmlDeviceGetUUID")
                    .hasMessageContaining("required");
            assertThatThrownBy(() -> h100(new Fault.MissingSymbol(List.of("nvmlDeviceGetFoo"), Optional.empty())))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nvmlDeviceGetFoo");
        }
    }

    @Nested
    class WrongVbios {
        @Test
        void oneGpuDiffersFromItsSiblings() {
            List<GpuSnapshot> snaps = snapshots(h100(new Fault.WrongVbios(6, "96.00.99.00.01")));
            assertThat(snaps.get(6).vbiosVersion()).contains("96.00.99.00.01");
            assertThat(snaps).filteredOn(s -> s.index() != 6)
                    .allSatisfy(s -> assertThat(s.vbiosVersion()).contains(H100.gpu().vbiosVersion()));
        }
    }

    @Nested
    class ProcessRunning {
        @Test
        void processHoldsMemoryAndTheGpuIsBusy() {
            List<GpuSnapshot> snaps = snapshots(h100(new Fault.ProcessRunning(0, 4242, 2 * GIB)));
            GpuSnapshot busy = snaps.get(0);
            assertThat(busy.computeProcesses()).contains(List.of(new ComputeProcess(4242, Optional.of(2 * GIB))));
            MemoryInfo m = busy.memory().orElseThrow();
            assertThat(m.usedBytes()).isEqualTo(2 * GIB);
            assertThat(m.freeBytes()).isEqualTo(m.totalBytes() - m.reservedBytes().orElseThrow() - 2 * GIB);
            assertThat(busy.utilization()).contains(new Utilization(97, 41));
            assertThat(busy.clocks().eventReasons()).doesNotContain(ClockEventReason.GPU_IDLE);
            assertThat(snaps.get(1).computeProcesses()).contains(List.of());
            assertThat(snaps.get(1).utilization()).contains(new Utilization(0, 0));
        }

        @Test
        void moreProcessesThanTheFirstBufferHolds() {
            List<Fault> faults = new ArrayList<>();
            for (int i = 0; i < 11; i++) {
                faults.add(new Fault.ProcessRunning(7, 5000 + i, (i + 1) * GIB));
            }
            List<ComputeProcess> procs = snapshots(new SimulatedServer("node-001", H100, faults)).get(7)
                    .computeProcesses().orElseThrow();
            assertThat(procs).extracting(ComputeProcess::pid)
                    .containsExactly(5000L, 5001L, 5002L, 5003L, 5004L, 5005L, 5006L, 5007L, 5008L, 5009L, 5010L);
            assertThat(procs.get(10).usedMemoryBytes()).contains(11 * GIB);
        }
    }

    /** The events a health subscription receives right now, without waiting. */
    private static List<NvmlEvent> pendingEvents(NvmlSession s) {
        List<NvmlEvent> out = new ArrayList<>();
        try (EventSubscription sub = s.subscribeEvents(NvmlEventType.HEALTH)) {
            for (Optional<NvmlEvent> e = sub.poll(0); e.isPresent(); e = sub.poll(0)) {
                out.add(e.get());
            }
        }
        return out;
    }

    @Nested
    class Xid {
        @Test
        void raisesAnXidEventOnThatGpuAndChangesNothingElse() {
            SimulatedServer server = h100(new Fault.Xid(2, 31, Duration.ZERO));
            read(server, s -> {
                assertThat(pendingEvents(s)).singleElement().satisfies(e -> {
                    assertThat(e.gpuIndex()).isEqualTo(2);
                    assertThat(e.uuid()).contains(server.gpu(2).uuid());
                    assertThat(e.pciBusId()).contains(server.gpu(2).busId());
                    assertThat(e.type()).contains(NvmlEventType.XID_CRITICAL_ERROR);
                    assertThat(e.xid()).contains(31L);
                });
                GpuSnapshot snap = s.device(2).snapshot();
                assertThat(snap.state()).isEqualTo(GpuState.OK);
                assertThat(snap.errors()).isEmpty();
                assertThat(snap.ecc().orElseThrow().volatileUncorrected()).contains(0L);
                return null;
            });
        }

        @Test
        void xid48AddsAnUncorrectableEccError() {
            SimulatedServer server = h100(new Fault.Xid(1, 48, Duration.ZERO));
            List<GpuSnapshot> snaps = snapshots(server);
            assertThat(snaps.get(1).ecc().orElseThrow().volatileUncorrected()).contains(1L);
            assertThat(snaps.get(1).ecc().orElseThrow().aggregateUncorrected()).contains(1L);
            assertThat(snaps.get(0).ecc().orElseThrow().volatileUncorrected()).contains(0L);
            assertThat(read(server, SimulatedFaultsTest::pendingEvents)).extracting(NvmlEvent::eventData)
                    .containsExactly(48L);
        }

        @Test
        void xid63SetsAPendingRemapAnd64ARemapFailure() {
            List<GpuSnapshot> snaps = snapshots(h100(new Fault.Xid(3, 63, Duration.ZERO),
                    new Fault.Xid(4, 64, Duration.ZERO)));
            assertThat(snaps.get(3).remappedRows()).contains(new RemappedRows(0, 1, true, false));
            assertThat(snaps.get(4).remappedRows()).contains(new RemappedRows(0, 0, false, true));
        }

        @Test
        void xid79LaterIsSeenByTheWatcherAndLosesTheGpu() {
            SimulatedServer server = h100(new Fault.Xid(5, 79, Duration.ofMillis(1500)));
            read(server, s -> {
                try (EventSubscription sub = s.subscribeEvents(NvmlEventType.HEALTH)) {
                    assertThat(s.device(5).snapshot().state()).as("before the Xid").isEqualTo(GpuState.OK);
                    long start = System.nanoTime();
                    NvmlEvent e = sub.poll(10_000).orElseThrow();
                    long waitedMs = (System.nanoTime() - start) / 1_000_000;
                    assertThat(waitedMs).as("the wait wakes when the Xid falls due").isLessThan(5_000);
                    assertThat(e.gpuIndex()).isEqualTo(5);
                    assertThat(e.uuid()).contains(server.gpu(5).uuid());
                    assertThat(e.xid()).contains(79L);
                }
                assertThat(s.snapshotAll().get(5).state()).isEqualTo(GpuState.LOST);
                return null;
            });
        }

        @Test
        void xid79AtStartIsALostGpuThatNoWatcherCanRegister() {
            SimulatedServer server = h100(new Fault.Xid(6, 79, Duration.ZERO));
            read(server, s -> {
                try (EventSubscription sub = s.subscribeEvents(NvmlEventType.HEALTH)) {
                    assertThat(sub.active()).isTrue();
                    EventSubscription.Registration r = sub.registrations().get(6);
                    assertThat(r.types()).isEmpty();
                    assertThat(r.problem()).hasValueSatisfying(p -> assertThat(p).contains("GPU unavailable"));
                    assertThat(sub.poll(0)).isEmpty();
                }
                assertThat(s.snapshotAll().get(6).state()).isEqualTo(GpuState.LOST);
                return null;
            });
        }
    }

    @Nested
    class DriverRecoveryAction {
        @Test
        void fieldAndEventCarryTheAction() {
            SimulatedServer server = h100(new Fault.DriverRecoveryAction(3, RecoveryAction.DRAIN_AND_RESET));
            List<GpuSnapshot> snaps = snapshots(server);
            assertThat(snaps.get(3).recoveryAction()).contains(RecoveryAction.DRAIN_AND_RESET);
            assertThat(snaps).filteredOn(s -> s.index() != 3)
                    .allSatisfy(s -> assertThat(s.recoveryAction()).contains(RecoveryAction.NONE));
            assertThat(read(server, SimulatedFaultsTest::pendingEvents)).singleElement().satisfies(e -> {
                assertThat(e.gpuIndex()).isEqualTo(3);
                assertThat(e.type()).contains(NvmlEventType.GPU_RECOVERY_ACTION);
                assertThat(e.recoveryAction()).contains(RecoveryAction.DRAIN_AND_RESET);
            });
        }
    }
}
