package dev.kiln.agent.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.agent.core.NodeAgent;
import dev.kiln.agent.events.EventOptions;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.KilnJson;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests no well-behaved client sends: bodies over the limit (declared, streamed, chunked), JSON that is
 * malformed, hostile or of the wrong shape, unknown methods, huge header sections. Each gets a 4xx JSON
 * error (never a 5xx, never a stack trace), and the agent answers {@code /v1/node} and {@code /metrics}
 * normally afterwards. The over-long request line and single huge header (414/431) and the basic garbage
 * requests are in {@link AgentRoutesTest}; the simple 413 on /v1/checks in {@link ChecksApiTest}.
 */
class HostileRequestsTest {
    private static final String TOKEN = "hostile-test-token-0123456789abcdef";
    private static final String AUTH = "Authorization: Bearer " + TOKEN + "\r\n";

    private static Vertx vertx;
    private static NodeAgent agent;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        // No event watcher: nothing here needs one, and no job may start (every request below is refused).
        agent = NodeAgent.simulated("node-hostile", ServerPresets.HGX_H100, FaultPlan.NONE, 1, true, EventOptions.off());
        Router router = Router.router(vertx);
        AgentRoutes.mount(router, agent, TokenAuth.of(TOKEN));
        // Configured as RunningFleet configures every simulated node.
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                .setMaxInitialLineLength(8192).setMaxHeaderSize(16384));
        server.invalidRequestHandler(AgentRoutes::invalidRequest).requestHandler(router);
        port = server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        agent.close();
    }

    /** After every test: the agent still answers, and never started a job for any of it. */
    @AfterEach
    void agentStaysHealthy() throws Exception {
        RawHttp.Response node = RawHttp.send("127.0.0.1", port, "GET /v1/node HTTP/1.1\r\nHost: x\r\n" + AUTH
                + "Connection: close\r\n\r\n");
        assertThat(node.status()).as("GET /v1/node afterwards: %s", node.head()).isEqualTo(200);
        assertThat(KilnJson.mapper().readTree(node.body()).get("gpuCount").asInt()).isEqualTo(8);
        RawHttp.Response metrics = RawHttp.send("127.0.0.1", port, "GET /metrics HTTP/1.1\r\nHost: x\r\n" + AUTH
                + "Connection: close\r\n\r\n");
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.body()).contains("kiln_gpus 8");
        assertThat(agent.jobs().list()).isEmpty();
    }

    /** A 4xx JSON ApiError whose status matches the response's, and no stack trace. */
    private static JsonNode rejected(RawHttp.Response r, String what) throws IOException {
        assertThat(r.status()).as("status for %s (got %s)", what, r.head()).isBetween(400, 499);
        assertThat(r.head().toLowerCase()).as(what).contains("content-type: application/json");
        JsonNode body = KilnJson.mapper().readTree(r.body());
        assertThat(body.get("status").asInt()).as(what).isEqualTo(r.status());
        assertThat(body.get("error").asText()).as(what).isNotBlank();
        assertThat(r.body()).as(what).doesNotContain("\tat ", "at dev.kiln", "at io.vertx", "Caused by", ".java:");
        return body;
    }

    private static RawHttp.Response post(String path, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return exchange(("POST " + path + " HTTP/1.1\r\nHost: x\r\n" + AUTH + "Content-Type: application/json\r\n"
                + "Content-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8),
                bytes);
    }

    private static RawHttp.Response exchange(byte[] head, byte[] body) throws IOException {
        return RawHttp.exchange("127.0.0.1", port, head, body, 10_000);
    }

    @Test
    void bodiesOverTheLimitAre413OnEveryPostEndpoint() throws Exception {
        String big = "{\"specName\":\"" + "x".repeat((int) AgentRoutes.MAX_BODY_BYTES + 10) + "\"}";
        for (String path : new String[]{"/v1/checks", "/v1/jobs", "/v1/fabric/sessions"}) {
            JsonNode e = rejected(post(path, big), "2 MiB body on " + path);
            assertThat(e.get("status").asInt()).as(path).isEqualTo(413);
            assertThat(e.get("error").asText()).isEqualTo("payload_too_large");
        }
    }

    @Test
    void aDeclaredLengthOverTheLimitIsRefusedBeforeTheBodyArrives() throws Exception {
        // Only the head is sent: the agent must answer from Content-Length alone, not wait for 1 GiB.
        for (String path : new String[]{"/v1/checks", "/v1/jobs"}) {
            RawHttp.Response r = exchange(("POST " + path + " HTTP/1.1\r\nHost: x\r\n" + AUTH
                    + "Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8), new byte[0]);
            assertThat(rejected(r, "Content-Length 1 GiB on " + path).get("status").asInt()).isEqualTo(413);
        }
    }

    @Test
    void aChunkedBodyOverTheLimitIs413() throws Exception {
        StringBuilder chunks = new StringBuilder();
        String chunk = "x".repeat(64 * 1024);
        for (int i = 0; i < 20; i++) {   // 1.25 MiB with no Content-Length to check up front
            chunks.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
        }
        chunks.append("0\r\n\r\n");
        for (String path : new String[]{"/v1/checks", "/v1/jobs"}) {
            RawHttp.Response r = exchange(("POST " + path + " HTTP/1.1\r\nHost: x\r\n" + AUTH
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8), chunks.toString().getBytes(StandardCharsets.UTF_8));
            assertThat(rejected(r, "chunked 1.25 MiB on " + path).get("status").asInt()).isEqualTo(413);
        }
    }

    @Test
    void malformedHostileOrMisshapenJsonIs400() throws Exception {
        String[] anywhere = {
                "{not json",
                "{\"only\":[\"gpu.count\"",                                   // truncated
                "null",                                                       // a JSON null, not an object
                "[]",                                                         // an array
                "\"just a string\"",
                "[".repeat(200_000),                                          // nesting far past Jackson's limit
                "{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000),
                "{\"specName\":\"\\ud800\"}",                                 // a lone surrogate
        };
        java.util.Map<String, String[]> only = java.util.Map.of(
                "/v1/checks", new String[]{"{\"only\":{\"nested\":true}}", "{\"skip\":123456789012345678901234567890}",
                        "{\"spec\":\"not a spec\"}"},
                "/v1/jobs", new String[]{"{\"durationSeconds\":1e400}", "{\"durationSeconds\":123456789012345678901234567890}",
                        "{\"durationSeconds\":\"soon\"}", "{\"durationSeconds\":60,\"gpus\":[-1]}",
                        "{\"durationSeconds\":60,\"tests\":[null]}"});
        for (String path : new String[]{"/v1/checks", "/v1/jobs"}) {
            java.util.List<String> bodies = new java.util.ArrayList<>(java.util.List.of(anywhere));
            bodies.addAll(java.util.List.of(only.get(path)));
            for (String body : bodies) {
                String what = path + " with " + (body.length() > 40 ? body.substring(0, 40) + "..." : body);
                JsonNode e = rejected(post(path, body), what);
                assertThat(e.get("status").asInt()).as(what).isEqualTo(400);
            }
            byte[] notUtf8 = {'{', '"', 'o', 'n', 'l', 'y', '"', ':', '[', '"', (byte) 0xC3, (byte) 0x28, '"', ']', '}'};
            RawHttp.Response r = exchange(("POST " + path + " HTTP/1.1\r\nHost: x\r\n" + AUTH + "Content-Type: "
                    + "application/json\r\nContent-Length: " + notUtf8.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8), notUtf8);
            assertThat(rejected(r, "invalid UTF-8 on " + path).get("status").asInt()).isEqualTo(400);
        }
    }

    @Test
    void unknownAndUnusualMethodsAre4xx() throws Exception {
        for (String method : new String[]{"BREW", "PROPFIND", "TRACE", "PATCH", "OPTIONS", "PUT"}) {
            for (String path : new String[]{"/v1/node", "/v1/jobs", "/v1/checks", "/metrics", "/v1/nope"}) {
                RawHttp.Response r = exchange((method + " " + path + " HTTP/1.1\r\nHost: x\r\n" + AUTH
                        + "Content-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8), new byte[0]);
                JsonNode e = rejected(r, method + " " + path);
                assertThat(e.get("status").asInt()).as(method + " " + path)
                        .isEqualTo(path.equals("/v1/nope") ? 404 : 405);
            }
            RawHttp.Response noAuth = exchange((method + " /v1/node HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8), new byte[0]);
            assertThat(rejected(noAuth, method + " without a token").get("status").asInt()).isEqualTo(401);
        }
    }

    @Test
    void hugeHeaderSectionsAndQueriesAre4xx() throws Exception {
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 2_000; i++) {
            many.append("X-H-").append(i).append(": v\r\n");   // each small, together far over 16 KiB
        }
        RawHttp.Response r = exchange(("GET /v1/node HTTP/1.1\r\nHost: x\r\n" + AUTH + many + "\r\n")
                .getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertThat(rejected(r, "2000 headers").get("status").asInt()).isEqualTo(431);

        RawHttp.Response bigToken = exchange(("GET /v1/node HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + "t".repeat(12_000) + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertThat(rejected(bigToken, "a 12 KB bearer token").get("status").asInt()).isEqualTo(401);

        RawHttp.Response params = exchange(("GET /v1/inventory?" + "a=1&".repeat(1_500) + "fresh=true HTTP/1.1\r\n"
                + "Host: x\r\n" + AUTH + "Connection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertThat(rejected(params, "1500 query parameters").get("status").asInt()).isEqualTo(400);

        RawHttp.Response encoded = exchange(("GET /v1/%00%ff/..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: x\r\n" + AUTH
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8), new byte[0]);
        JsonNode e = rejected(encoded, "an encoded traversal path");
        assertThat(encoded.body()).doesNotContain("root:");
        assertThat(e.get("status").asInt()).isIn(400, 404);
    }
}
