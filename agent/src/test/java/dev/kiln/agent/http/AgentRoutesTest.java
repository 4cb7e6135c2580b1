package dev.kiln.agent.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.agent.Schemas;
import dev.kiln.agent.core.GpuProbe;
import dev.kiln.agent.core.HostProbe;
import dev.kiln.agent.core.NodeAgent;
import dev.kiln.agent.core.SimulatedHostProbe;
import dev.kiln.agent.core.SimulatedInfinibandProbe;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPreset;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.nvml.sim.SimulatedServer;
import dev.kiln.protocol.ApiError;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.NodeInfo;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The /v1 API mounted on a plain Vert.x server, configured as the fleet simulator configures its nodes. */
class AgentRoutesTest {
    private static final String TOKEN = "a-test-token-of-length-32-chars!";
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    private static Vertx vertx;
    private static NodeAgent agent;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        agent = NodeAgent.simulated("node-http", ServerPresets.HGX_H100, FaultPlan.NONE, 1, true);
        port = serve(agent);
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        agent.close();
    }

    /** Listens on a free loopback port exactly as {@code RunningFleet} does. */
    private static int serve(NodeAgent a) throws Exception {
        Router router = Router.router(vertx);
        AgentRoutes.mount(router, a, TokenAuth.of(TOKEN));
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                .setMaxInitialLineLength(8192).setMaxHeaderSize(16384));
        server.invalidRequestHandler(AgentRoutes::invalidRequest).requestHandler(router);
        return server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    }

    private static HttpRequest.Builder request(int onPort, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + onPort + path)).timeout(Duration.ofSeconds(10));
    }

    private static HttpResponse<String> get(String path, String authorization) throws Exception {
        HttpRequest.Builder b = request(port, path).GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return checked(CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString()));
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return get(path, "Bearer " + TOKEN);
    }

    /** Every response, whatever its status: JSON, and no stack trace. */
    private static HttpResponse<String> checked(HttpResponse<String> r) {
        assertThat(r.headers().firstValue("Content-Type")).as("content type of %s", r.uri()).hasValue("application/json");
        assertNoStackTrace(r.body());
        return r;
    }

    private static void assertNoStackTrace(String body) {
        assertThat(body).doesNotContain("\tat ", "at dev.kiln", "at io.vertx", "at java.", "Caused by", ".java:");
    }

    private static ApiError apiError(HttpResponse<String> r) throws IOException {
        ApiError e = KilnJson.mapper().readValue(r.body(), ApiError.class);
        assertThat(e.status()).isEqualTo(r.statusCode());
        assertThat(e.message()).isNotBlank();
        return e;
    }

    @Test
    void noTokenIs401WithAChallenge() throws Exception {
        HttpResponse<String> r = get("/v1/node", null);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        ApiError e = apiError(r);
        assertThat(e.error()).isEqualTo("unauthorized");
        assertThat(e.message()).contains("Authorization: Bearer");
    }

    @Test
    void wrongTokenIs401() throws Exception {
        HttpResponse<String> r = get("/v1/inventory", "Bearer " + TOKEN.replace('!', '?'));
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(apiError(r).message()).contains("rejected");
        assertThat(get("/v1/node", "Basic " + TOKEN).statusCode()).isEqualTo(401);
        assertThat(get("/v1/node", TOKEN).statusCode()).isEqualTo(401);
    }

    @Test
    void tokenIsCheckedBeforeTheEndpointIsLookedUp() throws Exception {
        assertThat(get("/v1/nope", null).statusCode()).isEqualTo(401);
        HttpResponse<String> post = checked(CLIENT.send(request(port, "/v1/node")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString()));
        assertThat(post.statusCode()).isEqualTo(401);
    }

    @Test
    void nodeWithToken() throws Exception {
        HttpResponse<String> r = get("/v1/node");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Schemas.errorsOfText(Schemas.NODE, r.body())).isEmpty();
        NodeInfo info = KilnJson.mapper().readValue(r.body(), NodeInfo.class);
        assertThat(info.name()).isEqualTo("node-http");
        assertThat(info.mode()).isEqualTo(NodeInfo.MODE_SIMULATED);
        assertThat(info.gpuCount()).isEqualTo(8);
        assertThat(get("/v1/node", "bearer " + TOKEN).statusCode()).as("scheme is case-insensitive").isEqualTo(200);
    }

    @Test
    void inventoryWithToken() throws Exception {
        for (String path : List.of("/v1/inventory", "/v1/inventory?fresh=true", "/v1/inventory?fresh=false")) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(Schemas.errorsOfText(Schemas.INVENTORY, r.body())).as(path).isEmpty();
            InventoryDocument doc = KilnJson.mapper().readValue(r.body(), InventoryDocument.class);
            assertThat(doc.gpus()).hasSize(8);
            assertThat(doc.node().name()).isEqualTo("node-http");
        }
    }

    @Test
    void badFreshValueIs400() throws Exception {
        for (String path : List.of("/v1/inventory?fresh=maybe", "/v1/inventory?fresh=TRUE", "/v1/inventory?fresh=",
                "/v1/inventory?fresh=true&fresh=false")) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(400);
            ApiError e = apiError(r);
            assertThat(e.error()).isEqualTo("bad_request");
            assertThat(e.message()).contains("'fresh'");
        }
    }

    @Test
    void unknownQueryParameterIs400() throws Exception {
        HttpResponse<String> r = get("/v1/inventory?verbose=1");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(apiError(r).message()).contains("'verbose'");
        assertThat(get("/v1/inventory?fresh=true&gpu=0").statusCode()).isEqualTo(400);
    }

    @Test
    void unknownPathIs404() throws Exception {
        for (String path : List.of("/v1/nope", "/v1/node/extra", "/v1/")) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(404);
            ApiError e = apiError(r);
            assertThat(e.error()).isEqualTo("not_found");
            assertThat(e.message()).contains("/v1/node");
        }
    }

    @Test
    void otherMethodsAre405WithAllow() throws Exception {
        for (String method : List.of("POST", "PUT", "DELETE")) {
            HttpResponse<String> r = checked(CLIENT.send(request(port, "/v1/node")
                    .header("Authorization", "Bearer " + TOKEN)
                    .method(method, HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString()));
            assertThat(r.statusCode()).as(method).isEqualTo(405);
            assertThat(r.headers().firstValue("Allow")).hasValue("GET");
            ApiError e = apiError(r);
            assertThat(e.error()).isEqualTo("method_not_allowed");
            assertThat(e.message()).contains(method);
        }
    }

    @Test
    void malformedRequestsGet4xxJson() throws Exception {
        List<String> garbage = List.of(
                "GARBAGE\r\n\r\n",
                "GET /v1/node HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
                "GET /v1/node HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                "GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /v1/node HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n");
        for (String request : garbage) {
            RawHttp.Response r = RawHttp.send("127.0.0.1", port, request);
            String what = request.length() > 60 ? request.substring(0, 60) + "..." : request;
            assertThat(r.status()).as("status for %s (got %s)", what, r.head()).isBetween(400, 499);
            assertThat(r.head().toLowerCase()).as(what).contains("content-type: application/json");
            JsonNode body = KilnJson.mapper().readTree(r.body());
            assertThat(body.get("status").asInt()).isEqualTo(r.status());
            assertThat(body.get("error").asText()).isNotBlank();
            assertNoStackTrace(r.body());
        }
    }

    @Test
    void unsupportedHttpVersionIsRefused() throws Exception {
        // Vert.x answers this itself (501, empty body) before any handler of ours runs.
        RawHttp.Response r = RawHttp.send("127.0.0.1", port, "GET /v1/node HTTP/9.9\r\nHost: x\r\n\r\n");
        assertThat(r.head()).doesNotContain(" 200 ");
        assertThat(r.body()).doesNotContain("node-http");
        assertNoStackTrace(r.body());
    }

    @Test
    void overLongRequestLineIs414AndOverLongHeaderIs431() throws Exception {
        assertThat(RawHttp.send("127.0.0.1", port, "GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: x\r\n\r\n")
                .status()).isEqualTo(414);
        assertThat(RawHttp.send("127.0.0.1", port,
                "GET /v1/node HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n").status())
                .isEqualTo(431);
    }

    @Test
    void aReadingThatThrowsIs500JsonWithoutStackTrace() throws Exception {
        ServerPreset preset = ServerPresets.HGX_H100;
        SimulatedServer server = new SimulatedServer("broken", preset);
        HostProbe failing = () -> {
            throw new IllegalStateException("OSHI exploded");
        };
        try (NodeAgent broken = new NodeAgent("broken", NodeInfo.MODE_SIMULATED, preset.id(), failing,
                GpuProbe.of(server.binding()), new SimulatedInfinibandProbe("broken", preset),
                NodeAgent.Lifetimes.DEFAULT, Clock.systemUTC(), "b", server)) {
            int brokenPort = serve(broken);
            HttpResponse<String> r = checked(CLIENT.send(request(brokenPort, "/v1/node")
                    .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString()));
            assertThat(r.statusCode()).isEqualTo(500);
            ApiError e = apiError(r);
            assertThat(e.error()).isEqualTo("internal_error");
            assertThat(e.message()).contains("OSHI exploded");
        }
    }

    @Test
    void concurrentRequestsShareOneGpuWalk() throws Exception {
        // Long lifetimes so the count is exact: the first request reads NVML, the other 299 reuse it.
        ServerPreset preset = ServerPresets.HGX_H100;
        SimulatedServer server = new SimulatedServer("node-load", preset);
        Duration hour = Duration.ofHours(1);
        try (NodeAgent loaded = new NodeAgent("node-load", NodeInfo.MODE_SIMULATED, preset.id(),
                new SimulatedHostProbe("node-load", preset), GpuProbe.of(server.binding()),
                new SimulatedInfinibandProbe("node-load", preset), new NodeAgent.Lifetimes(hour, hour, hour),
                Clock.systemUTC(), "b", server)) {
            // Registering GPU 0 for events at construction is a one-time NVML cost, not part of a walk.
            long atStart = server.gpu(0).readCount();
            int loadPort = serve(loaded);
            List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                pending.add(CLIENT.sendAsync(request(loadPort, "/v1/inventory")
                        .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString()));
            }
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            assertThat(pending).allSatisfy(f -> assertThat(f.join().statusCode()).isEqualTo(200));
            long underLoad = server.gpu(0).readCount() - atStart;

            long beforeWalk = server.gpu(0).readCount();
            loaded.inventory(true);
            long oneWalk = server.gpu(0).readCount() - beforeWalk;
            assertThat(oneWalk).isPositive();
            assertThat(underLoad).as("NVML calls on GPU 0 for 300 requests, one walk being %d", oneWalk)
                    .isEqualTo(oneWalk);
        }
    }

    @Test
    void defaultLifetimesStillCollapseABurst() throws Exception {
        long before = agent.simulatedServer().gpu(0).readCount();
        agent.inventory(true);
        long oneWalk = agent.simulatedServer().gpu(0).readCount() - before;
        long start = agent.simulatedServer().gpu(0).readCount();
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            pending.add(CLIENT.sendAsync(request(port, "/v1/inventory").header("Authorization", "Bearer " + TOKEN)
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        assertThat(pending).allSatisfy(f -> assertThat(f.join().statusCode()).isEqualTo(200));
        long walks = (agent.simulatedServer().gpu(0).readCount() - start) / oneWalk;
        // One walk per second of gpu lifetime at most; 300 loopback requests take well under 5 s.
        assertThat(walks).isLessThanOrEqualTo(5);
    }
}
