package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.cli.db.AttemptState;
import dev.kiln.cli.db.NewRun;
import dev.kiln.cli.db.NodeVerdict;
import dev.kiln.cli.db.ResultsDb;
import dev.kiln.cli.db.StageAttempt;
import dev.kiln.cli.db.StageResult;
import dev.kiln.cli.db.StageStart;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.ProtocolVersion;
import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.JobState;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.burnin.TelemetrySample;
import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.PairBandwidth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code kiln report} over a results database written through its API, in every format. */
class ReportCommandTest {

    private static String url(Path dir) {
        return "jdbc:sqlite:" + dir.resolve("kiln.db");
    }

    /** node-001 accepted (burn-in telemetry, a GPU-pair matrix); node-002 quarantined with a GPU to RMA. */
    private static void record(Path dir) throws Exception {
        try (ResultsDb db = ResultsDb.open(url(dir))) {
            db.createRun(new NewRun("run-1", "tech@rack", "{}", "{}"));
            Instant t = Instant.parse("2026-11-27T05:00:00Z");
            TelemetrySample sample = KilnJson.mapper().readValue("{\"time\":\"" + t + "\",\"gpuIndex\":0,"
                    + "\"temperatureCelsius\":71,\"powerMilliwatts\":650000,\"smClockMhz\":1980}", TelemetrySample.class);
            JobStatus burnin = new JobStatus(ProtocolVersion.SCHEMA_VERSION, JobStatus.KIND, "burnin-1", "node-001",
                    new BurninRequest("burnin", List.of("burnin.compute"), List.of(0), 60, false, null), JobState.PASSED,
                    t, t, t.plusSeconds(60), 1.0, null, null,
                    List.of(new GpuTestResult(0, "GPU-a", "1654900000001", "00000000:18:00.0", "burnin.compute", "PASS",
                            null, Map.of("tflops", 50.0), List.of(), 60_000)), List.of(sample));
            JobStatus fabric = new JobStatus(ProtocolVersion.SCHEMA_VERSION, JobStatus.KIND, "fabric-1", "node-001",
                    new BurninRequest("fabric", List.of("fabric.p2p"), List.of(0, 1), 30, false, null), JobState.PASSED,
                    t, t, t.plusSeconds(30), 1.0, null, null, List.of(), List.of(),
                    List.of(new FabricResult("fabric.p2p", "PASS", null, 1000, List.of(new PairBandwidth(0, 1,
                            "00000000:18:00.0", "00000000:2A:00.0", "NVLINK", "ok", 370.0, 369.0, 710.0, 2.2, 335.0,
                            "spec hgx-h100")), null, null, null, null, null, null)));
            stage(db, "node-001", "rack-01", "burn-in", AttemptState.PASSED, KilnJson.mapper().writeValueAsString(burnin), null);
            stage(db, "node-001", "rack-01", "gpu-fabric", AttemptState.PASSED, KilnJson.mapper().writeValueAsString(fabric), null);
            db.recordVerdict(new NodeVerdict("run-1", "node-001", "rack-01", NodeVerdict.Outcome.ACCEPTED, List.of(),
                    List.of(), List.of()));
            FabricFinding slow = new FabricFinding("fabric.p2p", "FAIL", "gpu", List.of("GPU 3 (00000000:5D:00.0)"),
                    "7 of 7 pairs slow", ">= 335 GB/s one way", "GPU 3 is slow with every peer", "reseat <GPU> & RMA");
            stage(db, "node-002", "rack-01", "gpu-fabric", AttemptState.FAILED, null,
                    KilnJson.mapper().writeValueAsString(List.of(slow)));
            db.recordVerdict(new NodeVerdict("run-1", "node-002", "rack-01", NodeVerdict.Outcome.QUARANTINED,
                    List.of("fabric.p2p: GPU 3 is slow with every peer"), List.of("reseat GPU 3"),
                    List.of(new NodeVerdict.RmaPart(3, "1654900000203", "GPU-d", "fabric.p2p: 164 GB/s to every peer"))));
        }
    }

    private static void stage(ResultsDb db, String node, String rack, String stage, AttemptState state, String evidence,
                              String findings) {
        StageAttempt a = db.startStage(new StageStart("run-1", node, rack, stage, 5600.0));
        db.finishStage(a.id(), new StageResult(state, state.name(), stage + " " + state.id(), evidence, findings));
    }

    @Test
    void everyFormatCarriesVerdictsRmaSerialsAndEvidence(@TempDir Path dir) throws Exception {
        record(dir);
        Path fleet = dir.resolve("fleet.yaml");
        Files.writeString(dir.resolve("token"), "a-test-token-of-length-32-chars!\n");
        Files.writeString(fleet, "defaults:\n  tokenFile: " + dir.resolve("token") + "\nracks:\n  - name: rack-01\n    nodes:\n      - {name: node-001, address: 127.0.0.1:1}\n"
                + "      - {name: node-002, address: 127.0.0.1:2}\n      - {name: node-003, address: 127.0.0.1:3}\n");
        Kiln.Run json = Kiln.run("report", "--db", url(dir), "--fleet", fleet.toString(), "--format", "json");
        assertThat(json.exitCode()).as(json.describe()).isZero();
        JsonNode doc = json.json();
        assertThat(doc.toString()).contains("node-001", "node-002", "node-003", "1654900000203", "QUARANTINED",
                "NOT_STARTED", "ACCEPTED");
        Kiln.Run html = Kiln.run("report", "--db", url(dir), "--fleet", fleet.toString());
        assertThat(html.exitCode()).isZero();
        assertThat(html.out()).startsWith("<!DOCTYPE html>").contains("1654900000203").contains("<svg")
                .contains("reseat &lt;GPU&gt; &amp; RMA").doesNotContain("https://", "http://");
        Kiln.Run junit = Kiln.run("report", "--db", url(dir), "--fleet", fleet.toString(), "--format", "junit");
        assertThat(junit.out()).contains("<testsuite").contains("node-002").contains("<failure");
        Path csv = dir.resolve("acceptance.csv");
        Kiln.Run c = Kiln.run("report", "--db", url(dir), "--format", "csv", "--out", csv.toString(), "--rack", "rack-01");
        assertThat(c.exitCode()).as(c.describe()).isZero();
        assertThat(Files.readString(csv)).contains("node-002");
        assertThat(Files.readString(dir.resolve("acceptance-rma.csv"))).contains("1654900000203");
    }

    @Test
    void badOptionsAndAnUnknownRunAreUsageErrors(@TempDir Path dir) throws Exception {
        record(dir);
        assertThat(Kiln.run("report", "--db", url(dir), "--format", "pdf").exitCode()).isEqualTo(ExitCodes.USAGE);
        Kiln.Run csv = Kiln.run("report", "--db", url(dir), "--format", "csv");
        assertThat(csv.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(csv.err()).contains("--out");
        Kiln.Run run = Kiln.run("report", "--db", url(dir), "--run", "run-9");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("no run 'run-9'");
        assertThat(Kiln.run("report", "--db", "jdbc:nosuch:x").exitCode()).isEqualTo(ExitCodes.USAGE);
    }
}
