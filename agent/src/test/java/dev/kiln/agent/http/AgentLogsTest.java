package dev.kiln.agent.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.agent.core.GpuProbe;
import dev.kiln.agent.core.HostProbe;
import dev.kiln.agent.core.NodeAgent;
import dev.kiln.agent.core.SimulatedInfinibandProbe;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPreset;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.nvml.sim.SimulatedServer;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.NodeInfo;
import dev.kiln.protocol.burnin.JobStatus;
import io.quarkus.logging.json.runtime.JsonFormatter;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the agent logs: one line per event (a GPU event, a job starting and ending, a failed request),
 * each a single JSON object under {@code --log-format json} (Quarkus's JSON formatter), and never a secret:
 * not the bearer token (accepted or rejected), not a fabric session's one-time token. The token file's
 * path may appear; its contents may not.
 */
class AgentLogsTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private static final String PEER_TOKEN = "feedfacefeedfacefeedfacefeedface";

    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final Logger root = Logger.getLogger("");
    private final Logger kiln = Logger.getLogger("dev.kiln");
    private Level kilnLevel;
    private Vertx vertx;
    private final List<NodeAgent> agents = new ArrayList<>();

    @BeforeEach
    void capture() {
        vertx = Vertx.vertx();
        kilnLevel = kiln.getLevel();
        kiln.setLevel(Level.ALL);   // FINE lines too: a secret must not hide in debug output either
        capture.setLevel(Level.ALL);
        root.addHandler(capture);
    }

    @AfterEach
    void release() throws Exception {
        root.removeHandler(capture);
        kiln.setLevel(kilnLevel);
        agents.forEach(NodeAgent::close);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private String serve(NodeAgent agent, TokenAuth auth) throws Exception {
        agents.add(agent);
        Router router = Router.router(vertx);
        AgentRoutes.mount(router, agent, auth);
        int port = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)).requestHandler(router)
                .listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
        return "http://127.0.0.1:" + port;
    }

    private static HttpResponse<String> send(String method, String url, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void oneLinePerEventJsonWhenAskedAndNoTokenEver(@TempDir Path dir) throws Exception {
        Path tokenFile = dir.resolve("agent.token");
        TokenAuth auth = TokenAuth.fromFileOrGenerate(tokenFile);
        String token = Files.readString(tokenFile).trim();
        NodeAgent agent = NodeAgent.simulated("node-logs", ServerPresets.HGX_H100, FaultPlan.NONE, 1, true);
        String base = serve(agent, auth);

        // Requests with the token, with a wrong one (a near miss, so a leak would be easy to spot), and none.
        for (String path : List.of("/v1/node", "/v1/inventory?fresh=true", "/v1/events", "/v1/jobs", "/metrics",
                "/v1/nope?token=" + token)) {
            assertThat(send("GET", base + path, token, null).statusCode()).as(path).isLessThan(500);
        }
        String nearMiss = token.substring(0, token.length() - 1) + (token.endsWith("A") ? "B" : "A");
        assertThat(send("GET", base + "/v1/node", nearMiss, null).statusCode()).isEqualTo(401);
        assertThat(send("GET", base + "/metrics", nearMiss, null).statusCode()).isEqualTo(401);
        assertThat(send("POST", base + "/v1/checks", token, "{\"only\":[\"gpu.count\"]}").statusCode()).isEqualTo(200);

        // A GPU event: exactly one line, naming the GPU and the Xid.
        agent.simulatedServer().injectXid(3, 48);
        agent.eventsDocument(null);
        List<LogRecord> xid = records.stream().filter(r -> String.valueOf(r.getMessage()).startsWith("gpu event ")
                && r.getMessage().contains("node=node-logs")).toList();
        assertThat(xid).singleElement().satisfies(r -> {
            assertThat(r.getLevel()).isEqualTo(Level.WARNING);
            assertThat(r.getMessage()).contains("gpu=3", "type=xid", "code=48", "severity=fail", "uuid=GPU-");
        });

        // A fabric job whose peer carries a one-time token: started and ended, one line each, no token.
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        HttpResponse<String> started = send("POST", base + "/v1/jobs", token, "{\"type\":\"fabric\",\"tests\":"
                + "[\"fabric.network\"],\"durationSeconds\":1,\"peer\":{\"node\":\"node-peer\",\"address\":\"127.0.0.1\","
                + "\"port\":" + closedPort + ",\"token\":\"" + PEER_TOKEN + "\"}}");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String id = KilnJson.mapper().readValue(started.body(), JobStatus.class).id();
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!agent.jobs().get(id).orElseThrow().state().terminal()) {
            assertThat(System.nanoTime()).as("job %s did not end", id).isLessThan(until);
            Thread.sleep(100);
        }
        assertThat(records).filteredOn(r -> String.valueOf(r.getMessage()).contains(id))
                .extracting(LogRecord::getMessage)
                .anySatisfy(m -> assertThat(m).contains("started", "node-peer"))
                .anySatisfy(m -> assertThat(m).contains("ended"));

        // A request that fails inside the agent: logged with its stack trace, still no token.
        ServerPreset preset = ServerPresets.HGX_H100;
        SimulatedServer server = new SimulatedServer("broken", preset);
        HostProbe failing = () -> {
            throw new IllegalStateException("OSHI exploded");
        };
        String broken = serve(new NodeAgent("broken", NodeInfo.MODE_SIMULATED, preset.id(), failing,
                GpuProbe.of(server.binding()), new SimulatedInfinibandProbe("broken", preset),
                NodeAgent.Lifetimes.DEFAULT, Clock.systemUTC(), "b", server), auth);
        assertThat(send("GET", broken + "/v1/node", token, null).statusCode()).isEqualTo(500);
        assertThat(records).anySatisfy(r -> {
            assertThat(r.getMessage()).contains("request GET /v1/node failed");
            assertThat(r.getThrown()).hasMessageContaining("OSHI exploded");
        });

        assertThat(records).hasSizeGreaterThan(3);
        JsonFormatter json = new JsonFormatter();
        for (LogRecord r : records) {
            String everything = everything(r);
            assertThat(everything).as("log record %s", r.getMessage())
                    .doesNotContain(token, nearMiss, PEER_TOKEN);
            String line = json.format(r);
            assertThat(line).as("one JSON line").endsWith("\n");
            assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n", "\r");
            JsonNode parsed = KilnJson.mapper().readTree(line);
            assertThat(parsed.get("message")).isNotNull();
            assertThat(parsed.get("level").asText()).isNotBlank();
            if (r.getThrown() != null) {
                assertThat(parsed.get("exception")).as("the stack trace stays inside the line").isNotNull();
            }
            if (r.getLoggerName() != null && r.getLoggerName().startsWith("dev.kiln")) {
                assertThat(r.getMessage()).as("Kiln's text lines are single lines too").doesNotContain("\n");
            }
        }
    }

    /** The message, its parameters and any stack trace, as one text to search. */
    private static String everything(LogRecord r) {
        StringBuilder b = new StringBuilder(String.valueOf(r.getMessage()));
        if (r.getParameters() != null) {
            for (Object p : r.getParameters()) {
                b.append(' ').append(p);
            }
        }
        if (r.getThrown() != null) {
            StringWriter w = new StringWriter();
            r.getThrown().printStackTrace(new PrintWriter(w));
            b.append(' ').append(w);
        }
        return b.toString();
    }
}
