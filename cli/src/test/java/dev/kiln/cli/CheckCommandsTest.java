package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.kiln.agent.fleet.FleetSimulator;
import dev.kiln.agent.fleet.RunningFleet;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.spec.BuiltinSpecs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kiln check}, {@code kiln spec} and {@code kiln inventory --diff} against a simulated fleet with
 * one fault per faulty node, over HTTP, in-process. Nodes 1, 2, 4 and 8 are healthy.
 */
class CheckCommandsTest {
    private static final int NODES = 8;
    private static final Set<String> HEALTHY = Set.of("node-001", "node-002", "node-004", "node-008");

    @TempDir
    static Path dir;

    static RunningFleet fleet;
    static String fleetFile;

    @BeforeAll
    static void startFleet() {
        FaultPlan faults = new FaultPlan(List.of(
                rule("node-003", new Fault.PcieDowntrained(2, Optional.of(4), Optional.of(8))),
                rule("node-005", new Fault.GpuMissing(3)),
                rule("node-006", new Fault.NvlinkDown(1, List.of(3, 7))),
                rule("node-007", new Fault.WrongVbios(4, "96.00.5E.00.02"))));
        fleet = FleetSimulator.start(FleetSimulator.options(NODES, ServerPresets.get("hgx-h100"), faults,
                dir.resolve("faulty")));
        fleetFile = fleet.fleetFile().toString();
    }

    @AfterAll
    static void stopFleet() {
        if (fleet != null) {
            fleet.close();
        }
    }

    static FaultPlan.Rule rule(String node, Fault fault) {
        return new FaultPlan.Rule(Optional.of(node), Optional.empty(), fault, 0);
    }

    /** The table row of {@code node} (the first line starting with it). */
    private static String row(Kiln.Run run, String node) {
        return run.out().lines().filter(l -> l.startsWith(node + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + node + "\n" + run.describe()));
    }

    private static List<String> findings(Kiln.Run run) {
        List<String> lines = run.out().lines().toList();
        int start = lines.indexOf("Findings:");
        if (start < 0) {
            return List.of();
        }
        return lines.subList(start + 1, lines.size()).stream().takeWhile(l -> !l.isEmpty())
                .filter(l -> l.startsWith("  ") && !l.startsWith("    ")).map(String::trim).toList();
    }

    // --- kiln check ----------------------------------------------------------------------------

    @Test
    void checkReportsEachFaultOnTheRightNodeGpuAndCheckAndHealthyNodesPass() {
        Kiln.Run run = Kiln.run("check", "--fleet", fleetFile);

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(run.out().lines().findFirst().orElseThrow())
                .matches("NODE +RACK +SPEC +VERDICT +FAIL +WARN +ERROR +SKIP +NOTE");
        for (String healthy : HEALTHY) {
            assertThat(row(run, healthy)).as(healthy).matches(healthy + " +rack-0\\d +hgx-h100 +PASS +0 +0 +0 +0 .*");
        }
        // No spec in the fleet file, no --spec: each simulated agent uses its preset's built-in spec.
        assertThat(row(run, "node-001")).endsWith("agent's default spec");
        assertThat(row(run, "node-003")).matches("node-003 +rack-01 +hgx-h100 +FAIL +1 +0 +0 +0 +gpu\\.pcie\\.link.*");
        assertThat(row(run, "node-005")).matches("node-005 +rack-02 +hgx-h100 +FAIL +1 .*gpu\\.count.*");
        assertThat(row(run, "node-006")).contains("FAIL").contains("gpu.nvlink.links");
        assertThat(row(run, "node-007")).contains("FAIL").contains("gpu.vbios");

        List<String> findings = findings(run);
        assertThat(findings).as(run.describe()).hasSize(4);
        assertThat(findings.get(0)).matches("node-003 GPU 2 serial \\d{13} \\(00000000:3A:00\\.0\\): FAIL gpu\\.pcie\\.link: "
                + "observed Gen4 x8.*, expected Gen5 x16");
        assertThat(findings.get(1)).isEqualTo("node-005 00000000:5D:00.0: FAIL gpu.count: observed 7, expected 8");
        assertThat(findings.get(2)).matches("node-006 GPU 1 serial \\d{13} \\(00000000:2A:00\\.0\\): FAIL "
                + "gpu\\.nvlink\\.links: .*16.*18.*");
        assertThat(findings.get(3)).matches("node-007 GPU 4 serial \\d{13} \\(00000000:9A:00\\.0\\): FAIL gpu\\.vbios: "
                + "observed 96\\.00\\.5E\\.00\\.02, expected 96\\.00\\.74\\.00\\.1C");
        assertThat(run.out()).contains("      action: ")
                .contains("8 nodes, 8 reachable, 0 unreachable; verdicts: 4 PASS, 4 FAIL; findings: 4 FAIL");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void checkJsonHoldsEachNodesFullReportValidAgainstTheSchema() throws IOException {
        Kiln.Run run = Kiln.run("check", "--fleet", fleetFile, "--spec", "hgx-h100", "-o", "json");

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
        JsonNode array = run.json();
        assertThat(array).hasSize(NODES);
        JsonSchema schema = checksSchema();
        for (JsonNode r : array) {
            String node = r.get("node").asText();
            JsonNode report = r.get("report");
            Set<ValidationMessage> errors = schema.validate(report);
            assertThat(errors).as("schema errors of %s", node).isEmpty();
            assertThat(report.get("node").get("name").asText()).isEqualTo(node);
            assertThat(r.get("spec").get("name").asText()).isEqualTo("hgx-h100");
            assertThat(r.get("spec").get("source").asText()).isEqualTo("built-in");
            assertThat(r.get("verdict").asText()).isEqualTo(HEALTHY.contains(node) ? "PASS" : "FAIL");
            assertThat(r.get("checkFailures")).hasSize(HEALTHY.contains(node) ? 0 : 1);
        }
        JsonNode pcie = FleetCommandsTest.list(array.get(2).get("report").get("results")).stream()
                .filter(x -> x.get("status").asText().equals("FAIL")).findFirst().orElseThrow();
        assertThat(pcie.get("id").asText()).isEqualTo("gpu.pcie.link");
        assertThat(pcie.get("gpu").get("index").asInt()).isEqualTo(2);
        assertThat(pcie.get("gpu").get("pciBusId").asText()).isEqualTo("00000000:3A:00.0");
        assertThat(pcie.get("gpu").get("serial").asText()).matches("\\d{13}");
        assertThat(pcie.get("action").asText()).contains("reseat");
        assertThat(run.err()).contains("verdicts: 4 PASS, 4 FAIL");

        Kiln.Run jsonl = Kiln.run("check", "--fleet", fleetFile, "--rack", "rack-02", "-o", "jsonl");
        assertThat(jsonl.jsonLines()).extracting(n -> n.get("node").asText())
                .containsExactly("node-005", "node-006", "node-007", "node-008");
        assertThat(jsonl.jsonLines().get(0).get("spec").isNull()).as("no spec sent: the agent's default").isTrue();
        assertThat(jsonl.jsonLines().get(0).get("report").get("spec").asText()).isEqualTo("hgx-h100");
    }

    @Test
    void onlyAndSkipSelectChecksById() {
        Kiln.Run only = Kiln.run("check", "--fleet", fleetFile, "--only", "gpu.pcie.link", "-o", "json");
        assertThat(only.exitCode()).as(only.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
        for (JsonNode r : only.json()) {
            Set<String> ids = FleetCommandsTest.list(r.get("report").get("results")).stream()
                    .map(x -> x.get("id").asText()).collect(Collectors.toSet());
            assertThat(ids).containsExactly("gpu.pcie.link");
            assertThat(r.get("verdict").asText()).isEqualTo(r.get("node").asText().equals("node-003") ? "FAIL" : "PASS");
        }

        Kiln.Run skip = Kiln.run("check", "--fleet", fleetFile, "--rack", "rack-01", "--skip", "gpu.pcie.link,gpu.count");
        assertThat(skip.exitCode()).as(skip.describe()).isEqualTo(ExitCodes.OK);
        assertThat(row(skip, "node-003")).contains(" PASS ");

        Kiln.Run both = Kiln.run("check", "--fleet", fleetFile, "--node", "node-005", "--only", "gpu.count",
                "--only", "gpu.vbios", "--skip", "gpu.vbios");
        assertThat(both.exitCode()).isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(findings(both)).singleElement().asString().contains("FAIL gpu.count");
    }

    @Test
    void unknownCheckIdIsAUsageErrorWithASuggestion() {
        Kiln.Run run = Kiln.run("check", "--fleet", fleetFile, "--only", "gpu.pcie");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("kiln check: unknown check id 'gpu.pcie' in --only; did you mean 'gpu.pcie.link'?")
                .contains("gpu.lost").contains("See 'kiln check --help'.");

        Kiln.Run skip = Kiln.run("check", "--fleet", fleetFile, "--skip", "gpu.vbois");
        assertThat(skip.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(skip.err()).contains("unknown check id 'gpu.vbois' in --skip; did you mean 'gpu.vbios'?");

        assertThat(Kiln.run("check", "--fleet", fleetFile, "--spec", "hgx-h10").err())
                .contains("--spec: 'hgx-h10' is neither a built-in spec nor a spec file")
                .contains("did you mean 'hgx-h100'?").contains("built-in specs: hgx-h100, hgx-h200, hgx-b200, pcie-l40s");
    }

    @Test
    void showSkipsListsSkipsWithTheirReason() throws IOException {
        // A spec without InfiniBand expectations: the IB checks SKIP, saying which field is not set.
        String yaml = BuiltinSpecs.yaml("hgx-h100").replaceAll("(?m)^infiniband:.*\\n", "")
                .replace("spec: hgx-h100", "spec: no-ib");
        Path spec = dir.resolve("no-ib.yaml");
        Files.writeString(spec, yaml);

        Kiln.Run quiet = Kiln.run("check", "--fleet", fleetFile, "--node", "node-001", "--spec", spec.toString());
        assertThat(quiet.exitCode()).as(quiet.describe()).isZero();
        assertThat(row(quiet, "node-001")).matches("node-001 +rack-01 +no-ib +PASS +0 +0 +0 +[1-9]\\d* *");
        assertThat(quiet.out()).doesNotContain("Findings:").contains("(SKIPs not listed; --show-skips lists them)");

        Kiln.Run shown = Kiln.run("check", "--fleet", fleetFile, "--node", "node-001", "--spec", spec.toString(),
                "--show-skips");
        assertThat(findings(shown)).isNotEmpty().allMatch(l -> l.startsWith("node-001") && l.contains(": SKIP ib.port."));
    }

    @Test
    void specFromTheFleetFileRackLevelAndTheSpecOptionOverridesIt() throws IOException {
        Path d = Files.createDirectories(dir.resolve("rack-spec"));
        // A newer SKU revision: another VBIOS. Every rack-02 node then fails gpu.vbios on each GPU.
        Files.writeString(d.resolve("rev2.yaml"), BuiltinSpecs.yaml("hgx-h100")
                .replace("spec: hgx-h100", "spec: h100-rev2").replace("vbios: [96.00.74.00.1C]", "vbios: [96.00.74.00.2A]"));
        Path f = d.resolve("fleet.yaml");
        Files.writeString(f, Files.readString(fleet.fleetFile())
                .replace("  - name: rack-01\n", "  - name: rack-01\n    spec: hgx-h100\n")
                .replace("  - name: rack-02\n", "  - name: rack-02\n    spec: rev2.yaml\n"));

        Kiln.Run run = Kiln.run("check", "--fleet", f.toString(), "--node", "node-001,node-008");
        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(row(run, "node-001")).matches("node-001 +rack-01 +hgx-h100 +PASS .*").doesNotContain("default");
        assertThat(row(run, "node-008")).matches("node-008 +rack-02 +h100-rev2 +FAIL +8 .*gpu\\.vbios.*");
        assertThat(findings(run)).hasSize(8).allMatch(l -> l.startsWith("node-008 GPU ")
                && l.contains("FAIL gpu.vbios") && l.endsWith("expected 96.00.74.00.2A"));

        Kiln.Run json = Kiln.run("check", "--fleet", f.toString(), "--node", "node-008", "-o", "json");
        assertThat(json.json().get(0).get("spec").get("source").asText()).isEqualTo(d.resolve("rev2.yaml").toString());

        Kiln.Run override = Kiln.run("check", "--fleet", f.toString(), "--node", "node-001,node-008", "--spec", "hgx-h100");
        assertThat(override.exitCode()).as(override.describe()).isEqualTo(ExitCodes.OK);
        assertThat(row(override, "node-008")).matches("node-008 +rack-02 +hgx-h100 +PASS .*");
    }

    @Test
    void aSpecFileWithAnErrorIsAUsageErrorNamingItsLine() throws IOException {
        Path d = Files.createDirectories(dir.resolve("bad-spec"));
        Path bad = d.resolve("bad.yaml");
        Files.writeString(bad, """
                spec: broken
                gpu:
                  count: 8
                  pcie: {generation: five, width: 16}
                """);
        Path f = d.resolve("fleet.yaml");
        String fleetYaml = Files.readString(fleet.fleetFile()).replace("  - name: rack-02\n",
                "  - name: rack-02\n    spec: bad.yaml\n");
        Files.writeString(f, fleetYaml);
        int specLine = fleetYaml.lines().toList().indexOf("    spec: bad.yaml") + 1;

        Kiln.Run run = Kiln.run("check", "--fleet", f.toString());
        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains(bad + ":4: ").contains("gpu.pcie.generation")
                .contains("(named by " + f + ":" + specLine + ": rack 'rack-02': field 'spec')")
                .doesNotContain("Exception");
        assertThat(Kiln.run("status", "--fleet", f.toString()).exitCode())
                .as("every command validates the fleet file's specs").isEqualTo(ExitCodes.USAGE);

        Kiln.Run option = Kiln.run("check", "--fleet", fleetFile, "--spec", bad.toString());
        assertThat(option.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(option.err()).contains("--spec: " + bad + ":4: ").contains("gpu.pcie.generation");
    }

    @Test
    void unreachableNodeDuringCheckExits4AndTheOthersAreStillReported() {
        Path d = dir.resolve("stopped");
        FaultPlan faults = new FaultPlan(List.of(rule("node-003", new Fault.PcieDowntrained(0, Optional.empty(),
                Optional.of(8)))));
        try (RunningFleet small = FleetSimulator.start(FleetSimulator.options(3, ServerPresets.get("pcie-l40s"),
                faults, d))) {
            small.stopNode("node-002");
            String file = small.fleetFile().toString();

            Kiln.Run run = Kiln.run("check", "--fleet", file, "--spec", "pcie-l40s");
            assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.UNREACHABLE);
            assertThat(row(run, "node-001")).matches("node-001 +rack-01 +pcie-l40s +PASS .*");
            assertThat(row(run, "node-002")).matches("node-002 +rack-01 +pcie-l40s +- +- +- +- +- +unreachable: "
                    + "connection refused by 127\\.0\\.0\\.1:\\d+ .*");
            assertThat(row(run, "node-003")).contains(" FAIL ").contains("gpu.pcie.link");
            assertThat(findings(run)).singleElement().asString().startsWith("node-003 GPU 0 serial ");
            assertThat(run.out()).contains("3 nodes, 2 reachable, 1 unreachable; verdicts: 1 PASS, 1 FAIL");

            Kiln.Run json = Kiln.run("check", "--fleet", file, "-o", "json");
            assertThat(json.exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
            JsonNode r2 = json.json().get(1);
            assertThat(r2.get("reachable").asBoolean()).isFalse();
            assertThat(r2.get("error").get("kind").asText()).isEqualTo("connection_refused");
            assertThat(r2.get("report").isNull()).isTrue();
            assertThat(r2.get("verdict").isNull()).isTrue();
        }
    }

    // --- kiln spec -----------------------------------------------------------------------------

    @Test
    void captureFromAHealthyNodeLintsCleanAndTheFleetPassesIt() throws IOException {
        Path d = Files.createDirectories(dir.resolve("capture"));
        Path captured = d.resolve("h100-golden.yaml");

        Kiln.Run capture = Kiln.run("spec", "capture", "--fleet", fleetFile, "--node", "node-001", "--name",
                "h100-golden", "-o", captured.toString());
        assertThat(capture.exitCode()).as(capture.describe()).isZero();
        assertThat(capture.out()).isEmpty();
        assertThat(capture.err()).contains("wrote spec 'h100-golden' (8x NVIDIA H100 80GB HBM3) from node-001 to "
                + captured).doesNotContain("warning:");
        assertThat(Files.readString(captured)).contains("spec: h100-golden").contains("vbios: [96.00.74.00.1C]");

        Kiln.Run lint = Kiln.run("spec", "lint", captured.toString());
        assertThat(lint.exitCode()).as(lint.describe()).isZero();
        assertThat(lint.out()).doesNotContain(": error: ");
        assertThat(lint.err()).contains("1 file: 0 errors");

        Kiln.Run check = Kiln.run("check", "--fleet", fleetFile, "--spec", captured.toString(), "--node",
                String.join(",", HEALTHY));
        assertThat(check.exitCode()).as(check.describe()).isZero();
        assertThat(check.out()).contains("verdicts: 4 PASS, 0 FAIL");
        assertThat(row(check, "node-004")).matches("node-004 +rack-01 +h100-golden +PASS .*");

        Kiln.Run again = Kiln.run("spec", "capture", "--fleet", fleetFile, "--node", "node-001", "-o",
                captured.toString());
        assertThat(again.exitCode()).as("never overwrites without --force").isEqualTo(ExitCodes.USAGE);
        assertThat(again.err()).contains("already exists; pass --force");
    }

    @Test
    void captureFromANodeWithAnOddGpuTakesTheMajorityAndWarns() {
        Kiln.Run run = Kiln.run("spec", "capture", "--fleet", fleetFile, "--node", "node-007");
        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(run.out()).startsWith("# Captured by 'kiln spec capture --node node-007'")
                .contains("spec: node-007-captured").contains("vbios: [96.00.74.00.1C]")
                .contains("# warning: VBIOS: took 96.00.74.00.1C (7); also seen");
        assertThat(run.err()).contains("kiln spec capture: warning: VBIOS: took 96.00.74.00.1C (7); also seen")
                .contains("96.00.5E.00.02 (1)").contains("review the file before using it");

        Kiln.Run unknown = Kiln.run("spec", "capture", "--fleet", fleetFile, "--node", "node-042");
        assertThat(unknown.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err()).contains("unknown node 'node-042'");

        assertThat(Kiln.run("spec", "capture", "--fleet", fleetFile, "--node", "node-001", "--name", "no spaces")
                .exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void captureFromAnUnreachableNodeExits4() {
        Path d = dir.resolve("capture-down");
        try (RunningFleet small = FleetSimulator.start(FleetSimulator.options(1, ServerPresets.get("hgx-h100"),
                FaultPlan.NONE, d))) {
            small.stopNode("node-001");
            Kiln.Run run = Kiln.run("spec", "capture", "--fleet", small.fleetFile().toString(), "--node", "node-001");
            assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.UNREACHABLE);
            assertThat(run.out()).isEmpty();
            assertThat(run.err()).contains("kiln spec capture: node-001: unreachable: connection refused");
        }
    }

    @Test
    void lintPrintsEveryProblemAsFileLineSeverityFieldMessage() throws IOException {
        Path d = Files.createDirectories(dir.resolve("lint"));
        Path bad = d.resolve("bad.yaml");
        Files.writeString(bad, """
                spec: lint-me
                gpu:
                  count: 8
                  pcie: {generation: five, width: 16}
                  colour: green
                """);
        Path warnOnly = d.resolve("warn.yaml");
        Files.writeString(warnOnly, "spec: minimal\ngpu:\n  count: 8\n");

        Kiln.Run run = Kiln.run("spec", "lint", bad.toString(), warnOnly.toString());
        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.USAGE);
        List<String> lines = run.out().lines().toList();
        assertThat(lines).anyMatch(l -> l.startsWith(bad + ":4: error: gpu.pcie.generation: "))
                .anyMatch(l -> l.startsWith(bad + ":5: error: gpu.colour: "))
                .anyMatch(l -> l.startsWith(warnOnly + ":") && l.contains(": warning: "));
        assertThat(lines).allMatch(l -> l.matches("\\S+(:\\d+)?: (error|warning): .+"));
        assertThat(run.err()).contains("2 files: 2 errors");

        Kiln.Run warnings = Kiln.run("spec", "lint", warnOnly.toString());
        assertThat(warnings.exitCode()).as("warnings alone exit 0").isZero();
        assertThat(warnings.out()).contains(": warning: ").doesNotContain(": error: ");

        Kiln.Run missing = Kiln.run("spec", "lint", d.resolve("nope.yaml").toString());
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.out()).contains("nope.yaml: error: ").contains("does not exist");

        for (String name : BuiltinSpecs.names()) {
            Path f = d.resolve(name + ".yaml");
            Kiln.Run show = Kiln.run("spec", "show", name);
            assertThat(show.exitCode()).isZero();
            assertThat(show.out()).contains("spec: " + name);
            Files.writeString(f, show.out());
            Kiln.Run lintBuiltin = Kiln.run("spec", "lint", f.toString());
            assertThat(lintBuiltin.exitCode()).as(lintBuiltin.describe()).isZero();
        }
    }

    @Test
    void showAndListTheBuiltIns() {
        Kiln.Run list = Kiln.run("spec", "list");
        assertThat(list.exitCode()).isZero();
        assertThat(list.out().lines().toList()).hasSize(1 + BuiltinSpecs.names().size());
        assertThat(list.out()).containsPattern("hgx-h100 +8x NVIDIA H100 80GB HBM3 +HGX H100")
                .containsPattern("pcie-l40s +4x NVIDIA L40S ");

        Kiln.Run unknown = Kiln.run("spec", "show", "dgx-a100");
        assertThat(unknown.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err()).contains("unknown built-in spec 'dgx-a100'; built-in specs: hgx-h100");

        assertThat(Kiln.run("spec").exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    // --- kiln inventory --diff -----------------------------------------------------------------

    @Test
    void inventoryDiffNamesTheMinoritiesAndExits3() {
        Kiln.Run run = Kiln.run("inventory", "--fleet", fleetFile, "--diff");

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(run.out()).contains("Deviations from the majority (8 nodes, 63 GPUs):")
                .contains("  VBIOS: 96.00.74.00.1C on 62 GPUs; 96.00.5E.00.02 on 1 GPU (node-007 GPU 4)")
                .contains("  GPU count: 8 on 7 nodes; 7 on 1 node (node-005)")
                .contains("  GPU model: NVIDIA H100 80GB HBM3 (63 GPUs)")
                .doesNotContain("Deviations from spec");
        // Maximum link width and NVLink count are what the slots are; link state is 'kiln check's.
        assertThat(run.out()).contains("  PCIe max link: Gen5 x16 (63 GPUs)").contains("  NVLinks per GPU: 18 (63 GPUs)");
        assertThat(run.out()).endsWith("8 nodes, 8 reachable, 0 unreachable, 63 GPUs; 2 deviations\n");

        Kiln.Run spec = Kiln.run("inventory", "--fleet", fleetFile, "--diff", "--spec", "hgx-h100");
        assertThat(spec.exitCode()).isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(spec.out()).contains("Deviations from spec hgx-h100:")
                .contains("  VBIOS: 96.00.5E.00.02 on 1 GPU (node-007 GPU 4); spec allows 96.00.74.00.1C")
                .contains("  GPU count: 7 on 1 node (node-005); spec expects 8");

        Kiln.Run json = Kiln.run("inventory", "--fleet", fleetFile, "--diff", "--spec", "hgx-h100", "-o", "json");
        assertThat(json.exitCode()).isEqualTo(ExitCodes.CHECK_FAILED);
        JsonNode doc = json.json();
        assertThat(doc.get("kind").asText()).isEqualTo("kiln.inventoryDiff");
        assertThat(doc.get("deviations").asInt()).isEqualTo(4);
        JsonNode group = doc.get("groups").get(0);
        assertThat(group.get("spec").get("name").asText()).isEqualTo("hgx-h100");
        JsonNode vbios = FleetCommandsTest.list(group.get("properties")).stream()
                .filter(p -> p.get("id").asText().equals("gpu.vbios")).findFirst().orElseThrow();
        assertThat(vbios.get("deviates").asBoolean()).isTrue();
        assertThat(vbios.get("values").get(0).get("count").asInt()).isEqualTo(62);
        JsonNode minority = vbios.get("values").get(1);
        assertThat(minority.get("value").asText()).isEqualTo("96.00.5E.00.02");
        assertThat(minority.get("where").get(0).get("node").asText()).isEqualTo("node-007");
        assertThat(minority.get("where").get(0).get("gpu").asInt()).isEqualTo(4);
        assertThat(group.get("specDeviations")).hasSize(2);

        Kiln.Run usage = Kiln.run("inventory", "--fleet", fleetFile, "--spec", "hgx-h100");
        assertThat(usage.exitCode()).as("--spec needs --diff").isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void inventoryDiffOnHealthyNodesExits0() {
        Kiln.Run run = Kiln.run("inventory", "--fleet", fleetFile, "--diff", "--spec", "hgx-h100", "--node",
                String.join(",", HEALTHY));
        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(run.out()).contains("No deviations from the majority (4 nodes, 32 GPUs).")
                .contains("No deviations from spec hgx-h100.").endsWith("; no deviations\n");
    }

    @Test
    void inventoryDiffComparesSiblingsThatShareASpecAndCapsTheNamesListed() throws IOException {
        Path d = dir.resolve("many");
        // GPU 4 of every node flashed differently: 14 GPUs in the minority, named 10 at a time.
        FaultPlan faults = FaultPlan.of(new Fault.WrongVbios(4, "96.00.5E.00.02"));
        try (RunningFleet many = FleetSimulator.start(FleetSimulator.options(14, ServerPresets.get("hgx-h100"),
                faults, d))) {
            Kiln.Run run = Kiln.run("inventory", "--fleet", many.fleetFile().toString(), "--diff");
            assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
            assertThat(run.out()).contains("  VBIOS: 96.00.74.00.1C on 98 GPUs; 96.00.5E.00.02 on 14 GPUs (node-001 "
                    + "GPU 4, node-002 GPU 4, node-003 GPU 4, node-004 GPU 4, node-005 GPU 4, node-006 GPU 4, node-007 "
                    + "GPU 4, node-008 GPU 4, node-009 GPU 4, node-010 GPU 4 and 4 more)");

            // Racks of different specs are compared within themselves, each with its own spec.
            Path f = d.resolve("two-skus.yaml");
            Files.writeString(f, Files.readString(many.fleetFile())
                    .replace("  - name: rack-01\n", "  - name: rack-01\n    spec: hgx-h100\n")
                    .replace("  - name: rack-02\n", "  - name: rack-02\n    spec: hgx-h200\n"));
            Kiln.Run two = Kiln.run("inventory", "--fleet", f.toString(), "--diff", "--rack", "rack-01,rack-02");
            assertThat(two.exitCode()).isEqualTo(ExitCodes.CHECK_FAILED);
            assertThat(two.out()).contains("Nodes with spec hgx-h100 (4 nodes, 32 GPUs):")
                    .contains("Nodes with spec hgx-h200 (4 nodes, 32 GPUs):")
                    .contains("Deviations from spec hgx-h200:")
                    .containsPattern("GPU model: NVIDIA H100 80GB HBM3 on 32 GPUs \\(node-005 GPU 0, .* and 22 more\\); "
                            + "spec expects NVIDIA H200");
        }
    }

    static JsonSchema checksSchema() throws IOException {
        // Format assertions on (2020-12 treats "format" as an annotation by default), as in the protocol's Schemas.
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
        Path docs = Path.of("..", "docs", "schema", "checks.schema.json");
        if (Files.exists(docs)) {
            try (InputStream in = Files.newInputStream(docs)) {
                return factory.getSchema(in, config);
            }
        }
        try (InputStream in = CheckCommandsTest.class.getResourceAsStream("/dev/kiln/protocol/schema/checks.schema.json")) {
            assertThat(in).as("checks schema on the classpath").isNotNull();
            return factory.getSchema(in, config);
        }
    }
}
