package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.cli.fanout.FanOut;
import dev.kiln.cli.fanout.NodeError;
import dev.kiln.cli.fanout.NodeResult;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.NodeIdentity;
import dev.kiln.protocol.NodeInfo;
import dev.kiln.protocol.NvmlStatus;
import dev.kiln.protocol.ProtocolVersion;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.check.GpuRef;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The fan-out against hand-made misbehaving servers: bounded concurrency, and every failure kept per node. */
class FanOutTest {
    private static final String TOKEN = "fan-out-test-token-0123456789";

    @TempDir
    static Path dir;

    static Vertx vertx;
    static byte[] nodeInfo;
    static final List<HttpServer> servers = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        vertx = Vertx.vertx();
        nodeInfo = KilnJson.mapper().writeValueAsBytes(new NodeInfo(ProtocolVersion.SCHEMA_VERSION, "fake", "fake",
                "test", Instant.now(), 1, NodeInfo.MODE_REAL, null,
                new NvmlStatus(true, null, "fake", "550.54.15", "12.550", "12.4", List.of()), 8));
        Files.writeString(dir.resolve("token"), TOKEN + "\n");
    }

    @AfterAll
    static void tearDown() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static int serve(Handler<HttpServerRequest> handler) throws Exception {
        HttpServer s = vertx.createHttpServer().requestHandler(handler).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        servers.add(s);
        return s.actualPort();
    }

    /** A fleet file with one rack; each entry is {name, address}. */
    static Path fleetFile(String name, List<String[]> nodes) throws IOException {
        StringBuilder sb = new StringBuilder("defaults:\n  tokenFile: token\nracks:\n  - name: rack-01\n    nodes:\n");
        for (String[] n : nodes) {
            sb.append("      - name: ").append(n[0]).append("\n        address: ").append(n[1]).append('\n');
        }
        Path f = dir.resolve(name + ".yaml");
        Files.writeString(f, sb);
        return f;
    }

    @Test
    void maxInFlightBoundsConcurrentRequests() throws Exception {
        AtomicInteger current = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        AtomicInteger total = new AtomicInteger();
        ConcurrentLinkedQueue<String> auth = new ConcurrentLinkedQueue<>();
        int port = serve(req -> {
            int now = current.incrementAndGet();
            max.accumulateAndGet(now, Math::max);
            total.incrementAndGet();
            auth.add(String.valueOf(req.getHeader("Authorization")));
            vertx.setTimer(120, t -> {
                current.decrementAndGet(); // before the answer leaves, so the client cannot start the next one first
                req.response().putHeader("Content-Type", "application/json").end(io.vertx.core.buffer.Buffer.buffer(nodeInfo));
            });
        });
        List<String[]> nodes = new ArrayList<>();
        for (int i = 1; i <= 8; i++) {
            nodes.add(new String[]{"slow-" + i, "127.0.0.1:" + port});
        }
        Path f = fleetFile("slow", nodes);

        long t0 = System.nanoTime();
        Kiln.Run run = Kiln.run("status", "--fleet", f.toString(), "--max-in-flight", "2", "-o", "jsonl");
        long ms = (System.nanoTime() - t0) / 1_000_000;

        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(total.get()).isEqualTo(8);
        assertThat(max.get()).as("most requests in flight at once").isBetween(1, 2);
        assertThat(ms).as("8 requests of 120 ms, 2 at a time").isGreaterThanOrEqualTo(4 * 120);
        assertThat(auth).containsOnly("Bearer " + TOKEN);
        assertThat(run.jsonLines()).extracting(n -> n.get("node").asText())
                .containsExactly("slow-1", "slow-2", "slow-3", "slow-4", "slow-5", "slow-6", "slow-7", "slow-8");

        // The bound is what limited it: allow more and more run at once.
        max.set(0);
        Kiln.Run wide = Kiln.run("status", "--fleet", f.toString(), "--max-in-flight", "8", "-o", "jsonl");
        assertThat(wide.exitCode()).isZero();
        assertThat(max.get()).isGreaterThan(2);
    }

    @Test
    void everyKindOfFailureIsRecordedOnItsNodeAndTheRunCompletes() throws Exception {
        int ok = serve(req -> req.response().putHeader("Content-Type", "application/json")
                .end(io.vertx.core.buffer.Buffer.buffer(nodeInfo)));
        int hang = serve(req -> { /* never answers */ });
        int html = serve(req -> req.response().putHeader("Content-Type", "text/html")
                .end("<html><body>Welcome to nginx!</body></html>"));
        int fiveHundred = serve(req -> req.response().setStatusCode(500).putHeader("Content-Type", "application/json")
                .end("{\"status\":500,\"error\":\"internal_error\",\"message\":\"the agent could not answer: boom\"}"));
        int notFound = serve(req -> req.response().setStatusCode(404).end("nothing here"));
        int wrongShape = serve(req -> req.response().putHeader("Content-Type", "application/json")
                .end("{\"schemaVersion\": 2, \"name\": \"future\", \"mode\": \"real\", \"nvml\": {\"available\": true}}"));
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Path f = fleetFile("mixed", List.of(
                new String[]{"n-ok", "127.0.0.1:" + ok},
                new String[]{"n-hang", "127.0.0.1:" + hang},
                new String[]{"n-html", "127.0.0.1:" + html},
                new String[]{"n-500", "127.0.0.1:" + fiveHundred},
                new String[]{"n-404", "127.0.0.1:" + notFound},
                new String[]{"n-future", "127.0.0.1:" + wrongShape},
                new String[]{"n-closed", "127.0.0.1:" + closed}));

        long t0 = System.nanoTime();
        Kiln.Run run = Kiln.run("status", "--fleet", f.toString(), "--timeout", "400ms", "-o", "json");
        long ms = (System.nanoTime() - t0) / 1_000_000;

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(ms).as("the hanging node costs one timeout, not more").isLessThan(5_000);
        JsonNode a = run.json();
        assertThat(FleetCommandsTest.list(a)).extracting(n -> n.get("node").asText())
                .containsExactly("n-ok", "n-hang", "n-html", "n-500", "n-404", "n-future", "n-closed");
        assertThat(a.get(0).get("error").isNull()).isTrue();
        assertThat(a.get(0).get("nodeInfo").get("gpuCount").asInt()).isEqualTo(8);
        assertError(a.get(1), "timeout", false, "no answer within 400 ms");
        assertError(a.get(2), "bad_response", true, "not with a Kiln /v1/node JSON");
        assertThat(a.get(2).get("error").get("message").asText()).contains("Welcome to nginx");
        assertError(a.get(3), "http_error", true, "HTTP 500: internal_error: the agent could not answer: boom");
        assertError(a.get(4), "http_error", true, "HTTP 404 (body is not Kiln JSON: 'nothing here')");
        assertError(a.get(5), "incompatible", true, "schema version 2");
        assertError(a.get(6), "connection_refused", false, "connection refused by 127.0.0.1:" + closed);
        assertThat(run.err()).contains("7 nodes, 5 reachable, 2 unreachable, 8 GPUs, 4 answered with an error");
    }

    @Test
    void nvmlUnavailableOnARealNodeFailsTheStatusCheck() throws Exception {
        byte[] noNvml = KilnJson.mapper().writeValueAsBytes(new NodeInfo(ProtocolVersion.SCHEMA_VERSION, "gpu-07",
                "gpu-07", "test", Instant.now(), 1, NodeInfo.MODE_REAL, null,
                new NvmlStatus(false, "NVML library not found: libnvidia-ml.so.1", null, null, null, null, List.of()), 0));
        int port = serve(req -> req.response().putHeader("Content-Type", "application/json")
                .end(io.vertx.core.buffer.Buffer.buffer(noNvml)));
        Path f = fleetFile("no-nvml", List.<String[]>of(new String[]{"gpu-07", "127.0.0.1:" + port}));

        Kiln.Run run = Kiln.run("status", "--fleet", f.toString());

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(run.out()).containsPattern("gpu-07 .* real +0 +NVML unavailable: NVML library not found")
                .contains("1 node, 1 reachable, 0 unreachable, 0 GPUs, 1 with failed checks");
    }

    @Test
    void postSendsEachNodeItsOwnJsonBody() throws Exception {
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        int port = serve(req -> req.body().onSuccess(body -> {
            seen.add(req.method() + " " + req.path() + " " + req.getHeader("Content-Type") + " " + body);
            req.response().putHeader("Content-Type", "application/json").end(io.vertx.core.buffer.Buffer.buffer(nodeInfo));
        }));
        List<FleetNode> nodes = List.of(new FleetNode("a", "r", "127.0.0.1:" + port, "127.0.0.1", port, TOKEN, 1),
                new FleetNode("b", "r", "127.0.0.1:" + port, "127.0.0.1", port, TOKEN, 2));
        List<NodeResult<NodeInfo>> results = new ArrayList<>();
        try (FanOut fanOut = FanOut.start()) {
            fanOut.run(nodes, FanOut.Request.postJson("/v1/checks", n -> ("{\"for\":\"" + n.name() + "\"}")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8)), Agents.NODE_INFO, Duration.ofSeconds(5), 4,
                    results::add, null);
        }
        assertThat(results).extracting(r -> r.node().name()).containsExactly("a", "b");
        assertThat(results).allMatch(NodeResult::ok);
        assertThat(seen).containsExactlyInAnyOrder("POST /v1/checks application/json {\"for\":\"a\"}",
                "POST /v1/checks application/json {\"for\":\"b\"}");
    }

    /**
     * A "real" agent without a default spec: 400 when asked without one (recorded on the node, exit 4), and a
     * report whose verdict the CLI does not take on trust: a result that is ERROR makes the node ERROR.
     */
    @Test
    void checkSendsTheSpecInlineAndNeverTakesAnErrorForAPass() throws Exception {
        ConcurrentLinkedQueue<JsonNode> requests = new ConcurrentLinkedQueue<>();
        CheckResult warn = new CheckResult("gpu.thermal", CheckStatus.WARN, new GpuRef(3, "GPU-3", "1650000000003",
                "00000000:5D:00.0"), null, "79 C", "below 77 C", "GPU 3 runs within 8 C of its slowdown", "check airflow", 1);
        CheckResult error = new CheckResult("gpu.xid.recent", CheckStatus.ERROR, null, null, null, null,
                "event watcher not running", null, 0);
        int port = serve(req -> req.body().onSuccess(body -> {
            JsonNode request;
            try {
                request = KilnJson.mapper().readTree(body.getBytes());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            requests.add(request);
            if (request.get("spec").isNull()) {
                req.response().setStatusCode(400).putHeader("Content-Type", "application/json").end("{\"status\":400,"
                        + "\"error\":\"bad_request\",\"message\":\"no spec given; name a built-in spec or a spec file\"}");
                return;
            }
            boolean broken = request.get("only").size() == 0;
            CheckReport report = new CheckReport(ProtocolVersion.SCHEMA_VERSION, CheckReport.KIND,
                    new NodeIdentity("gpu-01", "gpu-01", NodeInfo.MODE_REAL, null, "test", "boot-1"),
                    request.get("spec").get("spec").asText(), Instant.now(), 3,
                    CheckStatus.WARN, broken ? List.of(warn, error) : List.of(warn));
            try {
                req.response().putHeader("Content-Type", "application/json")
                        .end(io.vertx.core.buffer.Buffer.buffer(KilnJson.mapper().writeValueAsBytes(report)));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }));
        Path f = fleetFile("real", List.<String[]>of(new String[]{"gpu-01", "127.0.0.1:" + port}));

        Kiln.Run noSpec = Kiln.run("check", "--fleet", f.toString());
        assertThat(noSpec.exitCode()).as(noSpec.describe()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(noSpec.out()).containsPattern("gpu-01 +rack-01 +- +- +- +- +- +- +error: HTTP 400: bad_request: no spec "
                + "given; .* \\(give --spec, or set 'spec:' for the node in the fleet file\\)")
                .contains("1 node, 1 reachable, 0 unreachable, 1 answered with an error");

        Kiln.Run warnOnly = Kiln.run("check", "--fleet", f.toString(), "--spec", "hgx-h100", "--only", "gpu.thermal");
        assertThat(warnOnly.exitCode()).as("WARN is printed but exits 0: " + warnOnly.describe()).isZero();
        assertThat(warnOnly.out()).containsPattern("gpu-01 +rack-01 +hgx-h100 +WARN +0 +1 +0 +0 +gpu\\.thermal")
                .contains("  gpu-01 GPU 3 serial 1650000000003 (00000000:5D:00.0): WARN gpu.thermal: observed 79 C, "
                        + "expected below 77 C")
                .contains("      GPU 3 runs within 8 C of its slowdown")
                .contains("      action: check airflow");

        Kiln.Run broken = Kiln.run("check", "--fleet", f.toString(), "--spec", "hgx-h100", "-o", "jsonl");
        assertThat(broken.exitCode()).as(broken.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
        JsonNode line = broken.jsonLines().get(0);
        assertThat(line.get("verdict").asText()).as("the agent said WARN; an ERROR result makes it ERROR")
                .isEqualTo("ERROR");
        assertThat(line.get("checkFailures").get(0).asText())
                .isEqualTo("gpu-01: ERROR gpu.xid.recent: event watcher not running");

        // What went over the wire: the spec kiln resolved, inline, in the spec file's shape; and the selection.
        JsonNode sent = requests.stream().filter(r -> r.get("only").size() == 1).findFirst().orElseThrow();
        assertThat(sent.get("specName").isNull()).isTrue();
        assertThat(sent.get("spec").get("spec").asText()).isEqualTo("hgx-h100");
        assertThat(sent.get("spec").get("gpu").get("count").asInt()).isEqualTo(8);
        assertThat(sent.get("only").get(0).asText()).isEqualTo("gpu.thermal");
        assertThat(sent.get("skip")).isEmpty();
    }

    @Test
    void anOversizedAnswerIsCutOffNotBuffered() throws Exception {
        byte[] big = new byte[64 * 1024];
        java.util.Arrays.fill(big, (byte) ' ');
        int port = serve(req -> req.response().putHeader("Content-Type", "application/json")
                .end(io.vertx.core.buffer.Buffer.buffer(big)));
        List<NodeResult<NodeInfo>> results = new ArrayList<>();
        try (FanOut fanOut = FanOut.start(1024)) {
            fanOut.run(List.of(new FleetNode("big", "r", "127.0.0.1:" + port, "127.0.0.1", port, TOKEN, 1)),
                    "/v1/node", Agents.NODE_INFO, Duration.ofSeconds(5), 4, results::add, null);
        }
        assertThat(results).hasSize(1);
        assertThat(results.get(0).error().kind()).isEqualTo(NodeError.Kind.BAD_RESPONSE);
        assertThat(results.get(0).error().message()).contains("larger than 1024 bytes");
    }

    @Test
    void thousandsOfDeadNodesFailFastAndInOrder() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        List<String[]> nodes = new ArrayList<>();
        for (int i = 1; i <= 3000; i++) {
            nodes.add(new String[]{"dead-" + i, "127.0.0.1:" + closed});
        }
        Path f = fleetFile("dead", nodes);

        Kiln.Run run = Kiln.run("status", "--fleet", f.toString(), "-o", "jsonl", "--max-in-flight", "64");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
        List<JsonNode> lines = run.jsonLines();
        assertThat(lines).hasSize(3000);
        for (int i = 0; i < lines.size(); i++) {
            assertThat(lines.get(i).get("node").asText()).isEqualTo("dead-" + (i + 1));
            assertThat(lines.get(i).get("error").get("kind").asText()).isEqualTo("connection_refused");
        }
        assertThat(run.err()).contains("3000 nodes, 0 reachable, 3000 unreachable, 0 GPUs");
    }

    private static void assertError(JsonNode result, String kind, boolean reachable, String message) {
        assertThat(result.get("error").isNull()).as(result.toString()).isFalse();
        assertThat(result.get("error").get("kind").asText()).as(result.toString()).isEqualTo(kind);
        assertThat(result.get("error").get("message").asText()).as(result.toString()).contains(message);
        assertThat(result.get("reachable").asBoolean()).as(result.toString()).isEqualTo(reachable);
        assertThat(result.get("nodeInfo").isNull()).isTrue();
    }
}
