package dev.kiln.agent.cli;

import dev.kiln.agent.Schemas;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.KilnJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** kiln-agent's command line, run in-process with captured stdout and stderr. */
class AgentMainTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cl = AgentMain.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void inventoryJsonOfASimulatedServer() throws Exception {
        Run r = run("inventory", "--simulate", "hgx-h100", "-o", "json", "--name", "bench-01");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).as("diagnostics only on stderr, and there are none").isEmpty();
        assertThat(Schemas.errorsOfText(Schemas.INVENTORY, r.out())).isEmpty();
        InventoryDocument doc = KilnJson.mapper().readValue(r.out(), InventoryDocument.class);
        assertThat(doc.node().name()).isEqualTo("bench-01");
        assertThat(doc.node().simulatorPreset()).isEqualTo("hgx-h100");
        assertThat(doc.gpus()).hasSize(8);
    }

    @Test
    void inventoryTableIsTheDefault() {
        Run r = run("inventory", "--simulate", "pcie-l40s");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("Node sim-node (simulated, pcie-l40s)", "NVIDIA L40S", "Driver 550.54.15");
        assertThat(r.out().lines().filter(l -> l.contains("NVIDIA L40S")).count()).isEqualTo(4);
        assertThat(r.out().trim()).doesNotStartWith("{");
    }

    @Test
    void unknownPresetIsABadUsageListingTheValidOnes() {
        Run r = run("inventory", "--simulate", "nope");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("'nope'").contains("hgx-h100, hgx-h200, hgx-b200, pcie-l40s")
                .doesNotContain("\tat ");
    }

    @Test
    void faultsWithoutSimulateIsABadUsage() throws Exception {
        Path faults = Files.writeString(dir.resolve("faults.yaml"), "faults: []\n");
        Run r = run("inventory", "--faults", faults.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--faults needs --simulate");
    }

    @Test
    void faultsFileWithABadLineNamesTheLine() throws Exception {
        Path faults = Files.writeString(dir.resolve("faults.yaml"), """
                faults:
                  - type: gpu-missing
                    gpu: 1
                  - type: warp-drive
                    gpu: 2
                """);
        Run r = run("inventory", "--simulate", "hgx-h100", "--faults", faults.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains(faults + ":4").contains("warp-drive").doesNotContain("\tat ");
    }

    @Test
    void faultsFileIsApplied() throws Exception {
        Path faults = Files.writeString(dir.resolve("faults.yaml"), """
                faults:
                  - type: gpu-missing
                    gpu: 3
                """);
        Run r = run("inventory", "--simulate", "hgx-h100", "--faults", faults.toString(), "-o", "json");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(KilnJson.mapper().readValue(r.out(), InventoryDocument.class).gpus()).hasSize(7);
    }

    @Test
    void missingFaultsFileIsABadUsage() {
        Run r = run("inventory", "--simulate", "hgx-h100", "--faults", dir.resolve("absent.yaml").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("absent.yaml").contains("does not exist");
    }

    @Test
    void inventoryWithoutADriverStillSucceeds() throws Exception {
        Run r = run("inventory", "--nvml-library", "/nonexistent/libnvidia-ml.so.1", "--sysfs-root",
                dir.toString(), "--name", "bare", "-o", "json");
        assertThat(r.exit()).as(r.err()).isZero();
        InventoryDocument doc = KilnJson.mapper().readValue(r.out(), InventoryDocument.class);
        assertThat(doc.node().mode()).isEqualTo("real");
        assertThat(doc.nvml().available()).isFalse();
        assertThat(doc.gpus()).isEmpty();
    }

    @Test
    void badOptionValuesAreBadUsage() {
        assertThat(run("inventory", "--simulate", "hgx-h100", "-o", "xml").exit()).isEqualTo(2);
        Run unknown = run("inventory", "--frobnicate");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("--frobnicate");
    }

    @Test
    void versionAndHelp() {
        Run v = run("--version");
        assertThat(v.exit()).isZero();
        assertThat(v.out()).startsWith("kiln-agent ").contains("(schema v1)");
        Run h = run("inventory", "--help");
        assertThat(h.exit()).isZero();
        assertThat(h.out()).contains("--simulate", "--faults", "--output");
    }

    @Test
    void noSubcommandMeansServe() {
        assertThat(AgentMain.withDefaultSubcommand(new String[0])).containsExactly("serve");
        assertThat(AgentMain.withDefaultSubcommand(new String[]{"--simulate", "hgx-h100"}))
                .containsExactly("serve", "--simulate", "hgx-h100");
        assertThat(AgentMain.withDefaultSubcommand(new String[]{"--port=9999"})).containsExactly("serve", "--port=9999");
        assertThat(AgentMain.withDefaultSubcommand(new String[]{"inventory", "-o", "json"}))
                .containsExactly("inventory", "-o", "json");
        assertThat(AgentMain.withDefaultSubcommand(new String[]{"simulate-fleet"})).containsExactly("simulate-fleet");
        for (String top : new String[]{"-h", "--help", "-V", "--version"}) {
            assertThat(AgentMain.withDefaultSubcommand(new String[]{top})).as(top).containsExactly(top);
        }
    }

    @Test
    void serveRefusesBadConfigurationBeforeBootingQuarkus() {
        Run preset = run("serve", "--simulate", "nope", "--generate-token", "--token-file",
                dir.resolve("t").toString());
        assertThat(preset.exit()).isEqualTo(2);
        assertThat(preset.err()).contains("hgx-h100");
        Run token = run("serve", "--simulate", "hgx-h100", "--token-file", dir.resolve("missing").toString());
        assertThat(token.exit()).isEqualTo(2);
        assertThat(token.err()).contains("does not exist").contains("--generate-token");
    }
}
