package dev.kiln.agent.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.agent.Schemas;
import dev.kiln.agent.core.NodeAgent;
import dev.kiln.agent.events.EventOptions;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.ApiError;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.burnin.BurninTestIds;
import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.JobState;
import dev.kiln.protocol.burnin.JobStatus;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** /v1/jobs end to end: HTTP, the job manager, and a real worker child process on simulated GPUs. */
class JobsApiTest {
    private static final String TOKEN = "a-test-token-of-length-32-chars!";
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static Vertx vertx;
    private final List<NodeAgent> agents = new ArrayList<>();

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void closeAgents() {
        agents.forEach(NodeAgent::close);
    }

    /** A simulated H100 node with these faults, served on a fresh port; returns its base URL. */
    private String serve(Fault... faults) throws Exception {
        NodeAgent agent = NodeAgent.simulated("node-jobs", ServerPresets.HGX_H100, FaultPlan.of(faults), 1, true,
                EventOptions.off());
        agents.add(agent);
        return ServedAgent.serve(vertx, agent, TOKEN);
    }

    private static HttpResponse<String> send(String method, String url, String body) throws Exception {
        return ServedAgent.send(TOKEN, method, url, body);
    }

    private static JobStatus post(String base, String body) throws Exception {
        HttpResponse<String> r = send("POST", base + "/v1/jobs", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        JobStatus s = KilnJson.mapper().readValue(r.body(), JobStatus.class);
        assertThat(s.state()).isIn(JobState.RUNNING, JobState.PASSED, JobState.FAILED);
        return s;
    }

    private static ApiError error(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        return KilnJson.mapper().readValue(r.body(), ApiError.class);
    }

    private static JobStatus awaitEnd(String base, String id, Duration within) throws Exception {
        long until = System.nanoTime() + within.toNanos();
        while (true) {
            HttpResponse<String> r = send("GET", base + "/v1/jobs/" + id, null);
            assertThat(r.statusCode()).isEqualTo(200);
            JobStatus s = KilnJson.mapper().readValue(r.body(), JobStatus.class);
            if (s.state().terminal()) {
                return s;
            }
            assertThat(System.nanoTime()).as("job %s still %s: %s", id, s.state(), s.current()).isLessThan(until);
            Thread.sleep(100);
        }
    }

    private static void assertHealthy(String base) throws Exception {
        HttpResponse<String> node = send("GET", base + "/v1/node", null);
        assertThat(node.statusCode()).isEqualTo(200);
        assertThat(node.body()).contains("\"name\":\"node-jobs\"");
    }

    @Test
    void aHealthyNodePassesAndTheEventsStreamReplaysInOrder() throws Exception {
        String base = serve();
        JobStatus started = post(base, "{\"type\":\"burnin\",\"gpus\":[0,1],\"durationSeconds\":1}");
        assertThat(started.request().tests()).containsExactlyElementsOf(BurninTestIds.DEFAULT_ORDER);
        assertThat(started.node()).isEqualTo("node-jobs");
        // A live subscriber, while it runs.
        HttpResponse<String> live = send("GET", base + "/v1/jobs/" + started.id() + "/events", null);
        JobStatus done = awaitEnd(base, started.id(), Duration.ofSeconds(30));
        assertThat(done.state()).as(done.reason()).isEqualTo(JobState.PASSED);
        assertThat(Schemas.errorsOfText(Schemas.JOB, send("GET", base + "/v1/jobs/" + started.id(), null).body()))
                .isEmpty();
        assertThat(done.progress()).isEqualTo(1.0);
        assertThat(done.results()).hasSize(8).allSatisfy(r -> assertThat(r.verdict()).isEqualTo("PASS"));
        assertThat(done.results()).anySatisfy(r -> {
            assertThat(r.test()).isEqualTo(BurninTestIds.COMPUTE);
            assertThat(r.metrics().get("tensorTflops")).isBetween(500.0, 700.0);
            assertThat(r.uuid()).startsWith("GPU-");
        });
        assertThat(done.telemetry()).isNotEmpty().allSatisfy(t -> assertThat(t.gpuIndex()).isIn(0, 1));

        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(live.headers().firstValue("Content-Type")).hasValue("text/event-stream");
        List<String[]> events = sse(live.body());
        assertThat(events.getFirst()[0]).isEqualTo("state");
        assertThat(events.getLast()[0]).isEqualTo("state");
        assertThat(KilnJson.mapper().readTree(events.getLast()[2]).get("state").asText()).isEqualTo("PASSED");
        assertThat(events.stream().map(e -> e[0]).distinct().toList())
                .containsExactlyInAnyOrder("state", "progress", "telemetry", "result");
        List<Long> ids = events.stream().map(e -> Long.parseLong(e[1])).toList();
        assertThat(ids).isSorted().doesNotHaveDuplicates();
        assertThat(events.stream().filter(e -> e[0].equals("result")).count()).isEqualTo(8);

        // After the end, the same stream is replayed whole and ends.
        HttpResponse<String> replay = send("GET", base + "/v1/jobs/" + started.id() + "/events", null);
        assertThat(sse(replay.body()).stream().map(e -> e[1]).toList())
                .containsExactlyElementsOf(events.stream().map(e -> e[1]).toList());

        // A reconnecting client names the last event it saw and gets only what followed.
        String mid = events.get(events.size() / 2)[1];
        HttpResponse<String> resumed = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/v1/jobs/" + started.id()
                        + "/events")).header("Authorization", "Bearer " + TOKEN).header("Last-Event-ID", mid).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(sse(resumed.body()).stream().map(e -> e[1]).toList()).containsExactlyElementsOf(events.stream()
                .map(e -> e[1]).filter(i -> Long.parseLong(i) > Long.parseLong(mid)).toList());
        HttpResponse<String> badId = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/v1/jobs/" + started.id()
                        + "/events")).header("Authorization", "Bearer " + TOKEN).header("Last-Event-ID", "x").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(badId.statusCode()).isEqualTo(400);
        assertThat(badId.body()).contains("Last-Event-ID");

        JsonNode list = KilnJson.mapper().readTree(send("GET", base + "/v1/jobs", null).body());
        assertThat(list.get("kind").asText()).isEqualTo("kiln.job-list");
        assertThat(list.get("jobs")).hasSize(1);
        assertThat(list.get("notes").get(0).asText()).contains("no state directory");
    }

    /** [type, id, data] of each event. */
    private static List<String[]> sse(String body) {
        List<String[]> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            if (block.isBlank()) {
                continue;
            }
            String type = null;
            String id = null;
            String data = null;
            for (String line : block.split("\n")) {
                if (line.startsWith("event: ")) {
                    type = line.substring(7);
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("data: ")) {
                    data = line.substring(6);
                }
            }
            out.add(new String[]{type, id, data});
        }
        return out;
    }

    @Test
    void wrongResultsOnOneGpuFailThatGpuOnly() throws Exception {
        String base = serve(new Fault.BurninWrongResults(1));
        JobStatus s = post(base, "{\"type\":\"burnin\",\"tests\":[\"burnin.compute\"],\"gpus\":[0,1,2],\"durationSeconds\":1}");
        JobStatus done = awaitEnd(base, s.id(), Duration.ofSeconds(30));
        assertThat(done.state()).isEqualTo(JobState.FAILED);
        assertThat(done.reason()).contains("test failed");
        assertThat(Schemas.errors(Schemas.JOB, done)).isEmpty();
        assertThat(done.results()).hasSize(3);
        for (GpuTestResult r : done.results()) {
            assertThat(r.verdict()).as("GPU %d", r.gpuIndex()).isEqualTo(r.gpuIndex() == 1 ? "FAIL" : "PASS");
        }
    }

    @Test
    void eachGpuFaultFailsItsOwnGpuThroughTheWorkerProcess() throws Exception {
        String base = serve(new Fault.BurninMemoryErrors(1, List.of(0x7f3a00001000L)),
                new Fault.BurninThermal(2, Duration.ofMillis(100)), new Fault.BurninXid(3, 79, Duration.ofMillis(100)));
        JobStatus s = post(base, "{\"type\":\"burnin\",\"tests\":[\"burnin.memory\",\"burnin.compute\"],"
                + "\"gpus\":[0,1,2,3],\"durationSeconds\":1}");
        JobStatus done = awaitEnd(base, s.id(), Duration.ofSeconds(30));
        assertThat(done.state()).isEqualTo(JobState.FAILED);
        assertThat(done.results()).hasSize(8);
        assertThat(done.results().stream().filter(r -> r.gpuIndex() == 0))
                .allSatisfy(r -> assertThat(r.verdict()).isEqualTo("PASS"));
        assertThat(done.results()).anySatisfy(r -> {
            assertThat(r.gpuIndex()).isEqualTo(1);
            assertThat(r.verdict()).isEqualTo("FAIL");
            assertThat(r.findings()).anySatisfy(f -> assertThat(f).startsWith("mismatch at 0x7f3a00001000"));
        });
        assertThat(done.results()).anySatisfy(r -> {
            assertThat(r.gpuIndex()).isEqualTo(2);
            assertThat(r.verdict()).isEqualTo("FAIL");
            assertThat(r.reason()).contains("hw_thermal_slowdown");
        });
        assertThat(done.results()).anySatisfy(r -> {
            assertThat(r.gpuIndex()).isEqualTo(3);
            assertThat(r.verdict()).isEqualTo("FAIL");
            assertThat(r.reason()).contains("Xid 79");
        });
        assertThat(done.results().stream().filter(r -> r.gpuIndex() == 3))
                .noneSatisfy(r -> assertThat(r.verdict()).isEqualTo("PASS"));
    }

    @Test
    void aCrashedWorkerFailsTheJobAndTheAgentRunsTheNextOne() throws Exception {
        String base = serve(new Fault.WorkerCrash(Duration.ofMillis(300)));
        for (int i = 0; i < 2; i++) {
            JobStatus s = post(base, "{\"type\":\"burnin\",\"gpus\":[0],\"durationSeconds\":2}");
            JobStatus done = awaitEnd(base, s.id(), Duration.ofSeconds(30));
            assertThat(done.state()).isEqualTo(JobState.FAILED);
            assertThat(done.reason()).contains("the burn-in worker died", "exit status 134");
            assertHealthy(base);
        }
    }

    @Test
    void aHungWorkerIsKilledAfterTheHeartbeatTimeoutAndTheAgentStaysHealthy() throws Exception {
        String base = serve(new Fault.WorkerHang(Duration.ofMillis(200)));
        JobStatus s = post(base, "{\"type\":\"burnin\",\"gpus\":[0,1],\"durationSeconds\":2}");
        long pid = workerPid();
        assertThat(pid).isPositive();
        JobStatus done = awaitEnd(base, s.id(), Duration.ofSeconds(30));
        assertThat(done.state()).isEqualTo(JobState.FAILED);
        assertThat(done.reason()).contains("stopped heart-beating", "killed");
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertHealthy(base);
        // The next job is accepted and supervised the same way.
        JobStatus next = post(base, "{\"type\":\"burnin\",\"gpus\":[0],\"durationSeconds\":1}");
        assertThat(next.id()).isNotEqualTo(s.id());
        assertThat(awaitEnd(base, next.id(), Duration.ofSeconds(30)).state()).isEqualTo(JobState.FAILED);
    }

    private long workerPid() {
        return dev.kiln.agent.burnin.JobManagerAccess.runningWorkerPid(agents.getFirst().jobs());
    }

    @Test
    void cancelStopsTheJobWithinSecondsAndASecondJobIsRefusedWhileOneRuns() throws Exception {
        String base = serve();
        JobStatus s = post(base, "{\"type\":\"burnin\",\"gpus\":[0],\"durationSeconds\":60}");
        ApiError busy = error(send("POST", base + "/v1/jobs", "{\"type\":\"burnin\",\"durationSeconds\":5}"), 409);
        assertThat(busy.message()).contains(s.id(), "DELETE /v1/jobs/" + s.id());
        Thread.sleep(300);
        long t0 = System.nanoTime();
        HttpResponse<String> del = send("DELETE", base + "/v1/jobs/" + s.id(), null);
        assertThat(del.statusCode()).isEqualTo(200);
        JobStatus cancelled = KilnJson.mapper().readValue(del.body(), JobStatus.class);
        assertThat(cancelled.state()).isEqualTo(JobState.CANCELLED);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        error(send("DELETE", base + "/v1/jobs/" + s.id(), null), 409);
        assertHealthy(base);
    }

    @Test
    void aGpuWithSomeonesProcessIsRefusedUnlessForced() throws Exception {
        String base = serve(new Fault.ProcessRunning(3, 31337, 1L << 30));
        ApiError e = error(send("POST", base + "/v1/jobs", "{\"type\":\"burnin\",\"gpus\":[2,3],\"durationSeconds\":1}"),
                409);
        assertThat(e.message()).contains("GPU 3", "pid 31337", "force");
        JobStatus forced = post(base, "{\"type\":\"burnin\",\"gpus\":[3],\"durationSeconds\":1,\"force\":true,"
                + "\"tests\":[\"burnin.pcie\"]}");
        assertThat(awaitEnd(base, forced.id(), Duration.ofSeconds(30)).state()).isEqualTo(JobState.PASSED);
    }

    @Test
    void throughputIsJudgedByTheSpecsBurninMinimumsAndSaysWhere() throws Exception {
        String base = serve();
        // No specName on a simulated node: the preset's built-in spec, as for checks.
        JobStatus byDefault = awaitEnd(base, post(base, "{\"tests\":[\"burnin.hbm-bandwidth\"],\"gpus\":[0],"
                + "\"durationSeconds\":1}").id(), Duration.ofSeconds(30));
        JobStatus named = awaitEnd(base, post(base, "{\"tests\":[\"burnin.hbm-bandwidth\"],\"gpus\":[0],"
                + "\"durationSeconds\":1,\"specName\":\"hgx-h100\"}").id(), Duration.ofSeconds(30));
        for (JobStatus done : List.of(byDefault, named)) {
            assertThat(done.state()).as(done.reason()).isEqualTo(JobState.PASSED);
            assertThat(done.results()).singleElement().satisfies(r -> {
                assertThat(r.metrics()).containsEntry("minimumGbps", 2465.0);
                assertThat(r.findings()).contains("minimum from spec hgx-h100");
            });
        }
        assertThat(named.request().specName()).isEqualTo("hgx-h100");
        assertThat(Schemas.errorsOfText(Schemas.JOB, send("GET", base + "/v1/jobs/" + named.id(), null).body()))
                .isEmpty();
    }

    @Test
    void aSpecSentInlineJudgesTheJob() throws Exception {
        String base = serve();
        // A site's spec file, which the agent does not have, as kiln sends it: its minimum is out of reach.
        String spec = "{\"spec\":\"site-h100-strict\",\"burnin\":{\"hbmGbps\":9000}}";
        JobStatus strict = awaitEnd(base, post(base, "{\"tests\":[\"burnin.hbm-bandwidth\"],\"gpus\":[0],"
                + "\"durationSeconds\":1,\"spec\":" + spec + "}").id(), Duration.ofSeconds(60));
        assertThat(strict.state()).as(strict.reason()).isEqualTo(JobState.FAILED);
        assertThat(strict.results()).singleElement().satisfies(r -> {
            assertThat(r.metrics()).containsEntry("minimumGbps", 9000.0);
            assertThat(r.findings()).anyMatch(f -> f.contains("minimum from spec site-h100-strict"));
        });
        // The status names the spec and does not echo it on every poll.
        assertThat(strict.request().specName()).isEqualTo("site-h100-strict");
        assertThat(strict.request().spec()).isNull();
        assertThat(Schemas.errorsOfText(Schemas.JOB, send("GET", base + "/v1/jobs/" + strict.id(), null).body()))
                .isEmpty();

        assertThat(error(send("POST", base + "/v1/jobs", "{\"durationSeconds\":1,\"specName\":\"hgx-h100\","
                + "\"spec\":" + spec + "}"), 400).message()).contains("not both");
        assertThat(error(send("POST", base + "/v1/jobs", "{\"durationSeconds\":1,\"spec\":{\"spec\":\"x\","
                + "\"burnin\":{\"hbmGbs\":1}}}"), 400).message()).contains("hbmGbs");
    }

    @Test
    void badRequestsAreJsonErrors() throws Exception {
        String base = serve();
        assertThat(error(send("POST", base + "/v1/jobs", "{\"tests\":[\"burnin.computer\"],\"durationSeconds\":1}"), 400)
                .message()).contains("unknown burn-in test 'burnin.computer'", "did you mean 'burnin.compute'");
        assertThat(error(send("POST", base + "/v1/jobs", "{\"gpus\":[8],\"durationSeconds\":1}"), 400).message())
                .contains("no GPU 8");
        assertThat(error(send("POST", base + "/v1/jobs", "{\"durationSeconds\":0}"), 400).message())
                .contains("durationSeconds");
        assertThat(error(send("POST", base + "/v1/jobs", "{\"type\":\"fio\",\"durationSeconds\":1}"), 400).message())
                .contains("unknown job type");
        assertThat(error(send("POST", base + "/v1/jobs", "{\"specName\":\"dgx-a100\",\"durationSeconds\":1}"), 400)
                .message()).contains("no built-in spec named 'dgx-a100'");
        error(send("POST", base + "/v1/jobs", "{not json"), 400);
        error(send("POST", base + "/v1/jobs", ""), 400);
        error(send("GET", base + "/v1/jobs/nope", null), 404);
        error(send("GET", base + "/v1/jobs/nope/events", null), 404);
        error(send("DELETE", base + "/v1/jobs/nope", null), 404);
        assertThat(send("PUT", base + "/v1/jobs/x", "").headers().firstValue("Allow")).hasValue("GET, DELETE");
        error(send("DELETE", base + "/v1/jobs", null), 405);
        HttpResponse<String> noAuth = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/v1/jobs")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        error(noAuth, 401);
    }
}
