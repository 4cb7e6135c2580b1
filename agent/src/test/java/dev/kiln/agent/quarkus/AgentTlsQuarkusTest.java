package dev.kiln.agent.quarkus;

import dev.kiln.agent.tls.Certificates;
import dev.kiln.agent.tls.Pem;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The daemon as {@code kiln-agent serve --tls-cert --tls-key --tls-client-ca --read-token-file} configures it:
 * HTTPS only, a client certificate from the fleet CA required, and the two token roles. Its own Quarkus boot.
 */
@QuarkusTest
@TestProfile(AgentTlsQuarkusTest.Tls.class)
class AgentTlsQuarkusTest {
    static final Path DIR = Path.of("target/quarkus-tls-test");

    /** Makes a CA, the agent's certificate (localhost) and a client certificate, and configures them as serve does. */
    public static final class Tls implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Files.createDirectories(DIR);
                Instant now = Instant.now();
                KeyPair caKeys = Certificates.newKeyPair();
                X509Certificate ca = Certificates.newCa("Quarkus TLS test CA", caKeys, now.minusSeconds(60),
                        now.plus(Duration.ofDays(2)));
                Certificates.Issued server = Certificates.issueWithNewKey(ca, caKeys.getPrivate(), "localhost",
                        List.of("localhost"), List.of(Certificates.ipLiteral("127.0.0.1")), now.minusSeconds(60),
                        now.plus(Duration.ofDays(1)), Certificates.Usage.SERVER);
                Certificates.Issued client = Certificates.issueWithNewKey(ca, caKeys.getPrivate(), "tester", List.of(),
                        List.of(), now.minusSeconds(60), now.plus(Duration.ofDays(1)), Certificates.Usage.CLIENT);
                Pem.write(DIR.resolve("ca.pem"), Pem.certificates(List.of(ca)), false, true);
                Pem.write(DIR.resolve("agent.pem"), Pem.certificates(List.of(server.certificate())), false, true);
                Pem.write(DIR.resolve("agent-key.pem"), Pem.privateKey(server.privateKey()), true, true);
                Pem.write(DIR.resolve("client.pem"), Pem.certificates(List.of(client.certificate())), false, true);
                Pem.write(DIR.resolve("client-key.pem"), Pem.privateKey(client.privateKey()), true, true);
                Files.writeString(DIR.resolve("read.token"), "read-only-token-for-the-tls-test\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of(
                    "quarkus.http.ssl.certificate.files", DIR.resolve("agent.pem").toAbsolutePath().toString(),
                    "quarkus.http.ssl.certificate.key-files", DIR.resolve("agent-key.pem").toAbsolutePath().toString(),
                    "quarkus.http.insecure-requests", "disabled",
                    "quarkus.http.test-ssl-port", "0",
                    "kiln.agent.tls-client-ca", DIR.resolve("ca.pem").toAbsolutePath().toString(),
                    "kiln.agent.read-token-file", DIR.resolve("read.token").toAbsolutePath().toString());
        }
    }

    @TestHTTPResource(value = "/", tls = true)
    URL base;

    private HttpResponse<String> send(String method, String path, String token, boolean clientCert) throws Exception {
        HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .sslContext(ssl(clientCert)).build();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base.toString()).resolve(path))
                .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.ofString(
                        method.equals("POST") ? "{\"type\":\"burnin\",\"durationSeconds\":1}" : ""));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String operatorToken() throws IOException {
        return Files.readString(Path.of("target/quarkus-test-token")).trim();
    }

    @Test
    void servesHttpsToClientsWithACertificateFromTheCa() throws Exception {
        assertThat(base.getProtocol()).isEqualTo("https");
        HttpResponse<String> r = send("GET", "/v1/node", operatorToken(), true);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThatThrownBy(() -> send("GET", "/v1/node", operatorToken(), false)).as("no client certificate")
                .isInstanceOf(IOException.class);
    }

    @Test
    void readOnlyTokenReadsButMayNotStartJobs() throws Exception {
        String reader = "read-only-token-for-the-tls-test";
        assertThat(send("GET", "/v1/inventory", reader, true).statusCode()).isEqualTo(200);
        HttpResponse<String> post = send("POST", "/v1/jobs", reader, true);
        assertThat(post.statusCode()).as(post.body()).isEqualTo(403);
        assertThat(post.body()).contains("operator");
        assertThat(send("GET", "/v1/node", null, true).statusCode()).isEqualTo(401);
    }

    private static SSLContext ssl(boolean withClientCert) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", Pem.readCertificates(DIR.resolve("ca.pem"), "ca").get(0));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (withClientCert) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            char[] pw = "changeit".toCharArray();
            PrivateKey key = Pem.readPrivateKey(DIR.resolve("client-key.pem"), "key");
            keys.setKeyEntry("client", key, pw, Pem.readCertificates(DIR.resolve("client.pem"), "client")
                    .toArray(new X509Certificate[0]));
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, pw);
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }
}
