package dev.kiln.agent.http;

import dev.kiln.agent.core.NodeAgent;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** An agent's routes on a fresh loopback port, and requests to it with a bearer token, for HTTP tests. */
final class ServedAgent {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private ServedAgent() {
    }

    /** Mounts {@code agent}'s routes with {@code token} on a new server; returns its base URL. */
    static String serve(Vertx vertx, NodeAgent agent, String token) throws Exception {
        Router router = Router.router(vertx);
        AgentRoutes.mount(router, agent, TokenAuth.of(token));
        int port = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)).requestHandler(router)
                .listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
        return "http://127.0.0.1:" + port;
    }

    /** Sends with the token; no answer may leak a stack trace. */
    static HttpResponse<String> send(String token, String method, String url, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.body()).doesNotContain("at dev.kiln", "Caused by");
        return r;
    }
}
