package dev.kiln.cli.fleet;

import dev.kiln.agent.tls.Certificates;
import dev.kiln.agent.tls.Pem;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The fleet file's TLS fields: https:// and http:// addresses, tls, caFile, clientCert, clientKey. */
class FleetFileTlsTest {
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    @BeforeEach
    void files() throws IOException {
        Files.writeString(dir.resolve("kiln-token"), TOKEN + "\n");
        Instant now = Instant.now();
        KeyPair ca = Certificates.newKeyPair();
        X509Certificate caCert = Certificates.newCa("Fleet file test CA", ca, now.minusSeconds(60), now.plus(Duration.ofDays(9)));
        Pem.write(dir.resolve("ca.pem"), Pem.certificates(List.of(caCert)), false, true);
        Certificates.Issued me = Certificates.issueWithNewKey(caCert, ca.getPrivate(), "me", List.of(), List.of(),
                now.minusSeconds(60), now.plus(Duration.ofDays(5)), Certificates.Usage.CLIENT);
        Pem.write(dir.resolve("me.pem"), Pem.certificates(List.of(me.certificate())), false, true);
        Pem.write(dir.resolve("me-key.pem"), Pem.privateKey(me.privateKey()), true, true);
        Pem.write(dir.resolve("other-key.pem"), Pem.privateKey(Certificates.newKeyPair().getPrivate()), true, true);
    }

    private Fleet parse(String yaml) {
        return FleetFile.parse(dir.resolve("fleet.yaml"), new StringReader(yaml), dir.resolve("no-pki"));
    }

    private String errorOf(String yaml) {
        try {
            parse(yaml);
        } catch (FleetFileException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected a FleetFileException for:\n" + yaml);
    }

    private static String fleet(String defaults, String nodeExtra) {
        return "defaults:\n  tokenFile: kiln-token\n" + defaults + "racks:\n  - name: r1\n    nodes:\n"
                + "      - name: n1\n        address: 10.0.0.1\n" + nodeExtra
                + "      - name: n2\n        address: https://10.0.0.2:9443/\n"
                + "      - name: n3\n        address: http://10.0.0.3\n";
    }

    @Test
    void schemesAndTlsFieldsDecidePerNode() {
        Fleet plain = parse(fleet("", ""));
        assertThat(plain.nodes().get(0).tls()).isNull();
        FleetNode n2 = plain.nodes().get(1);
        assertThat(n2.tls()).isNotNull();
        assertThat(n2.host()).isEqualTo("10.0.0.2");
        assertThat(n2.port()).isEqualTo(9443);
        assertThat(n2.scheme()).isEqualTo("https");
        assertThat(n2.address()).isEqualTo("https://10.0.0.2:9443/");
        assertThat(n2.tls().caFile()).as("no caFile and no kiln pki CA: the JDK's trust store").isNull();
        assertThat(plain.nodes().get(2).tls()).isNull();
        assertThat(plain.usesTls()).isTrue();

        Fleet tls = parse(fleet("  tls: true\n  caFile: ca.pem\n  clientCert: me.pem\n  clientKey: me-key.pem\n", ""));
        AgentTls t = tls.nodes().get(0).tls();
        assertThat(t).isEqualTo(new AgentTls(dir.resolve("ca.pem"), dir.resolve("me.pem"), dir.resolve("me-key.pem"), false));
        assertThat(tls.nodes().get(1).tls()).as("one shared profile").isSameAs(t);
        assertThat(tls.nodes().get(2).tls()).as("http:// wins over defaults.tls").isNull();
        assertThat(tls.insecure().nodes().get(0).tls().insecure()).isTrue();
        assertThat(tls.insecure().nodes().get(2).tls()).isNull();

        Fleet off = parse(fleet("  tls: true\n", "        tls: false\n"));
        assertThat(off.nodes().get(0).tls()).isNull();
    }

    @Test
    void caFileDefaultsToTheKilnPkiCa() throws IOException {
        Path pki = Files.createDirectories(dir.resolve("pki"));
        Files.copy(dir.resolve("ca.pem"), pki.resolve("ca.pem"));
        Fleet f = FleetFile.parse(dir.resolve("fleet.yaml"), new StringReader(fleet("  tls: true\n", "")), pki);
        assertThat(f.nodes().get(0).tls().caFile()).isEqualTo(pki.resolve("ca.pem"));
    }

    @Test
    void mistakesNameTheLineAndTheFix() {
        assertThat(errorOf(fleet("  tls: yes-please\n", ""))).contains("fleet.yaml:3: defaults: field 'tls' must be true or false");
        assertThat(errorOf(fleet("  tls: true\n  caFile: missing.pem\n", "")))
                .contains("fleet.yaml:4: defaults: field 'caFile'", "missing.pem does not exist");
        assertThat(errorOf(fleet("  tls: true\n  caFile: me-key.pem\n", ""))).contains("holds no PEM certificate");
        assertThat(errorOf(fleet("  tls: true\n  clientCert: me.pem\n", "")))
                .contains("node 'n1'", "needs both 'clientCert' and 'clientKey'");
        assertThat(errorOf(fleet("  tls: true\n  clientCert: me.pem\n  clientKey: other-key.pem\n", "")))
                .contains("is not the key of clientCert");
        assertThat(errorOf(fleet("", "        tls: false\n").replace("address: https://10.0.0.2:9443/",
                "address: https://10.0.0.2:9443/\n        tls: false"))).contains("contradicts its address's https://");
        assertThat(errorOf(fleet("", "        caFile: ca.pem\n"))).contains("node 'n1'", "speaks plain HTTP");
        String onlyPlain = "defaults:\n  tokenFile: kiln-token\n  caFile: ca.pem\nracks:\n  - name: r1\n    nodes:\n"
                + "      - name: n1\n        address: 10.0.0.1\n";
        assertThat(errorOf(onlyPlain)).contains("fleet.yaml:3:", "no node speaks TLS", "tokens sent in clear");
    }
}
