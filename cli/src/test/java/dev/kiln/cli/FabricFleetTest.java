package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.agent.fleet.FleetSimulator;
import dev.kiln.agent.fleet.RunningFleet;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kiln fabric} end to end over a simulated fleet: real agents, real worker processes, real TCP between
 * agents on loopback. Each injected link fault is located (node, GPU, pair, link, port) and nothing else is.
 */
class FabricFleetTest {

    private static FaultPlan.Rule on(String node, Fault f) {
        return new FaultPlan.Rule(Optional.of(node), Optional.empty(), f, 0);
    }

    @Test
    void everyInjectedLinkFaultIsLocatedAndHealthyNodesReportNothing(@TempDir Path dir) {
        List<FaultPlan.Rule> rules = List.of(
                on("node-002", new Fault.IbPortErrors("mlx5_3", 1, "symbol_error", 300)),
                on("node-003", new Fault.NvlinkDegraded(5, List.of(), 0.45)),
                on("node-005", new Fault.NvlinkErrors(2, 9, "crc_data", 12)),
                on("node-006", new Fault.SlowGpuPair(1, 6, 0.6)),
                on("node-007", new Fault.NicSlow(0.05)));
        try (RunningFleet fleet = FleetSimulator.start(FleetSimulator.options(8, ServerPresets.HGX_H100,
                new FaultPlan(rules), dir))) {
            // An absolute minimum: loopback TCP between JVMs on a busy 2-core CI machine swings by 10x, so half the
            // median (the default without one) would flag healthy pairs; the slow NIC is held to 0.05 Gbit/s.
            Kiln.Run run = Kiln.run("fabric", "--fleet", fleet.fleetFile().toString(), "--duration", "2s",
                    "--network-duration", "1s", "--min-network-gbps", "0.5", "-o", "json");
            assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
            JsonNode doc = run.json();
            List<String> located = new ArrayList<>();
            for (JsonNode f : doc.get("findings")) {
                String ends = String.join(" | ", toList(f.get("ends")));
                located.add(f.get("severity").asText() + " " + f.get("test").asText() + " "
                        + f.get("subject").asText() + " " + (f.get("node").isNull() ? "-" : f.get("node").asText())
                        + " " + ends);
            }
            assertThat(located).as(run.describe()).hasSize(5);
            assertThat(located).anySatisfy(l -> assertThat(l).startsWith("FAIL fabric.rdma port node-002 mlx5_3 port 1"));
            assertThat(located).anySatisfy(l -> assertThat(l).startsWith("FAIL fabric.p2p gpu node-003 GPU 5 (00000000:AB:00.0"));
            assertThat(located).anySatisfy(l -> assertThat(l).startsWith("FAIL fabric.nvlink nvlink node-005 GPU 2 (")
                    .contains("NVLink 9 | far end 00000000:06:00.0"));
            assertThat(located).anySatisfy(l -> assertThat(l).startsWith("FAIL fabric.p2p gpu-pair node-006 GPU 1 (")
                    .contains("| GPU 6 ("));
            assertThat(located).anySatisfy(l -> assertThat(l).startsWith("FAIL fabric.network node - node-007"));
            for (JsonNode n : doc.get("nodes")) {
                String name = n.get("node").asText();
                if (List.of("node-001", "node-004", "node-008").contains(name)) {
                    assertThat(n.get("state").asText()).as(name).isEqualTo("PASSED");
                }
            }
            assertThat(doc.get("plan").get("peers").get("node-007").size()).isGreaterThanOrEqualTo(2);
        }
    }

    private static List<String> toList(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(e -> out.add(e.asText()));
        return out;
    }
}
