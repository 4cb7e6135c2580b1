package dev.kiln.agent.http;

import dev.kiln.agent.Schemas;
import dev.kiln.agent.core.NodeAgent;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.ApiError;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.spec.BuiltinSpecs;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** POST /v1/checks over a simulated node with a downtrained PCIe link on GPU 2. */
class ChecksApiTest {
    private static final String TOKEN = "a-test-token-of-length-32-chars!";
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static Vertx vertx;
    private static NodeAgent agent;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        agent = NodeAgent.simulated("node-checks", ServerPresets.HGX_H100,
                FaultPlan.of(new Fault.PcieDowntrained(2, Optional.of(4), Optional.of(8))), 1, true);
        Router router = Router.router(vertx);
        AgentRoutes.mount(router, agent, TokenAuth.of(TOKEN));
        port = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)).requestHandler(router)
                .listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        agent.close();
    }

    private static HttpResponse<String> post(String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/checks"))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(r.body()).doesNotContain("at dev.kiln", "Caused by");
        return r;
    }

    @Test
    void noTokenIs401() throws Exception {
        assertThat(post("{}", null).statusCode()).isEqualTo(401);
    }

    @Test
    void anEmptyBodyChecksAgainstThePresetsSpecAndFindsTheDowntrainedLink() throws Exception {
        HttpResponse<String> r = post("", TOKEN);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Schemas.errors(Schemas.CHECKS, KilnJson.mapper().readTree(r.body()))).isEmpty();
        CheckReport report = KilnJson.mapper().readValue(r.body(), CheckReport.class);
        assertThat(report.spec()).isEqualTo("hgx-h100");
        assertThat(report.verdict()).isEqualTo(CheckStatus.FAIL);
        assertThat(report.results()).filteredOn(x -> x.status() == CheckStatus.FAIL).singleElement().satisfies(x -> {
            assertThat(x.id()).isEqualTo("gpu.pcie.link");
            assertThat(x.gpu().pciBusId()).isEqualTo("00000000:3A:00.0");
            assertThat(x.observed()).startsWith("Gen4 x8");
        });
    }

    @Test
    void onlyAndSkipSelectChecksAndAnInlineSpecIsUsed() throws Exception {
        var spec = BuiltinSpecs.get("hgx-h100");
        String body = KilnJson.mapper().writeValueAsString(Map.of("spec", spec, "only", java.util.List.of("gpu.count", "gpu.pcie.link"),
                "skip", java.util.List.of("gpu.pcie.link")));
        CheckReport report = KilnJson.mapper().readValue(post(body, TOKEN).body(), CheckReport.class);
        assertThat(report.results()).extracting(CheckResult::id).containsOnly("gpu.count");
        assertThat(report.verdict()).isEqualTo(CheckStatus.PASS);
    }

    @Test
    void badRequestsAreJson400s() throws Exception {
        for (String body : new String[]{"{not json", "{\"specName\":\"no-such-spec\"}", "{\"only\":[\"gpu.bogus\"]}",
                "{\"only\":\"gpu.count\",\"skip\":{}}"}) {
            HttpResponse<String> r = post(body, TOKEN);
            assertThat(r.statusCode()).as(body).isEqualTo(400);
            ApiError e = KilnJson.mapper().readValue(r.body(), ApiError.class);
            assertThat(e.message()).as(body).isNotBlank();
        }
        assertThat(KilnJson.mapper().readValue(post("{\"specName\":\"no-such-spec\"}", TOKEN).body(), ApiError.class).message())
                .contains("hgx-h100");
        assertThat(KilnJson.mapper().readValue(post("{\"only\":[\"gpu.bogus\"]}", TOKEN).body(), ApiError.class).message())
                .contains("gpu.bogus");
    }

    @Test
    void aSpecNameIsNeverOpenedAsAPathOnTheNode() throws Exception {
        java.nio.file.Path secret = java.nio.file.Files.createTempFile("kiln-secret", ".yaml");
        java.nio.file.Files.writeString(secret, "root:$6$saltsalt$hash:19000:0:99999:7:::\n");
        try {
            HttpResponse<String> r = post("{\"specName\":\"" + secret + "\"}", TOKEN);
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).doesNotContain("saltsalt").contains("inline");
        } finally {
            java.nio.file.Files.deleteIfExists(secret);
        }
    }

    @Test
    void anOversizedBodyIs413() throws Exception {
        HttpResponse<String> r = post("{\"specName\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}", TOKEN);
        assertThat(r.statusCode()).isEqualTo(413);
    }

    @Test
    void getOnChecksIs405() throws Exception {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/checks"))
                .header("Authorization", "Bearer " + TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).hasValue("POST");
    }
}
