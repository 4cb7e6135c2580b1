package dev.kiln.cli.bringup;

import dev.kiln.cli.ExitCodes;
import dev.kiln.cli.Kiln;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code kiln bringup}'s usage checks and dry run: nothing here talks to an agent or opens a database. */
class BringupCommandTest {
    @TempDir
    Path dir;
    Path fleet;
    String db;

    @BeforeEach
    void fleetFile() throws Exception {
        Files.writeString(dir.resolve("token"), "0123456789abcdef0123456789abcdef\n");
        StringBuilder y = new StringBuilder("defaults:\n  tokenFile: token\n  spec: hgx-h100\nracks:\n");
        for (int r = 1; r <= 2; r++) {
            y.append("  - name: rack-0").append(r).append("\n    powerKw: ").append(r == 1 ? 34 : 20)
                    .append("\n    nodes:\n");
            for (int n = 1; n <= 3; n++) {
                y.append("      - name: gpu-").append(r).append('0').append(n).append("\n        address: 127.0.0.1:")
                        .append(1 + n).append('\n');
            }
        }
        fleet = Files.writeString(dir.resolve("fleet.yaml"), y);
        db = "jdbc:sqlite:" + dir.resolve("kiln.db");
    }

    @Test
    void theDryRunPrintsThePlanAndTouchesNothing() {
        Kiln.Run run = Kiln.run("bringup", "--fleet", fleet.toString(), "--rack", "rack-01", "--dry-run", "--db", db,
                "--burnin", "30m");
        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(run.out()).contains("Bring-up plan (dry run, nothing was touched): 3 nodes in 1 rack")
                .contains("rack 'rack-01'");
        assertThat(dir.resolve("kiln.db")).doesNotExist();
    }

    @Test
    void aPlanTheBudgetsCannotCarryStopsBeforeAnythingIsRecorded() {
        // rack-02 is rated 20 kW (16 kW limit): three idle hgx-h100 (16.3 kW) already exceed it.
        Kiln.Run run = Kiln.run("bringup", "--fleet", fleet.toString(), "--all", "--db", db);
        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("rack 'rack-02' (80% of its 20.0 kW rating = 16.0 kW)");
        assertThat(dir.resolve("kiln.db")).doesNotExist();
    }

    @Test
    void usageErrorsExitTwo() {
        assertThat(Kiln.run("bringup", "--fleet", fleet.toString(), "--db", db).err())
                .contains("name the nodes to bring up: --rack R (repeatable), --node N, or --all");
        Kiln.Run both = Kiln.run("bringup", "--fleet", fleet.toString(), "--resume", "--rack", "rack-01", "--db", db);
        assertThat(both.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(both.err()).contains("--resume continues the run's own nodes");
        Kiln.Run rate = Kiln.run("bringup", "--fleet", fleet.toString(), "--all", "--max-failure-rate", "100%");
        assertThat(rate.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(rate.err()).contains("--max-failure-rate must be below 100%");
        Kiln.Run stagger = Kiln.run("bringup", "--fleet", fleet.toString(), "--all", "--stagger", "soon");
        assertThat(stagger.exitCode()).isEqualTo(ExitCodes.USAGE);
        Kiln.Run nothing = Kiln.run("bringup", "--resume", "--db", db);
        assertThat(nothing.exitCode()).as(nothing.describe()).isEqualTo(ExitCodes.USAGE);
        assertThat(nothing.err()).contains("no unfinished kiln bringup run started by");
        Kiln.Run unknown = Kiln.run("bringup", "--resume", "br-nope", "--db", db);
        assertThat(unknown.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err()).contains("no run 'br-nope'");
    }
}
