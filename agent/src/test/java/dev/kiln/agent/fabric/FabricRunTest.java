package dev.kiln.agent.fabric;

import dev.kiln.agent.burnin.BurninBackend;
import dev.kiln.agent.burnin.WorkerJob;
import dev.kiln.agent.burnin.WorkerLine;
import dev.kiln.nvml.NvmlSession;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.ServerPreset;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.nvml.sim.SimulatedServer;
import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.spec.BuiltinSpecs;
import dev.kiln.protocol.spec.NodeSpec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Intra-node fabric tests on simulated servers: each injected link fault is located; healthy servers have no findings. */
class FabricRunTest {

    private record Run(String verdict, List<WorkerLine> lines) {
        FabricResult result(String test) {
            return lines.stream().filter(l -> WorkerLine.FABRIC.equals(l.type())).map(WorkerLine::fabric)
                    .filter(r -> r.test().equals(test)).findFirst().orElseThrow();
        }

        List<FabricFinding> findings() {
            return lines.stream().filter(l -> WorkerLine.FABRIC.equals(l.type()))
                    .flatMap(l -> l.fabric().findings().stream()).toList();
        }
    }

    private static Run run(ServerPreset preset, Fault... faults) throws Exception {
        SimulatedServer server = new SimulatedServer("node-007", preset, List.of(faults));
        NodeSpec spec = BuiltinSpecs.find(preset.id()).orElseThrow();
        try (NvmlSession session = NvmlSession.open(server.binding())) {
            List<BurninBackend.GpuRef> gpus = new ArrayList<>();
            for (int i = 0; i < session.deviceCount(); i++) {
                var d = session.device(i);
                gpus.add(new BurninBackend.GpuRef(i, d.uuid().orElseThrow(), d.serial().orElse(null),
                        d.pciInfo().orElseThrow().busId(), d.name().orElseThrow()));
            }
            List<String> tests = List.of(FabricTestIds.NVLINK, FabricTestIds.P2P);
            WorkerJob job = new WorkerJob(1, "fabric-test", "node-007",
                    new BurninRequest(BurninRequest.FABRIC, tests, List.of(), 1, false, null, null),
                    WorkerJob.SIMULATED, preset.id(), null, gpus, tests, 400, 0, 250, 50, 5_000, spec.name(), null,
                    new WorkerJob.FabricOptions(spec.fabric(), spec.gpu().nvlinks(), null, List.of(), null));
            LinkReader reader = new LinkReader(session);
            Map<String, FabricTest> t = new LinkedHashMap<>();
            t.put(FabricTestIds.NVLINK, new NvlinkTest(() -> reader));
            t.put(FabricTestIds.P2P, new P2pTest(() -> reader, new SimulatedPeerMeasurer(server), null));
            List<WorkerLine> lines = java.util.Collections.synchronizedList(new ArrayList<>());
            String verdict = new FabricRun(job, t, lines::add).run();
            return new Run(verdict, List.copyOf(lines));
        }
    }

    @Test
    void healthyPresetsHaveNoFindings() throws Exception {
        for (ServerPreset p : List.of(ServerPresets.HGX_H100, ServerPresets.HGX_H200, ServerPresets.HGX_B200,
                ServerPresets.PCIE_L40S)) {
            Run r = run(p);
            assertThat(r.findings()).as(p.id()).isEmpty();
            assertThat(r.verdict()).as(p.id()).isEqualTo("PASS");
            FabricResult p2p = r.result(FabricTestIds.P2P);
            int n = p.gpuCount();
            assertThat(p2p.pairs()).hasSize(n * (n - 1) / 2);
            assertThat(p2p.host()).hasSize(n);
            assertThat(r.lines()).anyMatch(l -> WorkerLine.DONE.equals(l.type()) && "PASS".equals(l.verdict()));
        }
    }

    @Test
    void hgxPairsRunOverNvlinkNearTheirNominalRate() throws Exception {
        FabricResult p2p = run(ServerPresets.HGX_H100).result(FabricTestIds.P2P);
        assertThat(p2p.pairs()).allSatisfy(p -> {
            assertThat(p.path()).isEqualTo("NVLINK");
            assertThat(p.abGBps()).isBetween(350.0, 390.0);
            assertThat(p.expectedGBps()).isEqualTo(335.0);
            assertThat(p.minimumSource()).isEqualTo("spec hgx-h100");
        });
        FabricResult nv = run(ServerPresets.HGX_H100).result(FabricTestIds.NVLINK);
        assertThat(nv.links()).hasSize(8 * 18).allSatisfy(l -> {
            assertThat(l.active()).isTrue();
            assertThat(l.version()).isEqualTo(4);
            assertThat(l.remotePciBusId()).startsWith("00000000:0");
        });
    }

    @Test
    void pcieOnlyServerMeasuresSameSocketPairsAndSkipsCrossSocketOnes() throws Exception {
        FabricResult p2p = run(ServerPresets.PCIE_L40S).result(FabricTestIds.P2P);
        var byPair = new LinkedHashMap<String, dev.kiln.protocol.fabric.PairBandwidth>();
        p2p.pairs().forEach(p -> byPair.put(p.gpuA() + "-" + p.gpuB(), p));
        assertThat(byPair.get("0-1").path()).isEqualTo("NODE");
        assertThat(byPair.get("0-1").abGBps()).isBetween(18.0, 30.0);
        assertThat(byPair.get("0-2").path()).isEqualTo("SYSTEM");
        assertThat(byPair.get("0-2").abGBps()).isNull();
        assertThat(byPair.get("0-2").p2p()).isEqualTo("chipset_not_supported");
        assertThat(run(ServerPresets.PCIE_L40S).result(FabricTestIds.NVLINK).links()).isEmpty();
    }

    @Test
    void aGpuWithDegradedLinksIsBlamedOnceNotEachPair() throws Exception {
        Run r = run(ServerPresets.HGX_H100, new Fault.NvlinkDegraded(3, List.of(), 0.5));
        assertThat(r.verdict()).isEqualTo("FAIL");
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.test()).isEqualTo(FabricTestIds.P2P);
            assertThat(f.subject()).isEqualTo("gpu");
            assertThat(f.ends().get(0)).startsWith("GPU 3 (00000000:5D:00.0");
            assertThat(f.observed()).contains("7 of 7 pairs slow");
            assertThat(f.expected()).contains(">= 335 GB/s one way (spec hgx-h100)");
            assertThat(f.culprit()).contains("GPU 3 is slow with every peer");
            assertThat(f.performance()).as("a measured figure: a bring-up repeats before failing").isTrue();
        });
    }

    @Test
    void aSlowPairIsBlamedAsAPairNamingBothGpus() throws Exception {
        Run r = run(ServerPresets.HGX_H200, new Fault.SlowGpuPair(1, 6, 0.6));
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.subject()).isEqualTo("gpu-pair");
            assertThat(f.ends()).hasSize(2);
            assertThat(f.ends().get(0)).startsWith("GPU 1 (00000000:2A:00.0");
            assertThat(f.ends().get(1)).startsWith("GPU 6 (00000000:BA:00.0");
            assertThat(f.observed()).contains("GPU 1->6").contains("GPU 6->1");
            assertThat(f.culprit()).contains("only this pair is slow");
            assertThat(f.performance()).isTrue();
        });
    }

    @Test
    void nvlinkErrorsDuringTheTestAreLocatedToTheLinkAndItsFarEnd() throws Exception {
        Run r = run(ServerPresets.HGX_H100, new Fault.NvlinkErrors(2, 5, "crc_data", 40));
        FabricResult nv = r.result(FabricTestIds.NVLINK);
        assertThat(nv.verdict()).isEqualTo("FAIL");
        assertThat(nv.findings()).singleElement().satisfies(f -> {
            assertThat(f.subject()).isEqualTo("nvlink");
            assertThat(f.ends().get(0)).startsWith("GPU 2 (00000000:3A:00.0").endsWith("NVLink 5");
            assertThat(f.ends().get(1)).isEqualTo("far end 00000000:06:00.0");
            assertThat(f.observed()).isEqualTo("crc_data errors rose by 40 during the test");
            assertThat(f.performance()).as("counters do not un-rise on a repeat").isFalse();
        });
        // Lifetime replay totals the simulator answers are not deltas: nothing else is reported.
        assertThat(nv.links().stream().filter(l -> !l.errorDeltas().values().stream().allMatch(v -> v == 0)))
                .singleElement().satisfies(l -> assertThat(l.link()).isEqualTo(5));
        // A few replays only warn.
        Run few = run(ServerPresets.HGX_H100, new Fault.NvlinkErrors(0, 1, "replay", 3));
        assertThat(few.verdict()).isEqualTo("PASS");
        assertThat(few.findings()).singleElement().satisfies(f -> assertThat(f.severity()).isEqualTo("WARN"));
    }

    @Test
    void aDownLinkIsNamedAndTheGpuStillMeetsItsPairMinimum() throws Exception {
        Run r = run(ServerPresets.HGX_B200, new Fault.NvlinkDown(4, List.of(7)));
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.test()).isEqualTo(FabricTestIds.NVLINK);
            assertThat(f.ends().get(0)).startsWith("GPU 4 (").endsWith("NVLink 7");
            assertThat(f.observed()).isEqualTo("link down (17 of 18 links active)");
        });
        // Every link of a GPU down: no NVLink path to any peer, which p2p blames on the GPU.
        Run all = run(ServerPresets.HGX_H100, new Fault.NvlinkDown(5, List.of()));
        assertThat(all.findings()).filteredOn(f -> f.test().equals(FabricTestIds.NVLINK)).hasSize(18);
        assertThat(all.findings()).filteredOn(f -> f.test().equals(FabricTestIds.P2P)).singleElement()
                .satisfies(f -> {
                    assertThat(f.ends().get(0)).startsWith("GPU 5 (");
                    assertThat(f.performance()).as("no NVLink path is topology, not a dip").isFalse();
                });
    }

    @Test
    void aDowntrainedPcieLinkIsAHostLinkFindingOnThatGpu() throws Exception {
        Run r = run(ServerPresets.PCIE_L40S, new Fault.PcieDowntrained(1, Optional.empty(), Optional.of(8)));
        List<FabricFinding> host = r.findings().stream().filter(f -> f.subject().equals("host-link")).toList();
        assertThat(host).singleElement().satisfies(f -> {
            assertThat(f.ends().get(0)).startsWith("GPU 1 (00000000:31:00.0");
            assertThat(f.expected()).contains("GB/s each way (spec pcie-l40s)");
            assertThat(f.performance()).isTrue();
        });
    }
}
