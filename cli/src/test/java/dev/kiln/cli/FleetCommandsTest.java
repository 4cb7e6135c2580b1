package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.kiln.agent.fleet.FleetSimulator;
import dev.kiln.agent.fleet.RunningFleet;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code kiln status} and {@code kiln inventory} against real simulated agents, over HTTP, in-process. */
class FleetCommandsTest {
    private static final int NODES = 16;

    @TempDir
    static Path dir;

    static RunningFleet fleet;
    static String fleetFile;

    @BeforeAll
    static void startFleet() {
        fleet = FleetSimulator.start(FleetSimulator.options(NODES, ServerPresets.get("hgx-h100"), FaultPlan.NONE,
                dir.resolve("healthy")));
        fleetFile = fleet.fleetFile().toString();
    }

    @AfterAll
    static void stopFleet() {
        if (fleet != null) {
            fleet.close();
        }
    }

    private static List<String> names(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(FleetSimulator::nodeName).toList();
    }

    @Test
    void statusPrintsOneRowPerNodeInFleetOrderAndASummary() {
        Kiln.Run run = Kiln.run("status", "--fleet", fleetFile);

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.OK);
        List<String> lines = run.out().lines().toList();
        assertThat(lines.get(0)).matches("NODE +RACK +ADDRESS +REACHABLE +KILN +MODE +GPUS +NOTE");
        List<String> rows = lines.subList(1, NODES + 1);
        assertThat(rows).extracting(l -> l.split(" +")[0]).containsExactlyElementsOf(names(1, NODES));
        assertThat(rows.get(0)).matches("node-001 +rack-01 +127\\.0\\.0\\.1:\\d+ +yes +\\S+ +simulated +8");
        assertThat(rows.get(4)).startsWith("node-005  rack-02");
        assertThat(run.out()).endsWith("16 nodes, 16 reachable, 0 unreachable, 128 GPUs\n");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void statusJsonAndJsonl() {
        Kiln.Run json = Kiln.run("status", "--fleet", fleetFile, "-o", "json");
        assertThat(json.exitCode()).as(json.describe()).isZero();
        JsonNode array = json.json();
        assertThat(array.isArray()).isTrue();
        assertThat(array).hasSize(NODES);
        JsonNode first = array.get(0);
        assertThat(first.get("node").asText()).isEqualTo("node-001");
        assertThat(first.get("rack").asText()).isEqualTo("rack-01");
        assertThat(first.get("reachable").asBoolean()).isTrue();
        assertThat(first.get("httpStatus").asInt()).isEqualTo(200);
        assertThat(first.get("error").isNull()).isTrue();
        assertThat(first.get("nodeInfo").get("gpuCount").asInt()).isEqualTo(8);
        assertThat(first.get("nodeInfo").get("mode").asText()).isEqualTo("simulated");
        assertThat(json.err()).contains("16 nodes, 16 reachable, 0 unreachable, 128 GPUs"); // summary off stdout

        Kiln.Run jsonl = Kiln.run("status", "--fleet", fleetFile, "-o", "jsonl", "--rack", "rack-02");
        assertThat(jsonl.exitCode()).isZero();
        assertThat(jsonl.jsonLines()).extracting(n -> n.get("node").asText()).containsExactlyElementsOf(names(5, 8));
    }

    @Test
    void verboseDiagnosticsGoToStderrWhereverTheFlagIs() {
        for (String[] args : List.of(new String[]{"-v", "status", "--fleet", fleetFile, "-o", "json"},
                new String[]{"status", "--fleet", fleetFile, "-o", "json", "--verbose"})) {
            Kiln.Run run = Kiln.run(args);
            assertThat(run.exitCode()).as(run.describe()).isZero();
            assertThat(run.json()).hasSize(NODES); // stdout is still pure JSON
            assertThat(run.err()).contains("kiln: GET /v1/node on 16 nodes (timeout 5000 ms, at most 256 in flight)")
                    .containsPattern("kiln: 16 nodes answered in \\d+ ms");
        }
        Kiln.Run timeout = Kiln.run("status", "--fleet", fleetFile, "-v", "--timeout", "2s", "--max-in-flight", "3");
        assertThat(timeout.err()).contains("(timeout 2000 ms, at most 3 in flight)");
    }

    @Test
    void inventoryJsonHoldsADocumentPerNodeThatMatchesTheSchema() throws IOException {
        Kiln.Run run = Kiln.run("inventory", "--fleet", fleetFile, "-o", "json");

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.OK);
        JsonNode array = run.json();
        assertThat(array).hasSize(NODES);
        JsonSchema schema = inventorySchema();
        for (int i = 0; i < NODES; i++) {
            JsonNode result = array.get(i);
            assertThat(result.get("node").asText()).isEqualTo(FleetSimulator.nodeName(i + 1));
            assertThat(result.get("address").asText()).isEqualTo(fleet.nodes().get(i).address());
            assertThat(result.get("reachable").asBoolean()).isTrue();
            JsonNode doc = result.get("inventory");
            Set<ValidationMessage> errors = schema.validate(doc);
            assertThat(errors).as("schema errors of %s", result.get("node")).isEmpty();
            assertThat(doc.get("node").get("name").asText()).isEqualTo(result.get("node").asText());
            assertThat(doc.get("gpus")).hasSize(8);
        }
    }

    @Test
    void inventoryTableHasOneRowPerGpu() {
        Kiln.Run run = Kiln.run("inventory", "--fleet", fleetFile, "--node", "node-002");

        assertThat(run.exitCode()).as(run.describe()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines.get(0)).matches("NODE +GPU +NAME +SERIAL +BUS ID +VBIOS +MEMORY +PCIE NOW/MAX +NVLINK UP +STATE");
        assertThat(lines.subList(1, 9)).allMatch(l -> l.startsWith("node-002  "));
        assertThat(lines.get(1)).matches("node-002 +0 +NVIDIA H100 80GB HBM3 +\\d{13} +00000000:18:00\\.0 +96\\.00\\.74\\.00\\.1C "
                + "+81559 MiB +Gen5 x16/Gen5 x16 +18/18 +ok");
        assertThat(run.out()).endsWith("1 node, 1 reachable, 0 unreachable, 8 GPUs\n");
    }

    @Test
    void rackAndNodeFiltersAreRepeatableCommaListsAndUnion() {
        Kiln.Run run = Kiln.run("status", "--fleet", fleetFile, "-o", "jsonl", "--node", "node-016,node-002",
                "--rack", "rack-01", "--node", "node-009");
        assertThat(run.exitCode()).as(run.describe()).isZero();
        // fleet-file order, no duplicates
        assertThat(run.jsonLines()).extracting(n -> n.get("node").asText())
                .containsExactly("node-001", "node-002", "node-003", "node-004", "node-009", "node-016");
    }

    @Test
    void unknownNodeOrRackIsAUsageError() {
        Kiln.Run run = Kiln.run("status", "--fleet", fleetFile, "--node", "node-001,node-999");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("kiln status: unknown node 'node-999': not in " + fleetFile)
                .contains("16 nodes: node-001, node-002, node-003, ..., node-016")
                .contains("See 'kiln status --help'.");

        Kiln.Run rack = Kiln.run("inventory", "--fleet", fleetFile, "--rack", "rack-42");
        assertThat(rack.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(rack.err()).contains("unknown rack 'rack-42'").contains("rack-01, rack-02, rack-03, rack-04");
    }

    @Test
    void wrongTokenIsRecordedPerNode() throws IOException {
        Path d = dir.resolve("wrong-token");
        Files.createDirectories(d);
        Files.writeString(d.resolve("wrong-token"), "this-is-not-the-fleet-token\n");
        String yaml = Files.readString(fleet.fleetFile())
                .replace("tokenFile: " + fleet.tokenFile().toAbsolutePath(), "tokenFile: wrong-token")
                // node-002 keeps the right token through a per-node override
                .replaceFirst("(address: [^\\n]+\\n)(      - name: node-003)",
                        "$1        tokenFile: " + fleet.tokenFile().toAbsolutePath() + "\n$2");
        Path f = d.resolve("fleet.yaml");
        Files.writeString(f, yaml);

        Kiln.Run run = Kiln.run("status", "--fleet", f.toString(), "--rack", "rack-01", "-o", "json");

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.UNREACHABLE);
        JsonNode array = run.json();
        assertThat(array).hasSize(4);
        for (JsonNode r : array) {
            if (r.get("node").asText().equals("node-002")) {
                assertThat(r.get("error").isNull()).as(r.toString()).isTrue();
                continue;
            }
            assertThat(r.get("reachable").asBoolean()).isTrue();
            assertThat(r.get("httpStatus").asInt()).isEqualTo(401);
            assertThat(r.get("error").get("kind").asText()).isEqualTo("unauthorized");
            assertThat(r.get("error").get("message").asText()).contains("token rejected (HTTP 401)")
                    .contains("bearer token rejected").contains("tokenFile");
            assertThat(r.get("nodeInfo").isNull()).isTrue();
        }
        assertThat(run.err()).contains("4 nodes, 4 reachable, 0 unreachable, 8 GPUs, 3 answered with an error");

        Kiln.Run table = Kiln.run("status", "--fleet", f.toString(), "--node", "node-001");
        assertThat(table.out()).contains("node-001").contains("yes").contains("token rejected (HTTP 401)");
    }

    @Test
    void stoppedNodeIsUnreachableOthersStillPrintAndExitIs4() {
        Path d = dir.resolve("stopped");
        try (RunningFleet small = FleetSimulator.start(FleetSimulator.options(6, ServerPresets.get("hgx-h100"),
                FaultPlan.NONE, d))) {
            small.stopNode("node-003");
            String file = small.fleetFile().toString();

            Kiln.Run status = Kiln.run("status", "--fleet", file);
            assertThat(status.exitCode()).as(status.describe()).isEqualTo(ExitCodes.UNREACHABLE);
            List<String> rows = status.out().lines().toList();
            assertThat(rows.subList(1, 7)).extracting(l -> l.split(" +")[0]).containsExactlyElementsOf(names(1, 6));
            assertThat(rows.get(3)).matches("node-003 +rack-01 +127\\.0\\.0\\.1:\\d+ +no +- +- +- +connection refused by "
                    + "127\\.0\\.0\\.1:\\d+ \\(is kiln-agent running there, on that port\\?\\)");
            assertThat(rows.get(4)).contains(" yes ");
            assertThat(status.out()).contains("6 nodes, 5 reachable, 1 unreachable, 40 GPUs");

            Kiln.Run inv = Kiln.run("inventory", "--fleet", file, "-o", "json");
            assertThat(inv.exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
            JsonNode r3 = inv.json().get(2);
            assertThat(r3.get("node").asText()).isEqualTo("node-003");
            assertThat(r3.get("reachable").asBoolean()).isFalse();
            assertThat(r3.get("error").get("kind").asText()).isEqualTo("connection_refused");
            assertThat(r3.get("inventory").isNull()).isTrue();
            assertThat(inv.json().get(3).get("inventory").get("gpus")).hasSize(8);
        }
    }

    @Test
    void lostGpuFailsTheInventoryCheckAndUnreachableTakesPrecedence() {
        Path d = dir.resolve("lost");
        FaultPlan faults = new FaultPlan(List.of(new FaultPlan.Rule(Optional.of("node-002"), Optional.empty(),
                new Fault.GpuLost(5, 0, Duration.ZERO), 0)));
        try (RunningFleet small = FleetSimulator.start(FleetSimulator.options(3, ServerPresets.get("hgx-h100"),
                faults, d))) {
            String file = small.fleetFile().toString();

            Kiln.Run status = Kiln.run("status", "--fleet", file);
            assertThat(status.exitCode()).as("status reads no GPU states").isEqualTo(ExitCodes.OK);

            Kiln.Run inv = Kiln.run("inventory", "--fleet", file);
            assertThat(inv.exitCode()).as(inv.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
            assertThat(inv.out()).containsPattern("node-002 +5 .* lost: GPU fell off the bus")
                    .contains("3 nodes, 3 reachable, 0 unreachable, 24 GPUs, 1 with failed checks");

            Kiln.Run json = Kiln.run("inventory", "--fleet", file, "-o", "jsonl", "--node", "node-002");
            assertThat(json.jsonLines().get(0).get("checkFailures").get(0).asText()).startsWith("GPU 5 serial ")
                    .contains("state lost");

            assertThat(Kiln.run("inventory", "--fleet", file, "--node", "node-001,node-003").exitCode())
                    .isEqualTo(ExitCodes.OK);

            small.stopNode("node-003");
            assertThat(Kiln.run("inventory", "--fleet", file).exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
        }
    }

    @Test
    void fleetFileErrorsAreUsageErrorsNamingLineAndField() throws IOException {
        Path d = dir.resolve("bad");
        Files.createDirectories(d);
        Path f = d.resolve("fleet.yaml");
        Files.writeString(f, """
                defaults:
                  tokenFile: %s
                racks:
                  - name: rack-01
                    nodes:
                      - name: node-001
                        address: 127.0.0.1:70000
                """.formatted(fleet.tokenFile().toAbsolutePath()));
        Kiln.Run run = Kiln.run("status", "--fleet", f.toString());
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains(f + ":7: node 'node-001': field 'address': port 70000 is out of range")
                .contains("See 'kiln status --help'.")
                .doesNotContain("Exception");

        Kiln.Run missing = Kiln.run("inventory", "--fleet", d.resolve("nope.yaml").toString());
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).contains("nope.yaml does not exist");

        Kiln.Run traced = Kiln.run("inventory", "--errors", "--fleet", d.resolve("nope.yaml").toString());
        assertThat(traced.err()).contains("FleetFileException").contains("\tat ");
    }

    static JsonSchema inventorySchema() throws IOException {
        Path docs = Path.of("..", "docs", "schema", "inventory.schema.json");
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
        if (Files.exists(docs)) {
            try (InputStream in = Files.newInputStream(docs)) {
                return factory.getSchema(in);
            }
        }
        try (InputStream in = FleetCommandsTest.class.getResourceAsStream("/dev/kiln/protocol/schema/inventory.schema.json")) {
            assertThat(in).as("inventory schema on the classpath").isNotNull();
            return factory.getSchema(in);
        }
    }

    static List<JsonNode> list(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).toList();
    }
}
