package dev.kiln.agent.quarkus;

import dev.kiln.agent.Schemas;
import dev.kiln.protocol.ApiError;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.NodeInfo;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
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
 * The real Quarkus wiring (the only Quarkus-booting test: each boot costs seconds). The %test
 * profile in application.properties simulates hgx-h100 and generates target/quarkus-test-token.
 */
@QuarkusTest
class AgentQuarkusTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TestHTTPResource("/")
    URL base;

    @Inject
    AgentBootstrap bootstrap;

    private HttpResponse<String> get(String path, boolean withToken) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base.toString()).resolve(path))
                .timeout(Duration.ofSeconds(30));
        if (withToken) {
            b.header("Authorization", "Bearer " + Files.readString(Path.of("target/quarkus-test-token")).trim());
        }
        HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("Content-Type")).as(path).hasValue("application/json");
        return r;
    }

    @Test
    void withoutTokenIs401Json() throws Exception {
        HttpResponse<String> r = get("/v1/node", false);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).isPresent();
        assertThat(KilnJson.mapper().readValue(r.body(), ApiError.class).error()).isEqualTo("unauthorized");
    }

    @Test
    void tokenFileWasGeneratedPrivate() throws Exception {
        Path token = Path.of("target/quarkus-test-token");
        assertThat(Files.readString(token).trim()).hasSizeGreaterThanOrEqualTo(32);
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(token)))
                .isEqualTo("rw-------");
    }

    @Test
    void nodeWithToken() throws Exception {
        HttpResponse<String> r = get("/v1/node", true);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Schemas.errorsOfText(Schemas.NODE, r.body())).isEmpty();
        NodeInfo info = KilnJson.mapper().readValue(r.body(), NodeInfo.class);
        assertThat(info.name()).isEqualTo("quarkus-test-node");
        assertThat(info.mode()).isEqualTo(NodeInfo.MODE_SIMULATED);
        assertThat(info.simulatorPreset()).isEqualTo("hgx-h100");
        assertThat(info.gpuCount()).isEqualTo(8);
        assertThat(bootstrap.agent().name()).isEqualTo("quarkus-test-node");
    }

    @Test
    void eventsAreWatchedInMemoryForASimulatedDaemon() throws Exception {
        bootstrap.agent().simulatedServer().injectXid(2, 63);
        HttpResponse<String> r = get("/v1/events", true);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Schemas.errorsOfText(Schemas.EVENTS, r.body())).isEmpty();
        dev.kiln.protocol.event.EventsDocument doc = KilnJson.mapper().readValue(r.body(),
                dev.kiln.protocol.event.EventsDocument.class);
        assertThat(doc.watching()).isTrue();
        assertThat(doc.events()).anySatisfy(e -> {
            assertThat(e.gpuIndex()).isEqualTo(2);
            assertThat(e.code()).isEqualTo(63L);
            assertThat(e.severity()).isEqualTo("warn");
        });
        assertThat(bootstrap.agent().events().file()).as("no --state-dir: memory only").isEmpty();
    }

    @Test
    void inventoryWithToken() throws Exception {
        HttpResponse<String> r = get("/v1/inventory?fresh=true", true);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Schemas.errorsOfText(Schemas.INVENTORY, r.body())).isEmpty();
        InventoryDocument doc = KilnJson.mapper().readValue(r.body(), InventoryDocument.class);
        assertThat(doc.gpus()).hasSize(8);
        assertThat(doc.node().name()).isEqualTo("quarkus-test-node");
    }

    @Test
    void errorsAreJsonUnderQuarkusToo() throws Exception {
        HttpResponse<String> notFound = get("/v1/nope", true);
        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(KilnJson.mapper().readValue(notFound.body(), ApiError.class).error()).isEqualTo("not_found");
        HttpResponse<String> bad = get("/v1/inventory?fresh=maybe", true);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).doesNotContain("\tat ", "Exception");
    }
}
