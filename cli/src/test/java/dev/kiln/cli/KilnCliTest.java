package dev.kiln.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The command tree itself: help, version, usage errors and exit codes; and the demo end to end. */
class KilnCliTest {

    @Test
    void helpListsCommandsAndEveryExitCode() {
        Kiln.Run run = Kiln.run("--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("Usage: kiln").contains("status").contains("inventory").contains("demo")
                .contains("check").contains("spec").contains("Exit codes:");
        for (int code : new int[]{ExitCodes.OK, ExitCodes.INTERNAL, ExitCodes.USAGE, ExitCodes.CHECK_FAILED,
                ExitCodes.UNREACHABLE}) {
            assertThat(run.out()).containsPattern("(?m)^\\s+" + code + "\\s+\\S");
        }
        assertThat(run.out()).contains("Takes precedence over 3");

        Kiln.Run status = Kiln.run("status", "--help");
        assertThat(status.exitCode()).isZero();
        assertThat(status.out()).contains("--fleet=FILE").contains("--rack=RACK").contains("--node=NODE")
                .contains("--timeout=DURATION").contains("--max-in-flight=N").contains("-o, --output=FORMAT")
                .contains("table, json, jsonl").contains("--errors").contains("-v, --verbose").contains("Exit codes:");
        assertThat(Kiln.run("help", "inventory").out()).contains("--fresh").contains("--diff");
        assertThat(Kiln.run("check", "--help").out()).contains("--spec=SPEC").contains("--only=ID").contains("--skip=ID")
                .contains("--show-skips").contains("--rack=RACK").contains("never counted as a pass");
        assertThat(Kiln.run("spec", "capture", "--help").out()).contains("--node=NODE").contains("-o, --output=FILE");
    }

    @Test
    void versionNamesKilnAndJava() {
        Kiln.Run run = Kiln.run("--version");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("kiln ").contains("protocol schema 1").contains("Java ");
    }

    @Test
    void badFlagsExit2WithAShortMessageAndPointerToHelp() {
        Kiln.Run unknown = Kiln.run("status", "--bogus");
        assertThat(unknown.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.out()).isEmpty();
        assertThat(unknown.err()).contains("kiln status: Unknown option: '--bogus'").contains("Usage: kiln status")
                .contains("See 'kiln status --help'.").doesNotContain("\tat ");

        Kiln.Run format = Kiln.run("inventory", "-o", "yaml");
        assertThat(format.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(format.err()).contains("-o").contains("yaml").contains("table, json, jsonl");

        assertThat(Kiln.run("status", "-o", "JSON", "--fleet", "/nonexistent/fleet.yaml").err())
                .as("enum values are case-insensitive; the fleet file is what fails").contains("does not exist");

        Kiln.Run inflight = Kiln.run("status", "--max-in-flight", "0");
        assertThat(inflight.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(inflight.err()).contains("--max-in-flight must be between 1 and 65536, got 0");

        Kiln.Run timeout = Kiln.run("status", "--timeout", "soon");
        assertThat(timeout.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(timeout.err()).contains("'soon' is not a duration");

        Kiln.Run cmd = Kiln.run("stauts");
        assertThat(cmd.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(cmd.err()).contains("Unmatched argument").contains("status");

        Kiln.Run demo = Kiln.run("demo", "--preset", "dgx-a100");
        assertThat(demo.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(demo.err()).contains("unknown preset 'dgx-a100'; choose one of hgx-h100");
    }

    @Test
    void noCommandIsAUsageError() {
        Kiln.Run run = Kiln.run();
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("kiln: missing command").contains("Usage: kiln");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void durationsParse() {
        FanOutOptions.DurationConverter c = new FanOutOptions.DurationConverter();
        assertThat(c.convert("5s").toMillis()).isEqualTo(5000);
        assertThat(c.convert("800ms").toMillis()).isEqualTo(800);
        assertThat(c.convert("1.5s").toMillis()).isEqualTo(1500);
        assertThat(c.convert("2m").toMillis()).isEqualTo(120_000);
        assertThat(c.convert("250").toMillis()).isEqualTo(250);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void demoWalksThroughAFaultyFleetAndExits0(@TempDir Path dir) throws Exception {
        Path report = dir.resolve("demo-report.html");
        Kiln.Run run = Kiln.run("demo", "--report", report.toString());

        assertThat(run.exitCode()).as(run.describe()).isZero();
        // the status and inventory tables, and the findings, on stdout
        assertThat(run.out()).contains("16 nodes, 16 reachable, 0 unreachable, 127 GPUs")
                .containsPattern("node-005 +rack-02 .* simulated +7")
                .contains("PCIE NOW/MAX")
                .contains("Findings:")
                .containsPattern("node-003 GPU 2 serial \\d{13} \\(00000000:3A:00\\.0\\): PCIe Gen4 x8, expected Gen5 x16")
                .contains("node-005: 7 GPUs, expected 8; nothing answers at 00000000:5D:00.0")
                .containsPattern("node-007 GPU 1 serial \\d{13} \\(00000000:2A:00\\.0\\): NVLinks 16/18 up; down: 3, 7");
        // kiln check against the preset's spec: every fault a FAIL of the check that owns it, healthy nodes PASS
        assertThat(run.out()).containsPattern("node-001 +rack-01 +hgx-h100 +PASS")
                .containsPattern("node-003 GPU 2 serial \\d{13} \\(00000000:3A:00\\.0\\): FAIL gpu\\.pcie\\.link: observed Gen4 x8")
                .contains("node-005 00000000:5D:00.0: FAIL gpu.count: observed 7, expected 8")
                .containsPattern("node-007 GPU 1 serial \\d{13} \\(00000000:2A:00\\.0\\): FAIL gpu\\.nvlink\\.links")
                .containsPattern("node-013 GPU 4 serial \\d{13} \\(00000000:9A:00\\.0\\): FAIL gpu\\.vbios: observed 96\\.00\\.5E")
                .contains("16 nodes, 16 reachable, 0 unreachable; verdicts: 12 PASS, 4 FAIL; findings: 4 FAIL")
                // inventory --diff
                .contains("VBIOS: 96.00.74.00.1C on 126 GPUs; 96.00.5E.00.02 on 1 GPU (node-013 GPU 4)")
                .contains("GPU count: 7 on 1 node (node-005); spec expects 8")
                // lost after the check read it healthy: the agent still names the board by its last known serial
                .containsPattern("node-011 GPU 6 serial \\d{13} \\(00000000:BA:00\\.0\\): FAIL gpu\\.lost");
        // kiln bringup: exactly the five nodes with faults quarantined (node-011's GPU was lost in step 6), at the
        // inventory stage, and the eleven others through every stage
        List<String> quarantined = run.out().lines().filter(l -> l.matches("node-\\d{3} +rack-\\d{2} +quarantined .*"))
                .map(l -> l.substring(0, 8)).toList();
        assertThat(quarantined).as(run.describe())
                .containsExactly("node-003", "node-005", "node-007", "node-011", "node-013");
        assertThat(run.out()).containsPattern("node-005 +rack-02 +quarantined +inventory ")
                .containsPattern("node-001 +rack-01 +accepted ")
                .contains("16 nodes: 11 accepted, 5 quarantined; exit 3")
                .contains("GPUs to RMA:");
        // kiln report: the HTML file, naming the quarantined nodes
        assertThat(report).exists();
        assertThat(Files.readString(report)).startsWith("<!DOCTYPE html>").contains("node-011").contains("<svg");
        // the narration on stderr, ending with what to run next
        assertThat(run.err()).contains("[1/10]").contains("[8/10] $ kiln bringup --fleet")
                .contains("[9/10] $ kiln report").contains("[10/10]").contains("kiln-agent simulate-fleet")
                .contains("kiln status --fleet").contains("kiln check --fleet").contains("Stopping the simulated fleet");
    }

    @Test
    void demoWithoutBringupIsTheShortTour() {
        Kiln.Run run = Kiln.run("demo", "--nodes", "4", "--skip-bringup");
        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(run.err()).contains("[1/8]").contains("[8/8] Next").doesNotContain("$ kiln bringup");
        assertThat(run.out()).doesNotContain("quarantined");
    }
}
