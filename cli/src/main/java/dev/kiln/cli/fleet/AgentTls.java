package dev.kiln.cli.fleet;

import java.nio.file.Path;

/**
 * How {@code kiln} speaks HTTPS to an agent (a node's {@code https://} address or {@code tls: true}).
 *
 * @param caFile     PEM CA certificate(s) the agent's certificate must chain to: the fleet file's {@code caFile},
 *                   else {@code ca.pem} of kiln's PKI directory when it exists; null: the JDK's trust store
 * @param clientCert PEM client certificate for agents that require one (mutual TLS), or null
 * @param clientKey  its PKCS#8 PEM private key, or null
 * @param insecure   {@code --insecure}: neither the certificate nor the host name is verified
 */
public record AgentTls(Path caFile, Path clientCert, Path clientKey, boolean insecure) {
    public AgentTls {
        if ((clientCert == null) != (clientKey == null)) {
            throw new IllegalArgumentException("clientCert and clientKey go together");
        }
    }

    /** The same, without verification. */
    public AgentTls insecureCopy() {
        return new AgentTls(caFile, clientCert, clientKey, true);
    }

    /** What the agent's certificate is verified against, for messages. */
    public String trustDescription() {
        if (insecure) {
            return "nothing (--insecure)";
        }
        return caFile != null ? "the CA in " + caFile : "the JDK's trust store (no caFile, and no ca.pem in kiln's PKI directory)";
    }
}
