package dev.kiln.cli.db;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.cli.ExitCodes;
import dev.kiln.cli.KilnCli;
import dev.kiln.protocol.KilnJson;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code kiln history} end to end on a SQLite file, and that the rest of kiln never loads the database code. */
class HistoryCommandTest {
    @TempDir
    Path dir;
    String url;

    record Run(int exitCode, String out, String err) {
    }

    static Run kiln(String... args) {
        CommandLine cl = KilnCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeEach
    void seed() throws Exception {
        url = "jdbc:sqlite:" + dir.resolve("kiln.db");
        try (ResultsDb db = ResultsDb.open(url)) {
            db.createRun(new NewRun("br-1", "alice@rack-pc", null, null));
            for (String s : List.of("reachable", "inventory", "health")) {
                StageAttempt a = db.startStage(new StageStart("br-1", "n1", "rack-1", s, 800.0));
                db.finishStage(a.id(), new StageResult(AttemptState.PASSED, "PASS", null, "{\"verdict\":\"PASS\"}", "[]"));
            }
            StageAttempt b = db.startStage(new StageStart("br-1", "n1", "rack-1", "burn-in", 5600.0));
            db.attachJob(b.id(), "job-9");
            db.finishStage(b.id(), new StageResult(AttemptState.FAILED, "FAILED", "GPU 3: memory pattern mismatch",
                    "{\"state\":\"FAILED\",\"gpus\":[3]}", "[{\"gpu\":3}]"));
            db.recordVerdict(new NodeVerdict("br-1", "n1", "rack-1", NodeVerdict.Outcome.QUARANTINED,
                    List.of("burnin failed on GPU 3"), List.of("reseat or replace GPU 3"),
                    List.of(new NodeVerdict.RmaPart(3, "1652823012345", "GPU-3333", "memory pattern mismatch"))));
            db.finishRun("br-1", 3, "1 quarantined");
            Thread.sleep(5);
            db.createRun(new NewRun("br-2", "bob@rack-pc", null, null));
            StageAttempt retest = db.startStage(new StageStart("br-2", "n1", "rack-1", "burn-in", 5600.0));
            db.finishStage(retest.id(), new StageResult(AttemptState.PASSED, "PASSED", "after GPU swap", "{}", "[]"));
            db.recordVerdict(new NodeVerdict("br-2", "n1", "rack-1", NodeVerdict.Outcome.ACCEPTED, null, null, null));
            db.finishRun("br-2", 0, null);
        }
    }

    @Test
    void tableShowsTheWholeTrailOldestFirst() {
        Run r = kiln("history", "--node", "n1", "--db", url);
        assertThat(r.exitCode()).as(r.err()).isEqualTo(ExitCodes.OK);
        List<String> lines = r.out().lines().toList();
        assertThat(lines.getFirst()).startsWith("TIME (UTC)").contains("RUN").contains("RESULT").contains("DETAIL");
        assertThat(lines).hasSize(1 + 1 + 4 + 1 + 1 + 1 + 1);
        assertThat(lines.get(1)).contains("br-1").contains("run").contains("finished").contains("by alice@rack-pc");
        assertThat(lines.get(5)).contains("burn-in").contains("failed").doesNotContain("(FAILED)").contains("GPU 3: memory pattern mismatch")
                .contains("(job job-9)");
        assertThat(lines.get(6)).contains("verdict").contains("quarantined")
                .contains("RMA GPU 3 serial 1652823012345 (memory pattern mismatch)");
        assertThat(lines.get(7)).contains("br-2").contains("run");
        assertThat(lines.get(9)).contains("br-2").contains("accepted");
        assertThat(r.err()).contains("node n1: 2 run(s), 5 stage attempt(s), 2 verdict(s); latest verdict accepted (run br-2");
    }

    @Test
    void jsonEmbedsEvidenceAndJsonlStreamsTheTimeline() throws Exception {
        Run r = kiln("history", "--node", "n1", "--db", url, "-o", "json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = KilnJson.mapper().readTree(r.out());
        assertThat(j.get("node").asText()).isEqualTo("n1");
        assertThat(j.get("database").asText()).isEqualTo(url);
        assertThat(j.get("latestVerdict").get("verdict").get("outcome").asText()).isEqualTo("ACCEPTED");
        assertThat(j.get("timeline")).hasSize(9);
        JsonNode burnin = j.get("attempts").get(3);
        assertThat(burnin.get("evidence").get("gpus").get(0).asInt()).isEqualTo(3);
        assertThat(burnin.get("findings").get(0).get("gpu").asInt()).isEqualTo(3);
        assertThat(burnin.get("agentJobId").asText()).isEqualTo("job-9");
        assertThat(burnin.has("evidenceJson")).isFalse();
        assertThat(j.get("verdicts").get(0).get("verdict").get("rma").get(0).get("serial").asText())
                .isEqualTo("1652823012345");

        Run l = kiln("history", "--node", "n1", "--db", url, "-o", "jsonl");
        assertThat(l.exitCode()).isZero();
        List<JsonNode> entries = new ArrayList<>();
        for (String line : l.out().lines().toList()) {
            entries.add(KilnJson.mapper().readTree(line));
        }
        assertThat(entries).hasSize(9).allSatisfy(e -> assertThat(e.get("node").asText()).isEqualTo("n1"));
        assertThat(entries.getLast().get("kind").asText()).isEqualTo("verdict");
    }

    @Test
    void aNodeWithoutRecordsPrintsNothing() {
        Run r = kiln("history", "--node", "n99", "--db", url);
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("nothing recorded for node n99 in " + url);
    }

    @Test
    void unusableDatabasesAreUsageErrors() throws Exception {
        Run bad = kiln("history", "--node", "n1", "--db", "jdbc:mysql://db/kiln");
        assertThat(bad.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("kiln history: unsupported database URL 'jdbc:mysql://db/kiln'")
                .contains("See 'kiln history --help'.").doesNotContain("\tat ");

        Path notes = Files.writeString(dir.resolve("notes.db"), "not a database\n".repeat(100));
        Run notKiln = kiln("history", "--node", "n1", "--db", "jdbc:sqlite:" + notes);
        assertThat(notKiln.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(notKiln.err()).contains(notes + " is not a Kiln results database");

        Run missing = kiln("history", "--db", url);
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).contains("Missing required option: '--node=NODE'");

        assertThat(kiln("history", "--help").out()).contains("--node=NODE").contains("--db=JDBC-URL")
                .contains("(its RMA").contains("Exit codes:");
        assertThat(kiln("--help").out()).contains("history");
    }

    @Test
    void otherCommandsNeverLoadTheDatabaseCode() throws Exception {
        Path log = dir.resolve("classes.log");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-Xlog:class+load=info:file=" + log, "-cp",
                System.getProperty("java.class.path"), "--enable-native-access=ALL-UNNAMED", "dev.kiln.cli.KilnMain",
                "--help").redirectErrorStream(true).redirectOutput(dir.resolve("help.out").toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        String loaded = Files.readString(log);
        assertThat(loaded).contains("dev.kiln.cli.db.HistoryCommand");
        assertThat(loaded).doesNotContain("org.flywaydb").doesNotContain("org.sqlite").doesNotContain("org.postgresql")
                .doesNotContain("dev.kiln.cli.db.ResultsDb").doesNotContain("dev.kiln.cli.db.HistoryReport");
    }
}
