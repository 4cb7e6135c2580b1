package dev.kiln.cli;

import dev.kiln.agent.fleet.FleetSimulator;
import dev.kiln.agent.fleet.RunningFleet;
import dev.kiln.agent.tls.Pem;
import dev.kiln.agent.tls.ServerTls;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kiln pki} end to end: a fleet CA and certificates made by the CLI, agents of the fleet simulator serving
 * them, and {@code kiln status} verifying them (or refusing a certificate from another CA, a certificate that does
 * not name the host, or an agent that wants a client certificate it lacks).
 */
class TlsFleetTest {
    @TempDir
    static Path dir;
    static Path pki;
    static Path other;

    @BeforeAll
    static void pki() {
        pki = dir.resolve("pki");
        other = dir.resolve("other");
        ok(Kiln.run("pki", "init", "--dir", pki.toString(), "--name", "Test fleet CA"));
        ok(Kiln.run("pki", "issue", "sim", "--dir", pki.toString(), "--ip", "127.0.0.1", "--dns", "localhost"));
        ok(Kiln.run("pki", "issue", "alice", "--client", "--dir", pki.toString()));
        ok(Kiln.run("pki", "issue", "wrong-name", "--dir", pki.toString(), "--dns", "gpu-17.example.com"));
        ok(Kiln.run("pki", "init", "--dir", other.toString(), "--name", "Another CA"));
        ok(Kiln.run("pki", "issue", "sim", "--dir", other.toString(), "--ip", "127.0.0.1"));
        ok(Kiln.run("pki", "issue", "mallory", "--client", "--dir", other.toString()));
    }

    private static Kiln.Run ok(Kiln.Run run) {
        assertThat(run.exitCode()).as(run.describe()).isZero();
        return run;
    }

    @Test
    void initWritesAPrivateKeyAndRefusesToOverwrite() throws Exception {
        assertThat(Files.getPosixFilePermissions(pki.resolve("ca-key.pem")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(pki.resolve("sim-key.pem")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(pki)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        String before = Files.readString(pki.resolve("ca.pem"));
        Kiln.Run again = Kiln.run("pki", "init", "--dir", pki.toString());
        assertThat(again.exitCode()).as(again.describe()).isEqualTo(ExitCodes.USAGE);
        assertThat(again.err()).contains("refusing to overwrite the fleet CA");
        assertThat(Files.readString(pki.resolve("ca.pem"))).isEqualTo(before);
        Kiln.Run twice = Kiln.run("pki", "issue", "sim", "--dir", pki.toString(), "--ip", "127.0.0.1");
        assertThat(twice.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(twice.err()).contains("already exists", "--force");
        Kiln.Run noCa = Kiln.run("pki", "issue", "n1", "--dir", dir.resolve("empty").toString());
        assertThat(noCa.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(noCa.err()).contains("no fleet CA", "kiln pki init");
        Kiln.Run badIp = Kiln.run("pki", "issue", "n1", "--dir", pki.toString(), "--ip", "300.1.1.1");
        assertThat(badIp.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(badIp.err()).contains("--ip '300.1.1.1'");
    }

    @Test
    void issuedCertificatesFormAValidPkixChain() throws Exception {
        X509Certificate ca = Pem.readCertificates(pki.resolve("ca.pem"), "ca").get(0);
        X509Certificate sim = Pem.readCertificates(pki.resolve("sim.pem"), "sim").get(0);
        X509Certificate alice = Pem.readCertificates(pki.resolve("alice.pem"), "alice").get(0);
        assertThat(ca.getBasicConstraints()).isZero();
        assertThat(ca.getSubjectX500Principal().getName()).contains("CN=Test fleet CA");
        assertThat(ca.getNotAfter().toInstant()).isAfter(java.time.Instant.now().plus(java.time.Duration.ofDays(3649)));
        assertThat(sim.getBasicConstraints()).isEqualTo(-1);
        assertThat(sim.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(sim.getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1))).toList())
                .containsExactlyInAnyOrder("sim", "localhost", "127.0.0.1");
        assertThat(alice.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        assertThat(alice.getSubjectAlternativeNames()).isNull();
        for (X509Certificate leaf : List.of(sim, alice)) {
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);
        }
        X509Certificate foreign = Pem.readCertificates(other.resolve("sim.pem"), "other").get(0);
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        params.setRevocationEnabled(false);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(List.of(foreign)), params))
                .isInstanceOf(java.security.cert.CertPathValidatorException.class);
    }

    /** A TLS fleet of two nodes serving {@code certDir/NAME.pem}, and a fleet file for it with {@code extraDefaults}. */
    private static Path fleetFile(RunningFleet fleet, String name, String extraDefaults) throws IOException {
        StringBuilder y = new StringBuilder("defaults:\n  tokenFile: " + fleet.tokenFile() + "\n" + extraDefaults
                + "racks:\n  - name: rack-01\n    nodes:\n");
        for (FleetSimulator.SimNode n : fleet.nodes()) {
            y.append("      - name: ").append(n.name()).append("\n        address: https://").append(n.address()).append('\n');
        }
        Path f = dir.resolve(name + ".yaml");
        Files.writeString(f, y);
        return f;
    }

    private static RunningFleet serve(Path certDir, String cert, Path clientCa, String name) {
        return FleetSimulator.start(new FleetSimulator.Options(2, ServerPresets.get("hgx-h100"), FaultPlan.NONE, 4, 0,
                        false, null, dir.resolve(name + "-token")),
                new ServerTls(certDir.resolve(cert + ".pem"), certDir.resolve(cert + "-key.pem"), clientCa), null);
    }

    @Test
    void statusVerifiesTheAgentsAgainstTheFleetCa() throws Exception {
        try (RunningFleet fleet = serve(pki, "sim", null, "good")) {
            Path f = fleetFile(fleet, "good", "  caFile: " + pki.resolve("ca.pem") + "\n");
            Kiln.Run run = Kiln.run("status", "--fleet", f.toString());
            assertThat(run.exitCode()).as(run.describe()).isZero();
            assertThat(run.out()).contains("node-001", "node-002");
            assertThat(run.err()).doesNotContain("warning");
        }
    }

    @Test
    void aCertificateFromAnotherCaIsRefusedAndInsecureWarns() throws Exception {
        try (RunningFleet fleet = serve(other, "sim", null, "foreign")) {
            Path f = fleetFile(fleet, "foreign", "  caFile: " + pki.resolve("ca.pem") + "\n");
            Kiln.Run run = Kiln.run("status", "--fleet", f.toString());
            assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.UNREACHABLE);
            assertThat(run.out() + run.err()).contains("certificate not trusted", pki.resolve("ca.pem").toString());

            Kiln.Run insecure = Kiln.run("status", "--fleet", f.toString(), "--insecure");
            assertThat(insecure.exitCode()).as(insecure.describe()).isZero();
            assertThat(insecure.err()).contains("warning: --insecure", "not verified");
        }
    }

    @Test
    void aCertificateThatDoesNotNameTheHostIsRefused() throws Exception {
        try (RunningFleet fleet = serve(pki, "wrong-name", null, "misnamed")) {
            Path f = fleetFile(fleet, "misnamed", "  caFile: " + pki.resolve("ca.pem") + "\n");
            Kiln.Run run = Kiln.run("status", "--fleet", f.toString());
            assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.UNREACHABLE);
            assertThat(run.out() + run.err()).contains("does not name '127.0.0.1'", "--ip 127.0.0.1");
        }
    }

    @Test
    void mutualTlsNeedsAClientCertificateFromTheFleetCa() throws Exception {
        try (RunningFleet fleet = serve(pki, "sim", pki.resolve("ca.pem"), "mutual")) {
            String ca = "  caFile: " + pki.resolve("ca.pem") + "\n";
            Kiln.Run none = Kiln.run("status", "--fleet", fleetFile(fleet, "mutual-none", ca).toString());
            assertThat(none.exitCode()).as(none.describe()).isEqualTo(ExitCodes.UNREACHABLE);
            assertThat(none.out() + none.err()).contains("client certificate");

            Kiln.Run foreign = Kiln.run("status", "--fleet", fleetFile(fleet, "mutual-foreign", ca + "  clientCert: "
                    + other.resolve("mallory.pem") + "\n  clientKey: " + other.resolve("mallory-key.pem") + "\n").toString());
            assertThat(foreign.exitCode()).as(foreign.describe()).isEqualTo(ExitCodes.UNREACHABLE);

            Kiln.Run alice = Kiln.run("status", "--fleet", fleetFile(fleet, "mutual-alice", ca + "  clientCert: "
                    + pki.resolve("alice.pem") + "\n  clientKey: " + pki.resolve("alice-key.pem") + "\n").toString());
            assertThat(alice.exitCode()).as(alice.describe()).isZero();
        }
    }

    @Test
    void anHttpsAddressForAPlainAgentSaysSo() throws Exception {
        try (RunningFleet plain = FleetSimulator.start(new FleetSimulator.Options(1, ServerPresets.get("hgx-h100"),
                FaultPlan.NONE, 4, 0, false, null, dir.resolve("plain-token")))) {
            Path f = fleetFile(plain, "plain", "  caFile: " + pki.resolve("ca.pem") + "\n");
            Kiln.Run run = Kiln.run("status", "--fleet", f.toString());
            assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.UNREACHABLE);
            assertThat(run.out() + run.err()).contains("does not speak TLS");
        }
    }
}
