package dev.kiln.agent.core;

import dev.kiln.agent.Schemas;
import dev.kiln.nvml.GpuState;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPreset;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.nvml.sim.SimulatedServer;
import dev.kiln.protocol.ErrorEntry;
import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.NodeInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The agent core on simulated servers: what a technician would see for each preset and fault. */
class NodeAgentSimulatedTest {

    private static NodeAgent agent(String preset, Fault... faults) {
        return NodeAgent.simulated("node-001", ServerPresets.get(preset), FaultPlan.of(faults), 1, true);
    }

    @ParameterizedTest
    @ValueSource(strings = {"hgx-h100", "hgx-h200", "hgx-b200", "pcie-l40s"})
    void everyPresetGivesAValidInventory(String id) {
        ServerPreset preset = ServerPresets.get(id);
        try (NodeAgent agent = agent(id)) {
            InventoryDocument doc = agent.inventory(true);

            assertThat(Schemas.errors(Schemas.INVENTORY, doc)).isEmpty();
            assertThat(doc.errors()).isEmpty();
            assertThat(doc.node().mode()).isEqualTo(NodeInfo.MODE_SIMULATED);
            assertThat(doc.node().simulatorPreset()).isEqualTo(id);
            assertThat(doc.node().name()).isEqualTo("node-001");
            assertThat(doc.nvml().available()).isTrue();
            assertThat(doc.nvml().driverVersion()).isEqualTo(preset.driverVersion());
            assertThat(doc.nvml().missingSymbols()).isEmpty();
            assertThat(doc.gpus()).hasSize(preset.gpuCount());
            assertThat(doc.gpus()).extracting(GpuInventory::index)
                    .containsExactlyElementsOf(java.util.stream.IntStream.range(0, preset.gpuCount()).boxed().toList());
            assertThat(doc.gpus()).allSatisfy(g -> {
                assertThat(g.state()).isEqualTo(GpuInventory.STATE_OK);
                assertThat(g.recommendedAction()).isNull();
                assertThat(g.name()).isEqualTo(preset.gpu().name());
                assertThat(g.nvlinks()).hasSize(preset.nvlinksPerGpu());
                assertThat(g.nvlinks()).allMatch(GpuInventory.NvLink::active);
            });
            assertThat(doc.gpus()).extracting(g -> g.pci().busId()).containsExactlyElementsOf(preset.gpuBusIds());
            assertThat(doc.gpus()).extracting(GpuInventory::uuid).doesNotHaveDuplicates().doesNotContainNull();
            assertThat(doc.infiniband()).hasSize(preset.host().ibPorts());
            assertThat(doc.host().model()).isEqualTo(preset.host().model());
            assertThat(agent.nodeInfo().gpuCount()).isEqualTo(preset.gpuCount());
            assertThat(Schemas.errors(Schemas.NODE, agent.nodeInfo())).isEmpty();
        }
    }

    @Test
    void pcieServerHasNoNvlinks() {
        try (NodeAgent agent = agent("pcie-l40s")) {
            assertThat(agent.inventory(true).gpus()).hasSize(4).allSatisfy(g -> assertThat(g.nvlinks()).isEmpty());
        }
    }

    @Test
    void sameNodeNameGivesSameGpusAndOtherNamesOthers() {
        try (NodeAgent a = agent("hgx-h100"); NodeAgent b = agent("hgx-h100");
             NodeAgent c = NodeAgent.simulated("node-002", ServerPresets.HGX_H100, FaultPlan.NONE, 2, true)) {
            List<String> uuidsA = a.inventory(true).gpus().stream().map(GpuInventory::uuid).toList();
            assertThat(b.inventory(true).gpus()).extracting(GpuInventory::uuid).isEqualTo(uuidsA);
            assertThat(c.inventory(true).gpus()).extracting(GpuInventory::uuid).doesNotContainAnyElementsOf(uuidsA);
            assertThat(c.inventory(true).host().hostname()).isEqualTo("node-002");
        }
    }

    @Test
    void pcieDowntrainedShowsOnThatGpuOnly() {
        try (NodeAgent agent = agent("hgx-h100", new Fault.PcieDowntrained(2, Optional.of(4), Optional.of(8)))) {
            InventoryDocument doc = agent.inventory(true);
            assertThat(doc.gpus().get(2).pcie()).isEqualTo(new GpuInventory.Pcie(4, 8, 5, 16, 5, 0));
            assertThat(doc.gpus()).filteredOn(g -> g.index() != 2)
                    .allSatisfy(g -> assertThat(g.pcie().currentGeneration()).isEqualTo(5));
            assertThat(Schemas.errors(Schemas.INVENTORY, doc)).isEmpty();
        }
    }

    @Test
    void missingGpuLeavesSeven() {
        try (NodeAgent agent = agent("hgx-h100", new Fault.GpuMissing(3))) {
            SimulatedServer server = agent.simulatedServer();
            InventoryDocument doc = agent.inventory(true);
            assertThat(doc.gpus()).hasSize(7);
            assertThat(doc.gpus()).extracting(GpuInventory::uuid).doesNotContain(server.gpu(3).uuid());
            assertThat(doc.gpus()).extracting(g -> g.pci().busId()).doesNotContain("00000000:5D:00.0");
            assertThat(agent.nodeInfo().gpuCount()).isEqualTo(7);
        }
    }

    @Test
    void healthFaultsAreVisibleInTheInventory() {
        try (NodeAgent agent = agent("hgx-h100", new Fault.EccUncorrectable(0, 3), new Fault.RemapPending(1),
                new Fault.NvlinkDown(4, List.of(3, 7)), new Fault.ThermalSlowdown(5),
                new Fault.WrongVbios(6, "96.00.61.00.01"), new Fault.ProcessRunning(7, 4242, 1L << 30))) {
            InventoryDocument doc = agent.inventory(true);
            List<GpuInventory> g = doc.gpus();
            assertThat(g.get(0).ecc().volatileUncorrected()).isEqualTo(3L);
            assertThat(g.get(1).remappedRows().pending()).isTrue();
            assertThat(g.get(4).nvlinks()).filteredOn(l -> !l.active()).extracting(GpuInventory.NvLink::link)
                    .containsExactly(3, 7);
            assertThat(g.get(5).clockEventReasons()).contains("sw_thermal_slowdown", "hw_thermal_slowdown");
            assertThat(g.get(6).vbiosVersion()).isEqualTo("96.00.61.00.01");
            assertThat(g.get(7).processes()).containsExactly(new GpuInventory.Process(4242, 1L << 30));
            assertThat(Schemas.errors(Schemas.INVENTORY, doc)).isEmpty();
        }
    }

    @Test
    void olderDriverReportsMissingSymbols() {
        try (NodeAgent agent = agent("hgx-h100", new Fault.MissingSymbol(List.of("nvmlDeviceGetRemappedRows"),
                Optional.of("470.82.01")))) {
            InventoryDocument doc = agent.inventory(true);
            assertThat(doc.nvml().driverVersion()).isEqualTo("470.82.01");
            assertThat(doc.nvml().missingSymbols()).containsExactly("nvmlDeviceGetRemappedRows");
            assertThat(doc.gpus()).allSatisfy(g -> assertThat(g.remappedRows()).as("absent, not failed").isNull());
            assertThat(doc.errors()).isEmpty();
        }
    }

    @Test
    void gpuLostMidSessionKeepsItsLastKnownIdentity() {
        try (NodeAgent agent = agent("hgx-h100")) {
            GpuInventory before = agent.inventory(true).gpus().get(5);
            assertThat(before.state()).isEqualTo(GpuInventory.STATE_OK);

            agent.simulatedServer().gpu(5).loseNow();
            InventoryDocument doc = agent.inventory(true);

            assertThat(doc.gpus()).hasSize(8);
            GpuInventory lost = doc.gpus().get(5);
            assertThat(lost.state()).isEqualTo(GpuInventory.STATE_LOST);
            assertThat(lost.recommendedAction()).isEqualTo(GpuState.LOST.recommendedAction());
            assertThat(lost.uuid()).isEqualTo(before.uuid()).isEqualTo(agent.simulatedServer().gpu(5).uuid());
            assertThat(lost.serial()).isEqualTo(before.serial());
            assertThat(lost.name()).isEqualTo(before.name());
            assertThat(lost.pci()).isEqualTo(before.pci());
            assertThat(lost.temperatureCelsius()).as("telemetry is not carried over").isNull();
            assertThat(lost.memoryTotalBytes()).isNull();
            assertThat(doc.errors()).extracting(ErrorEntry::component, ErrorEntry::gpuIndex, ErrorEntry::code)
                    .contains(org.assertj.core.groups.Tuple.tuple("gpu", 5, "ERROR_GPU_IS_LOST"));
            assertThat(doc.gpus()).filteredOn(g -> g.index() != 5)
                    .allSatisfy(g -> assertThat(g.state()).isEqualTo(GpuInventory.STATE_OK));
            assertThat(Schemas.errors(Schemas.INVENTORY, doc)).isEmpty();
            assertThat(agent.nodeInfo().gpuCount()).as("a lost GPU still counts").isEqualTo(8);

            // Still lost, still named, on the next walk too.
            GpuInventory again = agent.inventory(true).gpus().get(5);
            assertThat(again.state()).isEqualTo(GpuInventory.STATE_LOST);
            assertThat(again.uuid()).isEqualTo(before.uuid());
        }
    }

    @Test
    void gpuLostBeforeFirstReadIsLostWithoutIdentity() {
        try (NodeAgent agent = agent("hgx-h100", new Fault.GpuLost(0, 0, Duration.ZERO))) {
            InventoryDocument doc = agent.inventory(true);
            GpuInventory g = doc.gpus().get(0);
            assertThat(g.state()).isEqualTo(GpuInventory.STATE_LOST);
            assertThat(g.recommendedAction()).isNotBlank();
            assertThat(g.uuid()).as("never seen healthy: no identity to report").isNull();
            assertThat(doc.errors()).anySatisfy(e -> {
                assertThat(e.gpuIndex()).isEqualTo(0);
                assertThat(e.code()).isEqualTo("ERROR_GPU_IS_LOST");
            });
            assertThat(Schemas.errors(Schemas.INVENTORY, doc)).isEmpty();
        }
    }

    @Test
    void readingsAreReusedUntilFreshIsAsked() {
        ServerPreset preset = ServerPresets.HGX_H100;
        SimulatedServer server = new SimulatedServer("node-001", preset);
        Duration hour = Duration.ofHours(1);
        try (NodeAgent agent = new NodeAgent("node-001", NodeInfo.MODE_SIMULATED, preset.id(),
                new SimulatedHostProbe("node-001", preset), GpuProbe.of(server.binding()),
                new SimulatedInfinibandProbe("node-001", preset), new NodeAgent.Lifetimes(hour, hour, hour),
                Clock.systemUTC(), "boot-1", server)) {
            agent.inventory(false);
            long reads = server.gpu(0).readCount();
            server.gpu(0).loseNow();

            assertThat(agent.inventory(false).gpus().get(0).state()).as("cached").isEqualTo(GpuInventory.STATE_OK);
            assertThat(server.gpu(0).readCount()).as("no NVML call for a cached reading").isEqualTo(reads);

            assertThat(agent.inventory(true).gpus().get(0).state()).isEqualTo(GpuInventory.STATE_LOST);
            assertThat(agent.inventory(false).gpus().get(0).state()).isEqualTo(GpuInventory.STATE_LOST);
        }
    }

    @Test
    void nodeInfoCountsUptimeFromTheAgentsClock() {
        MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
        ServerPreset preset = ServerPresets.PCIE_L40S;
        SimulatedServer server = new SimulatedServer("n", preset);
        try (NodeAgent agent = new NodeAgent("n", NodeInfo.MODE_SIMULATED, preset.id(),
                new SimulatedHostProbe("n", preset), GpuProbe.of(server.binding()),
                new SimulatedInfinibandProbe("n", preset), NodeAgent.Lifetimes.DEFAULT, clock, "b", server)) {
            clock.now = clock.now.plusSeconds(90);
            NodeInfo info = agent.nodeInfo();
            assertThat(info.startedAt()).isEqualTo(Instant.parse("2025-01-01T00:00:00Z"));
            assertThat(info.uptimeSeconds()).isEqualTo(90);
            assertThat(info.gpuCount()).isEqualTo(4);
            assertThat(agent.inventory(false).collectedAt()).isEqualTo(clock.now);
        }
    }

    static final class MutableClock extends Clock {
        Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
