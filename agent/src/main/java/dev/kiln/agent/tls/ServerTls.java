package dev.kiln.agent.tls;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The agent's TLS files: its certificate chain and key (PEM), and optionally the CA whose client certificates
 * it requires (mutual TLS). {@link #check} reads them before anything listens, so a wrong path, a key that does
 * not belong to the certificate or a certificate given as the CA fail at start with a message, not at the
 * first handshake.
 *
 * @param certFile     PEM: the agent's certificate first, then any intermediates
 * @param keyFile      PEM: its private key (PKCS#8, or a traditional EC/RSA key)
 * @param clientCaFile PEM: CA certificates that sign accepted client certificates; null: no client certificate asked
 */
public record ServerTls(Path certFile, Path keyFile, Path clientCaFile) {
    public ServerTls {
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(keyFile, "keyFile");
    }

    /** Whether clients must present a certificate signed by {@link #clientCaFile}. */
    public boolean mutual() {
        return clientCaFile != null;
    }

    /**
     * Reads and cross-checks the files; returns warnings (a certificate that expires within 30 days or has
     * expired, ...). Unusable files are an {@link IllegalArgumentException} that names the file.
     */
    public List<String> check(Instant now) {
        List<String> warnings = new ArrayList<>();
        List<X509Certificate> chain = Pem.readCertificates(certFile, "TLS certificate file");
        X509Certificate leaf = chain.get(0);
        if (leaf.getBasicConstraints() >= 0 && chain.size() == 1 && leaf.getSubjectX500Principal()
                .equals(leaf.getIssuerX500Principal()) && leaf.getKeyUsage() != null && leaf.getKeyUsage()[5]) {
            throw new IllegalArgumentException("TLS certificate file " + certFile + " holds a CA certificate ("
                    + leaf.getSubjectX500Principal().getName() + "); give the node's own certificate "
                    + "('kiln pki issue NODE' writes NODE.pem)");
        }
        validity(leaf, "TLS certificate " + certFile, now, warnings);
        String keyText;
        try {
            keyText = Files.readString(keyFile, java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (java.io.IOException e) {
            keyText = null; // readPrivateKey below says why
        }
        if (keyText != null && (keyText.contains("-----BEGIN EC PRIVATE KEY-----")
                || keyText.contains("-----BEGIN RSA PRIVATE KEY-----"))) {
            warnings.add("TLS key file " + keyFile + " is in a traditional format: served as is, but Kiln cannot check "
                    + "that it belongs to the certificate");
        } else {
            PrivateKey key = Pem.readPrivateKey(keyFile, "TLS key file");
            if (!Certificates.keyMatches(key, leaf.getPublicKey())) {
                throw new IllegalArgumentException("TLS key file " + keyFile + " does not belong to the certificate in "
                        + certFile + " (" + leaf.getSubjectX500Principal().getName() + "); give the key that was "
                        + "issued with it");
            }
        }
        if (clientCaFile != null) {
            for (X509Certificate ca : Pem.readCertificates(clientCaFile, "TLS client CA file")) {
                if (ca.getBasicConstraints() < 0) {
                    throw new IllegalArgumentException("TLS client CA file " + clientCaFile + " holds '"
                            + ca.getSubjectX500Principal().getName() + "', which is not a CA certificate; give the "
                            + "CA that signs client certificates (the fleet CA: ca.pem)");
                }
                validity(ca, "TLS client CA " + clientCaFile, now, warnings);
            }
        }
        return warnings;
    }

    private static void validity(X509Certificate cert, String what, Instant now, List<String> warnings) {
        Instant end = cert.getNotAfter().toInstant();
        if (now.isAfter(end)) {
            warnings.add(what + " expired at " + end + "; clients that verify it will refuse this agent");
        } else if (now.isBefore(cert.getNotBefore().toInstant())) {
            warnings.add(what + " is not valid before " + cert.getNotBefore().toInstant() + " (check this clock)");
        } else if (Duration.between(now, end).compareTo(Duration.ofDays(30)) < 0) {
            warnings.add(what + " expires at " + end + "; renew it");
        }
    }
}
