package dev.kiln.agent.fleet;

import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.NodeInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/** The fleet simulator as the CLI sees it: a fleet file, a token file, and N agents on loopback. */
class FleetSimulatorTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;
    static RunningFleet fleet;

    @BeforeAll
    static void start() {
        FaultPlan faults = new FaultPlan(List.of(
                new FaultPlan.Rule(Optional.of("node-002"), Optional.empty(), new Fault.GpuMissing(0), 0),
                new FaultPlan.Rule(Optional.empty(), Optional.of(4),
                        new Fault.PcieDowntrained(1, Optional.of(3), Optional.of(4)), 0)));
        fleet = FleetSimulator.start(FleetSimulator.options(5, ServerPresets.HGX_H100, faults, dir));
    }

    @AfterAll
    static void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    private static HttpResponse<String> get(FleetSimulator.SimNode node, String path) throws Exception {
        return send(node, fleet.token(), path);
    }

    private static FleetSimulator.SimNode node(String name) {
        return fleet.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }

    private static InventoryDocument inventory(String name) throws Exception {
        HttpResponse<String> r = get(node(name), "/v1/inventory");
        assertThat(r.statusCode()).isEqualTo(200);
        return KilnJson.mapper().readValue(r.body(), InventoryDocument.class);
    }

    @Test
    void nodesAreNamedAndRackedInOrder() {
        assertThat(fleet.nodes()).extracting(FleetSimulator.SimNode::name)
                .containsExactly("node-001", "node-002", "node-003", "node-004", "node-005");
        assertThat(fleet.nodes()).extracting(FleetSimulator.SimNode::rack)
                .containsExactly("rack-01", "rack-01", "rack-01", "rack-01", "rack-02");
        assertThat(fleet.nodes()).extracting(FleetSimulator.SimNode::position).containsExactly(1, 2, 3, 4, 5);
        assertThat(fleet.nodes()).allSatisfy(n -> {
            assertThat(n.host()).isEqualTo("127.0.0.1");
            assertThat(n.port()).isPositive();
        });
        assertThat(fleet.nodes()).extracting(FleetSimulator.SimNode::port).doesNotHaveDuplicates();
    }

    @Test
    @SuppressWarnings("unchecked")
    void fleetFileListsRacksNodesAndTheTokenFile() throws Exception {
        Path file = dir.resolve("fleet.yaml");
        assertThat(fleet.fleetFile()).isEqualTo(file);
        Map<String, Object> yaml = new Yaml().load(Files.readString(file));

        Map<String, Object> defaults = (Map<String, Object>) yaml.get("defaults");
        assertThat(defaults.get("tokenFile")).isEqualTo(dir.resolve("kiln-token").toAbsolutePath().toString());
        List<Map<String, Object>> racks = (List<Map<String, Object>>) yaml.get("racks");
        assertThat(racks).extracting(r -> r.get("name")).containsExactly("rack-01", "rack-02");
        List<Map<String, Object>> rack1 = (List<Map<String, Object>>) racks.get(0).get("nodes");
        List<Map<String, Object>> rack2 = (List<Map<String, Object>>) racks.get(1).get("nodes");
        assertThat(rack1).extracting(n -> n.get("name")).containsExactly("node-001", "node-002", "node-003", "node-004");
        assertThat(rack2).extracting(n -> n.get("name")).containsExactly("node-005");
        assertThat(rack1.get(0).get("address")).isEqualTo(fleet.nodes().get(0).address());
        assertThat(dir.resolve("fleet.yaml.tmp")).doesNotExist();
    }

    @Test
    void tokenFileIsPrivateAndHoldsTheFleetToken() throws Exception {
        Path token = dir.resolve("kiln-token");
        assertThat(fleet.tokenFile()).isEqualTo(token);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(token))).isEqualTo("rw-------");
        assertThat(Files.readString(token).trim()).isEqualTo(fleet.token()).hasSizeGreaterThanOrEqualTo(32);
    }

    @Test
    void everyNodeAnswersAsItselfWithItsOwnGpus() throws Exception {
        Set<String> uuids = new HashSet<>();
        int gpus = 0;
        for (FleetSimulator.SimNode n : fleet.nodes()) {
            HttpResponse<String> r = get(n, "/v1/node");
            assertThat(r.statusCode()).isEqualTo(200);
            NodeInfo info = KilnJson.mapper().readValue(r.body(), NodeInfo.class);
            assertThat(info.name()).isEqualTo(n.name());
            assertThat(info.hostname()).isEqualTo(n.name());
            assertThat(info.simulatorPreset()).isEqualTo("hgx-h100");
            InventoryDocument doc = inventory(n.name());
            doc.gpus().forEach(g -> uuids.add(g.uuid()));
            gpus += doc.gpus().size();
        }
        assertThat(gpus).isEqualTo(8 + 7 + 8 + 8 + 8);
        assertThat(uuids).as("no GPU UUID is shared between nodes").hasSize(gpus);
    }

    @Test
    void unauthenticatedRequestsAreRefused() throws Exception {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(
                URI.create("http://" + fleet.nodes().get(0).address() + "/v1/node")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
    }

    @Test
    void faultTargetedByNameHitsOnlyThatNode() throws Exception {
        assertThat(inventory("node-002").gpus()).hasSize(7);
        for (String other : List.of("node-001", "node-003", "node-004")) {
            assertThat(inventory(other).gpus()).as(other).hasSize(8);
        }
    }

    @Test
    void faultTargetedByPositionHitsOnlyThatNode() throws Exception {
        GpuInventory.Pcie pcie = inventory("node-004").gpus().get(1).pcie();
        assertThat(pcie.currentGeneration()).isEqualTo(3);
        assertThat(pcie.currentWidth()).isEqualTo(4);
        for (String other : List.of("node-001", "node-003", "node-005")) {
            assertThat(inventory(other).gpus().get(1).pcie().currentGeneration()).as(other).isEqualTo(5);
        }
    }

    /** Tests that change a fleet get their own, so the shared one stays as started. */
    @Test
    void stoppedNodeRefusesConnectionsAndOthersKeepAnswering(@TempDir Path own) throws Exception {
        try (RunningFleet small = FleetSimulator.start(FleetSimulator.options(2, ServerPresets.PCIE_L40S, null, own))) {
            FleetSimulator.SimNode victim = small.nodes().get(1);
            String token = small.token();
            assertThat(send(victim, token, "/v1/node").statusCode()).isEqualTo(200);

            small.stopNode("node-002");

            try {
                send(victim, token, "/v1/node");
                fail("node-002 still answers after stopNode");
            } catch (ConnectException expected) {
                // Connection refused, as a powered-off node.
            }
            assertThat(send(small.nodes().get(0), token, "/v1/node").statusCode()).isEqualTo(200);
            assertThatThrownBy(() -> small.stopNode("node-002")).isInstanceOf(IllegalArgumentException.class);

            small.agent("node-001").simulatedServer().gpu(3).loseNow();
            InventoryDocument doc = KilnJson.mapper().readValue(
                    send(small.nodes().get(0), token, "/v1/inventory?fresh=true").body(), InventoryDocument.class);
            assertThat(doc.gpus().get(3).state()).isEqualTo(GpuInventory.STATE_LOST);
            assertThatThrownBy(() -> small.agent("node-999")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("node-999");
        }
    }

    private static HttpResponse<String> send(FleetSimulator.SimNode node, String token, String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://" + node.address() + path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void optionsAreValidated() {
        assertThatThrownBy(() -> new FleetSimulator.Options(0, ServerPresets.HGX_H100, null, 4, 0, false, null, null))
                .hasMessageContaining("--nodes");
        assertThatThrownBy(() -> new FleetSimulator.Options(1, ServerPresets.HGX_H100, null, 0, 0, false, null, null))
                .hasMessageContaining("--nodes-per-rack");
        assertThatThrownBy(() -> new FleetSimulator.Options(1, ServerPresets.HGX_H100, null, 4, 70000, false, null, null))
                .hasMessageContaining("--base-port");
        assertThat(new FleetSimulator.Options(1, ServerPresets.HGX_H100, null, 4, 0, false, null, null).faults())
                .isEqualTo(FaultPlan.NONE);
    }

    @Test
    void spreadAddressesStayOnLoopbackAndAreUnique() {
        assertThat(RunningFleet.spreadAddress(1)).isEqualTo("127.1.0.1");
        assertThat(RunningFleet.spreadAddress(254)).isEqualTo("127.1.0.254");
        assertThat(RunningFleet.spreadAddress(255)).isEqualTo("127.1.1.1");
        assertThat(RunningFleet.spreadAddress(65_024)).isEqualTo("127.1.255.254");
        Set<String> seen = new HashSet<>();
        for (int p = 1; p <= 65_024; p++) {
            String a = RunningFleet.spreadAddress(p);
            assertThat(seen.add(a)).as("duplicate %s at %d", a, p).isTrue();
            String last = a.substring(a.lastIndexOf('.') + 1);
            assertThat(Integer.parseInt(last)).as(a).isBetween(1, 254);
        }
    }

    @Test
    @EnabledOnOs(value = OS.LINUX, disabledReason = "only Linux routes all of 127/8 to the loopback interface")
    void spreadFleetServesEachNodeOnItsOwnAddress(@TempDir Path spreadDir) throws Exception {
        int port = ThreadLocalRandom.current().nextInt(20_000, 40_000);
        try (RunningFleet spread = FleetSimulator.start(new FleetSimulator.Options(3, ServerPresets.PCIE_L40S,
                FaultPlan.NONE, 4, port, true, spreadDir.resolve("fleet.yaml"), spreadDir.resolve("token")))) {
            assertThat(spread.nodes()).extracting(FleetSimulator.SimNode::address)
                    .containsExactly("127.1.0.1:" + port, "127.1.0.2:" + port, "127.1.0.3:" + port);
            for (FleetSimulator.SimNode n : spread.nodes()) {
                HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://" + n.address() + "/v1/node"))
                        .header("Authorization", "Bearer " + spread.token()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(KilnJson.mapper().readValue(r.body(), NodeInfo.class).name()).isEqualTo(n.name());
            }
        }
    }
}
