package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import dev.kiln.agent.fleet.FleetSimulator;
import dev.kiln.agent.fleet.RunningFleet;
import dev.kiln.cli.fanout.FanOut;
import dev.kiln.cli.fleet.FleetFile;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.cli.output.OutputFormat;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.burnin.BurninTestIds;
import dev.kiln.protocol.burnin.JobState;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.burnin.TelemetrySample;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kiln burnin} against an in-process simulated fleet (9 HGX H100 nodes, 8 GPUs each): every test
 * uses its own nodes, so none waits for another's job. node-004 computes wrong results on GPU 2; node-009's
 * worker crashes mid-run.
 */
class BurninCommandTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    static Path dir;

    static RunningFleet fleet;
    static String fleetFile;

    @BeforeAll
    static void startFleet() {
        FaultPlan faults = new FaultPlan(List.of(
                new FaultPlan.Rule(Optional.of("node-004"), Optional.empty(), new Fault.BurninWrongResults(2), 0),
                new FaultPlan.Rule(Optional.of("node-009"), Optional.empty(),
                        new Fault.WorkerCrash(Duration.ofMillis(300)), 0)));
        fleet = FleetSimulator.start(FleetSimulator.options(9, ServerPresets.get("hgx-h100"), faults, dir));
        fleetFile = fleet.fleetFile().toString();
    }

    @AfterAll
    static void stopFleet() {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void healthyNodesPassAndTheTableListsEveryGpuAndTest() {
        Kiln.Run run = Kiln.run("burnin", "--fleet", fleetFile, "--node", "node-001,node-002,node-003",
                "--duration", "3s");

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.OK);
        List<String> lines = run.out().lines().toList();
        assertThat(lines.get(0)).matches("NODE +GPU +SERIAL +BUS ID +TEST +VERDICT +METRIC +FINDING");
        for (String node : List.of("node-001", "node-002", "node-003")) {
            for (int gpu = 0; gpu < 8; gpu++) {
                for (String test : BurninTestIds.DEFAULT_ORDER) {
                    String prefix = node + " +" + gpu + " +\\d{13} +0000\\S+ +" + test.replace(".", "\\.") + " +PASS +";
                    assertThat(lines).as(run.describe()).anySatisfy(l -> assertThat(l).matches(prefix + ".*"));
                }
            }
        }
        assertThat(lines).filteredOn(l -> l.contains("burnin.compute")).allMatch(l -> l.contains("TFLOP/s"));
        assertThat(lines).filteredOn(l -> l.contains("burnin.hbm-bandwidth")).allMatch(l -> l.contains("GB/s"));
        assertThat(run.out()).contains("3 nodes: 3 passed; 96 results: 96 PASS");
        // Not a terminal: a line per node per state change on stderr.
        assertThat(run.err()).contains("kiln: node-002: job burnin-").contains(" PASSED (32 PASS)");
    }

    @Test
    void wrongResultsOnGpu2FailThatGpusComputeTestAndExit3() {
        Kiln.Run run = Kiln.run("burnin", "--fleet", fleetFile, "--node", "node-004", "--duration", "3s",
                "--tests", "compute,pcie");

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
        List<String> fails = run.out().lines().filter(l -> l.contains(" FAIL ")).toList();
        assertThat(fails).as(run.describe()).singleElement().satisfies(l -> assertThat(l)
                .matches("node-004 +2 +\\d{13} +0000\\S+ +burnin\\.compute +FAIL +.*TFLOP/s "
                        + "+repeat 2 differs from repeat 1 in \\d+ of .*"));
        assertThat(run.out()).doesNotContain("node-004  -").contains("1 node: 1 failed; 16 results: 15 PASS, 1 FAIL");
    }

    @Test
    void aSpecFileFromTheFleetFileJudgesTheJobThoughTheAgentHasNoCopy() throws IOException {
        // A site's spec file (the built-in H100 spec with a stricter HBM minimum), named by the fleet file's defaults.
        Path spec = dir.resolve("strict-h100.yaml");
        Files.writeString(spec, dev.kiln.protocol.spec.BuiltinSpecs.yaml("hgx-h100").replace("spec: hgx-h100", "spec: strict-h100").replaceAll("hbmGbps: [0-9.]+",
                "hbmGbps: 9000"));
        Path strictFleet = dir.resolve("strict-fleet.yaml");
        Files.writeString(strictFleet, Files.readString(Path.of(fleetFile)).replace("defaults:\n",
                "defaults:\n  spec: " + spec + "\n"));

        Kiln.Run run = Kiln.run("burnin", "--fleet", strictFleet.toString(), "--node", "node-002", "--gpus", "0",
                "--duration", "2s", "--tests", "hbm-bandwidth", "-o", "json");

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
        JsonNode job = run.json().get(0).path("job");
        assertThat(job.path("request").path("specName").asText()).isEqualTo("strict-h100");
        JsonNode result = job.path("results").get(0);
        assertThat(result.path("verdict").asText()).isEqualTo("FAIL");
        assertThat(result.path("metrics").path("minimumGbps").asDouble()).isEqualTo(9000.0);
        assertThat(result.path("findings").toString()).contains("minimum from spec strict-h100");
    }

    @Test
    void aCrashedWorkerFailsTheJobWithTheAgentsReasonOnANodeRow() {
        Kiln.Run run = Kiln.run("burnin", "--fleet", fleetFile, "--node", "node-009", "--duration", "2s");

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(run.out()).containsPattern("node-009 +- +- +- +- +FAILED +- +the burn-in worker died");
        assertThat(run.err()).contains("node-009: job burnin-").contains(" FAILED (");
    }

    @Test
    void jsonlCarriesEventsAndEndsWithEachNodesFinalState() throws IOException {
        Kiln.Run run = Kiln.run("burnin", "--fleet", fleetFile, "--node", "node-005,node-006", "--duration", "2s",
                "--tests", "burnin.pcie,burnin.compute", "-o", "jsonl");

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.OK);
        List<JsonNode> events = run.jsonLines();
        for (String node : List.of("node-005", "node-006")) {
            List<JsonNode> mine = events.stream().filter(e -> e.path("node").asText().equals(node)).toList();
            assertThat(mine).extracting(e -> e.path("event").asText())
                    .contains("state", "progress", "telemetry", "result");
            assertThat(mine).allSatisfy(e -> assertThat(e.path("job").asText()).startsWith("burnin-"));
            assertThat(mine.stream().filter(e -> e.path("event").asText().equals("result"))).hasSize(16);
            JsonNode last = mine.get(mine.size() - 1);
            assertThat(last.path("event").asText()).isEqualTo("final");
            assertThat(last.path("outcome").asText()).isEqualTo("passed");
            assertThat(last.path("state").asText()).isEqualTo("PASSED");
            assertThat(last.path("status").path("results")).hasSize(16);
            assertThat(jobSchema().validate(last.path("status"))).as("schema errors").isEmpty();
            assertThat(mine.stream().filter(e -> e.path("event").asText().equals("telemetry")).findFirst()
                    .orElseThrow().path("telemetry").path("temperatureCelsius").isInt()).isTrue();
        }
        assertThat(run.err()).contains("kiln: 2 nodes: 2 passed; 32 results: 32 PASS");
    }

    @Test
    void aBusyNodeIsRecordedWithTheAgentsMessageAndExit4() throws Exception {
        JobStatus other = post("node-007", "{\"type\":\"burnin\",\"durationSeconds\":60}");
        try {
            Kiln.Run run = Kiln.run("burnin", "--fleet", fleetFile, "--node", "node-007", "--duration", "3s");

            assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.UNREACHABLE);
            assertThat(run.out()).contains("node-007").contains("REFUSED")
                    .contains("HTTP 409: job_running: job " + other.id() + " is running");
            assertThat(run.out()).contains("1 node: 1 refused; 0 results");

            Kiln.Run json = Kiln.run("burnin", "--fleet", fleetFile, "--node", "node-007", "--duration", "3s",
                    "-o", "json");
            assertThat(json.exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
            JsonNode doc = json.json().get(0);
            assertThat(doc.path("httpStatus").asInt()).isEqualTo(409);
            assertThat(doc.path("outcome").asText()).isEqualTo("refused");
            assertThat(doc.path("reachable").asBoolean()).isTrue();
            assertThat(doc.path("job").isNull()).isTrue();
        } finally {
            send("node-007", "DELETE", "/v1/jobs/" + other.id(), null);
        }
    }

    @Test
    void badUsageExits2BeforeAnythingIsSent() {
        Kiln.Run unknown = Kiln.run("burnin", "--fleet", fleetFile, "--tests", "burnin.compoot");
        assertThat(unknown.exitCode()).as(unknown.describe()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err()).contains("unknown burn-in test 'burnin.compoot'")
                .contains("did you mean 'burnin.compute'?").contains("See 'kiln burnin --help'");
        assertThat(unknown.out()).isEmpty();

        assertThat(Kiln.run("burnin", "--fleet", fleetFile, "--tests", "memroy").err())
                .contains("did you mean 'burnin.memory'?");
        Kiln.Run noUnit = Kiln.run("burnin", "--fleet", fleetFile, "--duration", "30");
        assertThat(noUnit.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(noUnit.err()).contains("'30' has no unit");
        assertThat(Kiln.run("burnin", "--fleet", fleetFile, "--duration", "0s").exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(Kiln.run("burnin", "--fleet", fleetFile, "--duration", "-1m").exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(Kiln.run("burnin", "--fleet", fleetFile, "--gpus", "-1").exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(Kiln.run("burnin", "--help").out()).contains("--duration").contains("Exit codes:");
    }

    @Test
    void detachPrintsJobIdsAndTheJobsRunOn() throws Exception {
        Kiln.Run run = Kiln.run("burnin", "--fleet", fleetFile, "--node", "node-008", "--duration", "10m",
                "--tests", "pcie", "--detach", "-o", "json");

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.OK);
        JsonNode doc = run.json().get(0);
        String id = doc.path("jobId").asText();
        assertThat(id).startsWith("burnin-");
        assertThat(doc.path("job").path("state").asText()).isIn("QUEUED", "RUNNING");
        assertThat(jobSchema().validate(doc.path("job"))).as("schema errors").isEmpty();
        // kiln returned and the 10-minute job runs on without it (had kiln waited, the job would have ended).
        assertThat(get("node-008", id).state()).isEqualTo(JobState.RUNNING);
        send("node-008", "DELETE", "/v1/jobs/" + id, null);
        JobStatus end = await("node-008", id);
        assertThat(end.state()).as(end.reason()).isEqualTo(JobState.CANCELLED);
    }

    /** The Ctrl-C hook's work: DELETE the jobs this run started and that still run. */
    @Test
    void cancelStopsTheRunningJobsItStarted() throws Exception {
        JobStatus started = post("node-003", "{\"type\":\"burnin\",\"durationSeconds\":60}");
        FleetNode node = FleetFile.load(fleet.fleetFile()).nodes().get(2);
        BurninJob job = new BurninJob(node);
        job.jobId = started.id();
        StringWriter err = new StringWriter();
        try (FanOut fanOut = FanOut.start()) {
            BurninCommand.cancel(fanOut, List.of(job), Duration.ofSeconds(5), 4, new PrintWriter(err, true),
                    new AtomicBoolean());
        }
        assertThat(err.toString()).contains("cancelling 1 burn-in job").contains("node-003: job " + started.id()
                + " CANCELLED");
        assertThat(get("node-003", started.id()).state()).isEqualTo(JobState.CANCELLED);
    }

    @Test
    void aNodeLostMidRunIsUnreachableWithItsLastKnownState() throws Exception {
        try (RunningFleet small = FleetSimulator.start(FleetSimulator.options(1, ServerPresets.PCIE_L40S, null,
                dir.resolve("lost")))) {
            CompletableFuture<Kiln.Run> running = CompletableFuture.supplyAsync(() -> Kiln.run("burnin", "--fleet",
                    small.fleetFile().toString(), "--duration", "30s", "--timeout", "1s"));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (small.agent("node-001").jobs().list().isEmpty() && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            Thread.sleep(1500); // at least one poll saw it running
            small.stopNode("node-001");
            Kiln.Run run = running.get(20, TimeUnit.SECONDS);

            assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.UNREACHABLE);
            assertThat(run.out()).containsPattern("node-001 +- +- +- +- +UNREACHABLE +- +connection refused.*"
                    + "\\(last known: RUNNING, \\d+%");
            assertThat(run.err()).contains("node-001: job burnin-").contains("unreachable (last known: RUNNING");
        }
    }

    @Test
    void onATerminalEachNodesLineIsRedrawnWithProgressTemperatureAndPower() {
        FleetNode node = new FleetNode("node-042", "rack-09", "10.0.0.42:9478", "10.0.0.42", 9478, "t", 1, null);
        BurninJob job = new BurninJob(node);
        Instant t = Instant.parse("2026-11-27T03:00:00Z");
        job.status = new JobStatus(1, JobStatus.KIND, "burnin-x", "node-042", null, JobState.RUNNING, t, t, null, 0.5,
                "burnin.memory on GPUs 0-1", null, List.of(), List.of(
                sample(t, 0, 70, 600_000), sample(t, 1, 81, 700_000),
                sample(t.plusSeconds(1), 0, 74, 700_000), sample(t.minusSeconds(1), 1, 90, 100_000)));
        StringWriter err = new StringWriter();
        BurninOutput live = new BurninOutput(OutputFormat.table, new PrintWriter(new StringWriter()),
                new PrintWriter(err, true), true);

        live.redraw(List.of(job));
        live.redraw(List.of(job));

        assertThat(err.toString()).contains("\033[1A")
                .contains("node-042  [##########..........]  50%  burnin.memory on GPUs 0-1  81°C  1.4 kW");
    }

    private static TelemetrySample sample(Instant time, int gpu, int celsius, int milliwatts) {
        return new TelemetrySample(time, gpu, celsius, null, milliwatts, null, null, null, null, null, null);
    }

    // --- helpers -------------------------------------------------------------------------------------

    /** docs/schema/job.schema.json, with format assertions on as in CheckCommandsTest. */
    private static JsonSchema jobSchema() throws IOException {
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
        try (InputStream in = Files.newInputStream(Path.of("..", "docs", "schema", "job.schema.json"))) {
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in, config);
        }
    }

    private static JobStatus post(String node, String body) throws Exception {
        HttpResponse<String> r = send(node, "POST", "/v1/jobs", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        return KilnJson.mapper().readValue(r.body(), JobStatus.class);
    }

    private static JobStatus get(String node, String id) throws Exception {
        return KilnJson.mapper().readValue(send(node, "GET", "/v1/jobs/" + id, null).body(), JobStatus.class);
    }

    private static JobStatus await(String node, String id) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            JobStatus s = get(node, id);
            if (s.state().terminal() || System.nanoTime() > until) {
                return s;
            }
            Thread.sleep(100);
        }
    }

    private static HttpResponse<String> send(String node, String method, String path, String body) throws Exception {
        FleetSimulator.SimNode n = fleet.nodes().stream().filter(x -> x.name().equals(node)).findFirst().orElseThrow();
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + n.address() + path))
                .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + fleet.token())
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
