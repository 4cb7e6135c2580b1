package dev.kiln.agent.http;

import dev.kiln.agent.core.NodeAgent;
import dev.kiln.agent.events.EventOptions;
import dev.kiln.agent.fleet.FleetSimulator;
import dev.kiln.agent.fleet.RunningFleet;
import dev.kiln.agent.tls.Certificates;
import dev.kiln.agent.tls.Pem;
import dev.kiln.agent.tls.ServerTls;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.ApiError;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.burnin.JobStatus;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Hostile and unprivileged callers: no token, a wrong token, the read-only token on operator endpoints, the
 * audit trail, the rate limit, oversized and malformed requests, and mutual TLS in the fleet simulator.
 */
class SecurityTest {
    private static final String OPERATOR = "operator-token-of-length-32-chars";
    private static final String READER = "read-only-token-of-length-32-chr";
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final Logger AUDIT = Logger.getLogger(Audit.LOGGER);

    private static Vertx vertx;
    private static NodeAgent agent;
    private static int port;
    private static final List<String> auditLines = java.util.Collections.synchronizedList(new ArrayList<>());
    private static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord record) {
            auditLines.add(record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        AUDIT.addHandler(CAPTURE);
        vertx = Vertx.vertx();
        agent = NodeAgent.simulated("node-sec", ServerPresets.HGX_H100, FaultPlan.NONE, 1, true, EventOptions.off());
        port = serve(agent, RateLimit.DEFAULT);
    }

    @AfterAll
    static void stop() throws Exception {
        AUDIT.removeHandler(CAPTURE);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        agent.close();
    }

    private static int serve(NodeAgent a, RateLimit limit) throws Exception {
        Router router = Router.router(vertx);
        AgentRoutes.mount(router, a, TokenAuth.of(OPERATOR).withReadOnlyToken(TokenAuth.of(READER)), limit);
        var server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                .setMaxInitialLineLength(8192).setMaxHeaderSize(16384));
        server.invalidRequestHandler(AgentRoutes::invalidRequest).requestHandler(router);
        return server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    }

    private static HttpResponse<String> send(int onPort, String method, String path, String token, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + onPort + path))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.body()).doesNotContain("at dev.kiln", "Caused by", OPERATOR, READER);
        return r;
    }

    private static HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        return send(port, method, path, token, body);
    }

    private static ApiError error(HttpResponse<String> r, int status) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        ApiError e = KilnJson.mapper().readValue(r.body(), ApiError.class);
        assertThat(e.status()).isEqualTo(status);
        return e;
    }

    private static void assertHealthy() throws Exception {
        assertThat(send("GET", "/v1/node", READER, null).statusCode()).isEqualTo(200);
    }

    // --- tokens and roles ----------------------------------------------------------------------

    @Test
    void noTokenAndWrongTokenAre401OnEveryKindOfEndpoint() throws Exception {
        for (String[] call : new String[][]{{"GET", "/v1/inventory"}, {"POST", "/v1/checks"}, {"POST", "/v1/jobs"},
                {"DELETE", "/v1/jobs/x"}, {"POST", "/v1/fabric/sessions"}, {"GET", "/metrics"}}) {
            assertThat(error(send(call[0], call[1], null, null), 401).error()).as("%s %s", call[0], call[1])
                    .isEqualTo("unauthorized");
            assertThat(error(send(call[0], call[1], OPERATOR.replace('3', '4'), null), 401).error())
                    .isEqualTo("unauthorized");
            // A prefix or an extension of the token is not the token.
            error(send(call[0], call[1], OPERATOR.substring(0, 20), null), 401);
            error(send(call[0], call[1], OPERATOR + "x", null), 401);
        }
    }

    @Test
    void readOnlyTokenReadsAndRunsChecks() throws Exception {
        assertThat(send("GET", "/v1/inventory", READER, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/v1/node", READER, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/v1/events", READER, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/v1/jobs", READER, null).statusCode()).isEqualTo(200);
        assertThat(send("POST", "/v1/checks", READER, "{\"specName\":\"hgx-h100\"}").statusCode()).isEqualTo(200);
        assertThat(error(send("GET", "/v1/jobs/nope", READER, null), 404).error()).isEqualTo("not_found");
        HttpResponse<String> metrics = send("GET", "/metrics", READER, null);
        assertThat(metrics.statusCode()).as(metrics.body()).isIn(200, 404); // 404 until /metrics is mounted
    }

    @Test
    void readOnlyTokenIsForbiddenOnOperatorEndpoints() throws Exception {
        ApiError post = error(send("POST", "/v1/jobs", READER, "{\"type\":\"burnin\",\"durationSeconds\":1}"), 403);
        assertThat(post.error()).isEqualTo("forbidden");
        assertThat(post.message()).contains("POST /v1/jobs", "operator", "read-only");
        assertThat(error(send("DELETE", "/v1/jobs/some-job", READER, null), 403).message()).contains("operator");
        assertThat(error(send("POST", "/v1/fabric/sessions", READER, "{}"), 403).message()).contains("operator");
        // A path that only normalizes to an operator endpoint is judged as that endpoint.
        int jobs = agent.jobs().list().size();
        error(send("POST", "/v1/checks/../jobs", READER, "{\"type\":\"burnin\",\"durationSeconds\":1}"), 403);
        assertThat(agent.jobs().list()).hasSize(jobs);
    }

    @Test
    void sameTokenForBothRolesIsRefused() {
        assertThatThrownBy(() -> TokenAuth.of(OPERATOR).withReadOnlyToken(TokenAuth.of(OPERATOR)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only token is the operator token");
    }

    @Test
    void rolesAndFingerprints() {
        TokenAuth auth = TokenAuth.of(OPERATOR).withReadOnlyToken(TokenAuth.of(READER));
        assertThat(auth.roleOf("Bearer " + OPERATOR)).isEqualTo(Role.OPERATOR);
        assertThat(auth.roleOf("bearer " + READER)).isEqualTo(Role.READ_ONLY);
        assertThat(auth.roleOf("Bearer " + READER + "x")).isNull();
        assertThat(auth.roleOf(null)).isNull();
        assertThat(TokenAuth.of(OPERATOR).roleOf("Bearer " + READER)).as("no read-only token configured").isNull();
        assertThat(TokenAuth.fingerprint("Bearer " + OPERATOR)).matches("[0-9a-f]{8}")
                .isNotEqualTo(TokenAuth.fingerprint("Bearer " + READER));
        assertThat(TokenAuth.fingerprint(null)).isNull();
    }

    // --- audit ---------------------------------------------------------------------------------

    @Test
    void mutatingCallsAreAuditedWithWhoWhatAndWhenButNeverTheToken() throws Exception {
        auditLines.clear();
        send("GET", "/v1/inventory", OPERATOR, null);
        assertThat(auditLines).as("reads are not audited").isEmpty();

        HttpResponse<String> started = send("POST", "/v1/jobs", OPERATOR,
                "{\"type\":\"burnin\",\"tests\":[\"burnin.compute\"],\"gpus\":[0],\"durationSeconds\":60}");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String id = KilnJson.mapper().readValue(started.body(), JobStatus.class).id();
        HttpResponse<String> cancelled = send("DELETE", "/v1/jobs/" + id, OPERATOR, null);
        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
        send("POST", "/v1/jobs", READER, "{\"type\":\"burnin\",\"tests\":[\"burnin.memory\"],\"durationSeconds\":1}");
        send("POST", "/v1/jobs", null, "{}");

        String fp = TokenAuth.fingerprint("Bearer " + OPERATOR);
        awaitLines(4);
        List<String> lines = List.copyOf(auditLines);
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).startsWith("audit time=").contains("node=node-sec", "role=operator", "token=" + fp,
                "remote=127.0.0.1:", "method=POST", "path=/v1/jobs", "status=202", "job=" + id, "type=burnin",
                "tests=burnin.compute");
        assertThat(lines.get(1)).contains("role=operator", "token=" + fp, "method=DELETE", "path=/v1/jobs/" + id,
                "status=200", "job=" + id);
        assertThat(lines.get(2)).contains("role=read-only", "token=" + TokenAuth.fingerprint("Bearer " + READER),
                "method=POST", "path=/v1/jobs", "status=403");
        assertThat(lines.get(2)).as("a refused caller's body is never read").doesNotContain("tests=");
        assertThat(lines.get(3)).contains("role=none", "token=none", "status=401");
        String when = lines.get(0).split(" ")[1].substring("time=".length());
        assertThat(Instant.parse(when)).isBetween(Instant.now().minusSeconds(120), Instant.now());
        for (String line : lines) {
            assertThat(line).doesNotContain(OPERATOR, READER).doesNotContain("\n");
        }
    }

    @Test
    void auditValuesCannotForgeALine() throws Exception {
        auditLines.clear();
        send("DELETE", "/v1/jobs/x%0Aaudit%20role=operator", OPERATOR, null);
        awaitLines(1);
        assertThat(auditLines.get(0)).doesNotContain("\n").contains("method=DELETE");
    }

    private static void awaitLines(int n) throws InterruptedException {
        for (int i = 0; i < 100 && auditLines.size() < n; i++) {
            Thread.sleep(50);
        }
    }

    // --- rate limit ----------------------------------------------------------------------------

    @Test
    void rateLimitAnswers429WithRetryAfterThenRecovers() throws Exception {
        NodeAgent limited = NodeAgent.simulated("node-limited", ServerPresets.HGX_H100, FaultPlan.NONE, 2, true,
                EventOptions.off());
        try {
            int p = serve(limited, new RateLimit(2, 3));
            for (int i = 0; i < 3; i++) {
                assertThat(send(p, "GET", "/v1/node", READER, null).statusCode()).isEqualTo(200);
            }
            HttpResponse<String> over = send(p, "GET", "/v1/node", READER, null);
            ApiError e = error(over, 429);
            assertThat(e.error()).isEqualTo("rate_limited");
            assertThat(over.headers().firstValue("Retry-After")).hasValueSatisfying(v ->
                    assertThat(Integer.parseInt(v)).isBetween(1, 2));
            // Unauthenticated floods are limited too (before any token work).
            error(send(p, "GET", "/v1/node", null, null), 429);
            Thread.sleep(1100);
            assertThat(send(p, "GET", "/v1/node", READER, null).statusCode()).isEqualTo(200);
        } finally {
            limited.close();
        }
    }

    @Test
    void rateLimiterBucketsRefillAndStayBounded() {
        RateLimiter l = new RateLimiter(new RateLimit(10, 2));
        long t = 1_000_000_000L;
        assertThat(l.acquire("a", t)).isZero();
        assertThat(l.acquire("a", t)).isZero();
        assertThat(l.acquire("a", t)).isEqualTo(100_000_000L);
        assertThat(l.acquire("b", t)).as("another address has its own bucket").isZero();
        assertThat(l.acquire("a", t + 100_000_000L)).isZero();
        for (int i = 0; i < RateLimiter.SWEEP_ABOVE + 10; i++) {
            l.acquire("10.0." + (i / 256) + "." + (i % 256), t);
        }
        l.acquire("late", t + 10_000_000_000L);
        assertThat(l.addresses()).as("idle buckets swept").isLessThan(10);
        assertThat(new RateLimiter(RateLimit.OFF).acquire("a", t)).isZero();
    }

    // --- hostile requests ----------------------------------------------------------------------

    @Test
    void oversizedAndMalformedRequestsGet4xxAndTheAgentStaysHealthy() throws Exception {
        String big = "{\"specName\":\"" + "x".repeat((int) AgentRoutes.MAX_BODY_BYTES + 10) + "\"}";
        assertThat(send("POST", "/v1/checks", READER, big).statusCode()).isEqualTo(413);
        assertThat(send("POST", "/v1/jobs", OPERATOR, big).statusCode()).isEqualTo(413);
        assertThat(send("POST", "/v1/fabric/sessions", OPERATOR, "{\"ttlSeconds\":" + " ".repeat(5000) + "1}")
                .statusCode()).isEqualTo(413);
        assertHealthy();
        error(send("POST", "/v1/checks", READER, "{\"specName\":"), 400);
        error(send("POST", "/v1/jobs", OPERATOR, "[1,2"), 400);
        error(send("POST", "/v1/jobs", OPERATOR, "\u0000\u0001binary"), 400);
        error(send("POST", "/v1/fabric/sessions", OPERATOR, "{\"ttlSeconds\":\"forever\"}"), 400);
        assertHealthy();
        assertThat(RawHttp.send("127.0.0.1", port, "GET /v1/node HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + READER + "\r\nContent-Length: -5\r\n\r\n").status()).isBetween(400, 499);
        assertThat(RawHttp.send("127.0.0.1", port, "GET /v1/node HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n").status())
                .isBetween(400, 499);
        assertThat(RawHttp.send("127.0.0.1", port, "GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n")
                .status()).isEqualTo(414);
        assertThat(RawHttp.send("127.0.0.1", port, "GET /v1/node HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000)
                + "\r\n\r\n").status()).isEqualTo(431);
        assertHealthy();
        assertThat(agent.jobs().list()).noneMatch(j -> j.request() != null && j.request().durationSeconds() == 0);
    }

    // --- mutual TLS in the fleet simulator ----------------------------------------------------

    @Test
    void mutualTlsRefusesClientsWithoutACertificateFromTheFleetCa() throws Exception {
        Instant now = Instant.now();
        KeyPair caKeys = Certificates.newKeyPair();
        X509Certificate ca = Certificates.newCa("SecurityTest CA", caKeys, now.minusSeconds(60),
                now.plus(Duration.ofDays(30)));
        Certificates.Issued server = Certificates.issueWithNewKey(ca, caKeys.getPrivate(), "sim", List.of("localhost"),
                List.of(Certificates.ipLiteral("127.0.0.1")), now.minusSeconds(60), now.plus(Duration.ofDays(10)),
                Certificates.Usage.SERVER);
        Certificates.Issued alice = Certificates.issueWithNewKey(ca, caKeys.getPrivate(), "alice", List.of(), List.of(),
                now.minusSeconds(60), now.plus(Duration.ofDays(10)), Certificates.Usage.CLIENT);
        KeyPair otherKeys = Certificates.newKeyPair();
        X509Certificate other = Certificates.newCa("Another CA", otherKeys, now.minusSeconds(60),
                now.plus(Duration.ofDays(30)));
        Certificates.Issued mallory = Certificates.issueWithNewKey(other, otherKeys.getPrivate(), "mallory", List.of(),
                List.of(), now.minusSeconds(60), now.plus(Duration.ofDays(10)), Certificates.Usage.CLIENT);
        Path caFile = write("ca.pem", Pem.certificates(List.of(ca)), false);
        Path cert = write("sim.pem", Pem.certificates(List.of(server.certificate())), false);
        Path key = write("sim-key.pem", Pem.privateKey(server.privateKey()), true);

        var options = new FleetSimulator.Options(1, ServerPresets.HGX_H100, FaultPlan.NONE, 4, 0, false,
                dir.resolve("fleet.yaml"), dir.resolve("token"));
        try (RunningFleet fleet = FleetSimulator.start(options, new ServerTls(cert, key, caFile), caFile)) {
            String url = "https://127.0.0.1:" + fleet.nodes().get(0).port() + "/v1/node";
            assertThat(java.nio.file.Files.readString(dir.resolve("fleet.yaml")))
                    .contains("address: https://127.0.0.1:", "caFile: " + caFile.toAbsolutePath());

            HttpResponse<String> ok = tlsGet(url, ca, alice, fleet.token());
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
            assertThatThrownBy(() -> tlsGet(url, ca, null, fleet.token())).as("no client certificate")
                    .isInstanceOf(IOException.class);
            assertThatThrownBy(() -> tlsGet(url, ca, mallory, fleet.token())).as("client certificate of another CA")
                    .isInstanceOf(IOException.class);
            assertThatThrownBy(() -> tlsGet(url, other, alice, fleet.token())).as("server not trusted by this client")
                    .isInstanceOf(IOException.class);

            auditLines.clear();
            HttpResponse<String> del = tlsSend("DELETE", url.replace("/v1/node", "/v1/jobs/none"), ca, alice,
                    fleet.token());
            assertThat(del.statusCode()).isEqualTo(404);
            awaitLines(1);
            assertThat(auditLines).singleElement().asString().contains("cert=\"CN=alice,O=Kiln\"", "status=404");
            // Still healthy after the refused handshakes.
            assertThat(tlsGet(url, ca, alice, fleet.token()).statusCode()).isEqualTo(200);
        }
    }

    private static Path write(String name, String text, boolean secret) throws IOException {
        Path p = dir.resolve(name);
        Pem.write(p, text, secret, true);
        return p;
    }

    private static HttpResponse<String> tlsGet(String url, X509Certificate trusted, Certificates.Issued client,
                                               String token) throws Exception {
        return tlsSend("GET", url, trusted, client, token);
    }

    private static HttpResponse<String> tlsSend(String method, String url, X509Certificate trusted,
                                                Certificates.Issued client, String token) throws Exception {
        HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).sslContext(sslContext(trusted, client)).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token).method(method, HttpRequest.BodyPublishers.noBody()).build();
        return c.send(req, HttpResponse.BodyHandlers.ofString());
    }

    static SSLContext sslContext(X509Certificate trusted, Certificates.Issued client) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", trusted);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (client != null) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            char[] pw = "changeit".toCharArray();
            PrivateKey k = client.privateKey();
            keys.setKeyEntry("client", k, pw, new java.security.cert.Certificate[]{client.certificate()});
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, pw);
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }
}
