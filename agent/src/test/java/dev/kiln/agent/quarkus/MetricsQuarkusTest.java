package dev.kiln.agent.quarkus;

import dev.kiln.protocol.KilnJson;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /metrics} and hostile requests through the daemon's real Quarkus HTTP server (its own limits,
 * not the fleet simulator's). Shares the Quarkus boot of {@link AgentQuarkusTest} (same profile).
 */
@QuarkusTest
class MetricsQuarkusTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TestHTTPResource("/")
    URL base;

    private HttpResponse<String> send(String method, String path, boolean withToken, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base.toString()).resolve(path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (withToken) {
            b.header("Authorization", "Bearer " + Files.readString(Path.of("target/quarkus-test-token")).trim());
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsNeedTheTokenAndAreTheTextFormat() throws Exception {
        HttpResponse<String> denied = send("GET", "/metrics", false, null);
        assertThat(denied.statusCode()).isEqualTo(401);
        assertThat(denied.headers().firstValue("Content-Type")).hasValue("application/json");
        HttpResponse<String> r = send("GET", "/metrics", true, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v)
                .startsWith("text/plain").contains("version=0.0.4"));
        assertThat(r.body()).contains("DCGM_FI_DEV_GPU_TEMP{gpu=\"0\"", "kiln_agent_info{", "mode=\"simulated\"",
                "kiln_gpus 8");
    }

    @Test
    void oversizedAndMalformedBodiesAre4xxJsonAndTheDaemonKeepsAnswering() throws Exception {
        String big = "{\"specName\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}";
        for (String path : new String[]{"/v1/checks", "/v1/jobs"}) {
            HttpResponse<String> r = send("POST", path, true, big);
            assertThat(r.statusCode()).as(path).isEqualTo(413);
            assertThat(r.headers().firstValue("Content-Type")).as(path).hasValue("application/json");
            assertThat(KilnJson.mapper().readTree(r.body()).get("status").asInt()).isEqualTo(413);
            HttpResponse<String> bad = send("POST", path, true, "{not json");
            assertThat(bad.statusCode()).as(path).isEqualTo(400);
            assertThat(KilnJson.mapper().readTree(bad.body()).get("error").asText()).isEqualTo("bad_request");
        }
        assertThat(send("BREW", "/v1/node", true, null).statusCode()).isEqualTo(405);
        assertThat(send("GET", "/v1/node", true, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/metrics", true, null).statusCode()).isEqualTo(200);
    }
}
