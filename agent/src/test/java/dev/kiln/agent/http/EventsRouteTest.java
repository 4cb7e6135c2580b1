package dev.kiln.agent.http;

import dev.kiln.agent.Schemas;
import dev.kiln.agent.core.NodeAgent;
import dev.kiln.agent.events.EventOptions;
import dev.kiln.nvml.raw.NvmlConstants;
import dev.kiln.nvml.raw.NvmlLoader;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.ApiError;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.event.EventsDocument;
import dev.kiln.protocol.event.GpuEvent;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /v1/events} on a plain Vert.x server, as the fleet simulator serves it, and the event log behind it. */
class EventsRouteTest {
    private static final String TOKEN = "a-test-token-of-length-32-chars!";
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    private static Vertx vertx;
    private static NodeAgent agent;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        agent = NodeAgent.simulated("node-events", ServerPresets.HGX_H100, FaultPlan.NONE, 1, true);
        port = serve(agent);
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        agent.close();
    }

    private static int serve(NodeAgent a) throws Exception {
        Router router = Router.router(vertx);
        AgentRoutes.mount(router, a, TokenAuth.of(TOKEN));
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0));
        server.invalidRequestHandler(AgentRoutes::invalidRequest).requestHandler(router);
        return server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    }

    private static HttpResponse<String> send(int onPort, String method, String path, String authorization)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + onPort + path))
                .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(r.body()).doesNotContain("\tat ", "Caused by");
        return r;
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return send(port, "GET", path, "Bearer " + TOKEN);
    }

    private static EventsDocument document(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Schemas.errorsOfText(Schemas.EVENTS, r.body())).isEmpty();
        return KilnJson.mapper().readValue(r.body(), EventsDocument.class);
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void eventsNeedTheToken() throws Exception {
        HttpResponse<String> r = send(port, "GET", "/v1/events", null);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).isPresent();
        assertThat(send(port, "GET", "/v1/events?since=garbage", "Bearer wrong").statusCode())
                .as("auth before validation").isEqualTo(401);
    }

    @Test
    void injectedEventsAppearOldestFirstWithTheNodesIdentity() throws Exception {
        Instant before = Instant.now().minusSeconds(1);
        agent.simulatedServer().injectXid(3, 48);
        agent.simulatedServer().injectEvent(5, NvmlConstants.EVENT_TYPE_DRAM_RETIREMENT_EVENT, 0);
        await("both events in the log", () -> agent.events().recent(before).size() >= 2);

        EventsDocument doc = document(get("/v1/events"));
        assertThat(doc.kind()).isEqualTo("kiln.events");
        assertThat(doc.schemaVersion()).isEqualTo(1);
        assertThat(doc.watching()).isTrue();
        assertThat(doc.reason()).as("every type supported, in memory as a simulated agent should be").isNull();
        assertThat(doc.node().name()).isEqualTo("node-events");
        assertThat(doc.node().bootId()).isNotBlank();
        List<GpuEvent> mine = doc.events().stream().filter(e -> !e.time().isBefore(before)).toList();
        assertThat(mine).extracting(GpuEvent::gpuIndex, GpuEvent::type, GpuEvent::severity).containsSubsequence(
                org.assertj.core.groups.Tuple.tuple(3, "xid", "fail"),
                org.assertj.core.groups.Tuple.tuple(5, "remap", "warn"));
        assertThat(mine).allSatisfy(e -> assertThat(e.bootId()).isEqualTo(doc.node().bootId()));

        String since = URLEncoder.encode(before.toString(), StandardCharsets.UTF_8);
        assertThat(document(get("/v1/events?since=" + since)).events()).hasSizeGreaterThanOrEqualTo(2);
        assertThat(document(get("/v1/events?since=2999-01-01T00:00:00Z")).events()).isEmpty();
        // An offset works too, whether or not the client encoded its '+'.
        assertThat(document(get("/v1/events?since=2999-01-01T02:00:00+02:00")).events()).isEmpty();
        assertThat(document(get("/v1/events?since=2999-01-01T02:00:00%2B02:00")).events()).isEmpty();
    }

    @Test
    void badSinceIs400NamingTheParameter() throws Exception {
        for (String q : List.of("since=yesterday", "since=2025-03-14", "since=", "since=2025-03-14T09:00:00",
                "since=2025-01-01T00:00:00Z&since=2025-01-02T00:00:00Z")) {
            HttpResponse<String> r = get("/v1/events?" + q);
            assertThat(r.statusCode()).as(q).isEqualTo(400);
            ApiError e = KilnJson.mapper().readValue(r.body(), ApiError.class);
            assertThat(e.error()).isEqualTo("bad_request");
            assertThat(e.message()).as(q).contains("'since'").contains("ISO-8601");
        }
        HttpResponse<String> unknown = get("/v1/events?gpu=3");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("'gpu'");
    }

    @Test
    void otherMethodsAre405AndNeighboursAre404() throws Exception {
        for (String method : List.of("POST", "DELETE")) {
            HttpResponse<String> r = send(port, method, "/v1/events", "Bearer " + TOKEN);
            assertThat(r.statusCode()).as(method).isEqualTo(405);
            assertThat(r.headers().firstValue("Allow")).hasValue("GET");
        }
        HttpResponse<String> r = get("/v1/events/extra");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).contains("GET /v1/events");
    }

    @Test
    void withoutNvmlWatchingIsFalseWithTheReason(@TempDir Path sysfs) throws Exception {
        try (NodeAgent noDriver = NodeAgent.real("no-driver", NvmlLoader.load("/nonexistent/libnvidia-ml.so.1"),
                sysfs)) {
            EventsDocument doc = document(send(serve(noDriver), "GET", "/v1/events", "Bearer " + TOKEN));
            assertThat(doc.watching()).isFalse();
            assertThat(doc.reason()).contains("NVML library not found").contains("/nonexistent/libnvidia-ml.so.1");
            assertThat(doc.events()).isEmpty();
            assertThat(noDriver.recentEvents().watching()).isFalse();
            assertThat(noDriver.recentEvents().reason()).contains("NVML library not found");
        }
    }

    @Test
    void eventsOffIsSaidToo() throws Exception {
        var server = new dev.kiln.nvml.sim.SimulatedServer("off", ServerPresets.PCIE_L40S);
        try (NodeAgent off = new NodeAgent("off", dev.kiln.protocol.NodeInfo.MODE_SIMULATED, "pcie-l40s",
                new dev.kiln.agent.core.SimulatedHostProbe("off", ServerPresets.PCIE_L40S),
                dev.kiln.agent.core.GpuProbe.of(server.binding()),
                new dev.kiln.agent.core.SimulatedInfinibandProbe("off", ServerPresets.PCIE_L40S),
                NodeAgent.Lifetimes.DEFAULT, java.time.Clock.systemUTC(), "b", server, EventOptions.off())) {
            EventsDocument doc = off.eventsDocument(null);
            assertThat(doc.watching()).isFalse();
            assertThat(doc.reason()).contains("off");
        }
    }

    @Test
    void aSimulatedAgentWithAStateDirPersistsAndReloadsItsEvents(@TempDir Path dir) throws Exception {
        Path stateDir = dir.resolve("kiln");
        try (NodeAgent a = NodeAgent.simulated("node-p", ServerPresets.PCIE_L40S, FaultPlan.NONE, 1, true,
                EventOptions.persistedIn(stateDir))) {
            assertThat(a.events().file()).contains(stateDir.resolve("events.json"));
            assertThat(a.eventsReason()).isNull();
            a.simulatedServer().injectXid(2, 79);
            await("the Xid persisted", () -> Files.exists(stateDir.resolve("events.json")));
        }
        assertThat(Files.readString(stateDir.resolve("events.json"))).contains("\"code\":79");
        // A restarted agent (same node, same boot) has the event before anything new happens.
        try (NodeAgent again = NodeAgent.simulated("node-p", ServerPresets.PCIE_L40S, FaultPlan.NONE, 1, true,
                EventOptions.persistedIn(stateDir))) {
            assertThat(again.events().thisBoot()).singleElement().satisfies(e -> {
                assertThat(e.code()).isEqualTo(79L);
                assertThat(e.gpuIndex()).isEqualTo(2);
            });
            assertThat(again.recentEvents().thisBoot()).hasSize(1);
        }
    }

    @Test
    void anUnwritableStateDirKeepsEventsInMemoryAndSaysSo(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        try (NodeAgent a = NodeAgent.simulated("node-m", ServerPresets.PCIE_L40S, FaultPlan.NONE, 1, true,
                EventOptions.persistedIn(file.resolve("kiln")))) {
            assertThat(a.eventsWatched()).isTrue();
            assertThat(a.events().file()).isEmpty();
            EventsDocument doc = a.eventsDocument(null);
            assertThat(doc.watching()).isTrue();
            assertThat(doc.reason()).contains("memory only");
        }
    }
}
