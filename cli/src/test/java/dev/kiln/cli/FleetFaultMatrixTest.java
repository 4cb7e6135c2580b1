package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.agent.fleet.FleetSimulator;
import dev.kiln.agent.fleet.RunningFleet;
import dev.kiln.nvml.RecoveryAction;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPreset;
import dev.kiln.nvml.sim.ServerPresets;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fault matrix over a whole simulated fleet, end to end through {@code kiln check}: one node per
 * fault type, two healthy nodes; every fault is reported by the right check on the right GPU of the
 * right node, and the healthy nodes report nothing.
 */
class FleetFaultMatrixTest {
    private static final int SLOT = 2;

    /** A fault, the checks that must (and alone may) report it, and whether it is about GPU {@link #SLOT}. */
    record Expect(Fault fault, Set<String> checks, boolean onSlot) {
    }

    static Map<String, Expect> faults(ServerPreset p) {
        Map<String, Expect> m = new LinkedHashMap<>();
        m.put("gpu-missing", new Expect(new Fault.GpuMissing(SLOT), Set.of("gpu.count"), false));
        m.put("ecc-uncorrectable", new Expect(new Fault.EccUncorrectable(SLOT, 1), Set.of("gpu.ecc.uncorrectable"), true));
        m.put("remap-pending", new Expect(new Fault.RemapPending(SLOT), Set.of("gpu.remap.pending"), true));
        m.put("remap-failure", new Expect(new Fault.RemapFailure(SLOT), Set.of("gpu.remap.failure"), true));
        m.put("pcie-downtrained", new Expect(new Fault.PcieDowntrained(SLOT, Optional.of(p.gpu().pcieGeneration() - 1),
                Optional.of(8)), Set.of("gpu.pcie.link"), true));
        m.put("thermal-slowdown", new Expect(new Fault.ThermalSlowdown(SLOT), Set.of("gpu.thermal", "gpu.clocks.events"), true));
        m.put("gpu-lost", new Expect(new Fault.GpuLost(SLOT, 0, Duration.ZERO), Set.of("gpu.lost"), false));
        m.put("missing-symbol", new Expect(new Fault.MissingSymbol(List.of("nvmlDeviceGetRemappedRows"),
                Optional.of("470.57.02")), Set.of("driver.version"), false));
        m.put("wrong-vbios", new Expect(new Fault.WrongVbios(SLOT, "96.00.5E.00.02"), Set.of("gpu.vbios"), true));
        m.put("process-running", new Expect(new Fault.ProcessRunning(SLOT, 4242, 1L << 30), Set.of("gpu.processes"), true));
        m.put("xid", new Expect(new Fault.Xid(SLOT, 74, Duration.ZERO), Set.of("gpu.xid.recent"), true));
        m.put("recovery-action", new Expect(new Fault.DriverRecoveryAction(SLOT, RecoveryAction.DRAIN_AND_RESET),
                Set.of("gpu.recovery.action", "gpu.xid.recent"), true));
        if (p.nvlinksPerGpu() > 0) {
            m.put("nvlink-down", new Expect(new Fault.NvlinkDown(SLOT, List.of(5)), Set.of("gpu.nvlink.links"), true));
        }
        return m;
    }

    static List<String> presets() {
        return ServerPresets.ids();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("presets")
    void everyFaultOnItsOwnNodeIsReportedAndNothingElse(String presetId, @TempDir Path dir) {
        ServerPreset preset = ServerPresets.get(presetId);
        Map<String, Expect> faults = faults(preset);
        List<FaultPlan.Rule> rules = new ArrayList<>();
        Map<String, String> nodeOfFault = new LinkedHashMap<>();
        int position = 1;
        for (Map.Entry<String, Expect> e : faults.entrySet()) {
            String node = FleetSimulator.nodeName(position++);
            nodeOfFault.put(node, e.getKey());
            rules.add(new FaultPlan.Rule(Optional.of(node), Optional.empty(), e.getValue().fault(), 0));
        }
        int nodes = faults.size() + 2;
        String slotBusId = preset.gpuBusIds().get(SLOT);
        try (RunningFleet fleet = FleetSimulator.start(FleetSimulator.options(nodes, preset, new FaultPlan(rules), dir))) {
            Kiln.Run run = Kiln.run("check", "--fleet", fleet.fleetFile().toString(), "--spec", presetId, "-o", "json");
            assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
            JsonNode results = run.json();
            assertThat(results).hasSize(nodes);
            for (JsonNode r : results) {
                String node = r.get("node").asText();
                List<JsonNode> findings = new ArrayList<>();
                for (JsonNode x : r.get("report").get("results")) {
                    String status = x.get("status").asText();
                    if (!status.equals("PASS") && !status.equals("SKIP")) {
                        findings.add(x);
                    }
                }
                String fault = nodeOfFault.get(node);
                if (fault == null) {
                    assertThat(findings).as("healthy %s must report nothing", node).isEmpty();
                    assertThat(r.get("verdict").asText()).isEqualTo("PASS");
                    continue;
                }
                Expect expect = faults.get(fault);
                Set<String> reported = new HashSet<>();
                for (JsonNode x : findings) {
                    String id = x.get("id").asText();
                    reported.add(id);
                    assertThat(expect.checks()).as("%s (%s) reported by %s: %s", node, fault, id, x).contains(id);
                    assertThat(x.get("message").asText()).isNotBlank();
                    if (expect.onSlot()) {
                        assertThat(x.get("gpu").get("pciBusId").asText()).as("%s %s", node, id).isEqualTo(slotBusId);
                        assertThat(x.get("gpu").get("serial").asText()).isNotBlank();
                    }
                }
                assertThat(reported).as("%s (%s)", node, fault).containsAll(expect.checks());
                if (fault.equals("gpu-missing")) {
                    assertThat(findings).singleElement().satisfies(x -> assertThat(x.get("subject").asText()).isEqualTo(slotBusId));
                }
                if (fault.equals("gpu-lost")) {
                    assertThat(findings).singleElement().satisfies(x -> assertThat(x.get("gpu").get("index").asInt()).isEqualTo(SLOT));
                }
            }
        }
    }
}
