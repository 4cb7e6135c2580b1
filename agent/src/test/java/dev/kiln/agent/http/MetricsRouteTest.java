package dev.kiln.agent.http;

import dev.kiln.agent.core.NodeAgent;
import dev.kiln.agent.metrics.PrometheusMetrics;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.ApiError;
import dev.kiln.protocol.KilnJson;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
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
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /metrics} over HTTP: the token by default, an opt-in open mode, and JSON errors like /v1. */
class MetricsRouteTest {
    private static final String TOKEN = "metrics-test-token-0123456789abcdef";
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    private static Vertx vertx;
    private static NodeAgent agent;
    private static int guarded;
    private static int open;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        agent = NodeAgent.simulated("node-scraped", ServerPresets.HGX_H100, FaultPlan.NONE, 1, true);
        guarded = serve(TokenAuth.of(TOKEN));
        open = serve(TokenAuth.of(TOKEN).withMetricsWithoutToken(true));
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        agent.close();
    }

    private static int serve(TokenAuth auth) throws Exception {
        Router router = Router.router(vertx);
        AgentRoutes.mount(router, agent, auth);
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                .setMaxInitialLineLength(8192).setMaxHeaderSize(16384));
        server.invalidRequestHandler(AgentRoutes::invalidRequest).requestHandler(router);
        return server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    }

    static HttpResponse<String> send(int port, String method, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withTheTokenItIsThePrometheusTextFormat() throws Exception {
        HttpResponse<String> r = send(guarded, "GET", "/metrics", TOKEN);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue(PrometheusMetrics.CONTENT_TYPE);
        assertThat(r.body()).startsWith("# HELP DCGM_FI_DEV_SM_CLOCK ")
                .contains("\nDCGM_FI_DEV_GPU_TEMP{gpu=\"0\",UUID=\"GPU-", "\nkiln_nvml_up 1\n", "\nkiln_gpus 8\n")
                .endsWith("\n");
        HttpResponse<String> head = send(guarded, "HEAD", "/metrics", TOKEN);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void withoutTheTokenIs401JsonByDefault() throws Exception {
        for (String token : new String[]{null, TOKEN.replace('0', '1')}) {
            HttpResponse<String> r = send(guarded, "GET", "/metrics", token);
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
            ApiError e = KilnJson.mapper().readValue(r.body(), ApiError.class);
            assertThat(e.error()).isEqualTo("unauthorized");
            assertThat(e.message()).contains("credentials_file");
            assertThat(r.body()).doesNotContain("DCGM_", TOKEN);
        }
    }

    @Test
    void otherMethodsAre405WithAllow() throws Exception {
        for (String method : new String[]{"POST", "PUT", "DELETE", "PATCH", "BREW"}) {
            HttpResponse<String> r = send(guarded, method, "/metrics", TOKEN);
            assertThat(r.statusCode()).as(method).isEqualTo(405);
            assertThat(r.headers().firstValue("Allow")).hasValue("GET");
            assertThat(KilnJson.mapper().readValue(r.body(), ApiError.class).error()).isEqualTo("method_not_allowed");
        }
    }

    @Test
    void theOpenModeServesMetricsWithoutATokenButNothingElse() throws Exception {
        HttpResponse<String> r = send(open, "GET", "/metrics", null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("kiln_gpus 8");
        assertThat(send(open, "GET", "/v1/node", null).statusCode()).as("/v1 still needs the token").isEqualTo(401);
        assertThat(send(open, "GET", "/v1/node", TOKEN).statusCode()).isEqualTo(200);
        assertThat(send(open, "POST", "/metrics", null).statusCode()).isEqualTo(405);
    }
}
