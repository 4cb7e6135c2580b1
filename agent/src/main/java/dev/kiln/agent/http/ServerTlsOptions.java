package dev.kiln.agent.http;

import dev.kiln.agent.tls.ServerTls;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;

/** {@link ServerTls} as Vert.x server options: HTTPS with the PEM certificate and key, and for mutual TLS a required client certificate. */
public final class ServerTlsOptions {
    private ServerTlsOptions() {
    }

    /** Turns on TLS in {@code options} (certificate, key and, when mutual, the client CA). */
    public static HttpServerOptions apply(HttpServerOptions options, ServerTls tls) {
        options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                .setCertPath(tls.certFile().toAbsolutePath().toString())
                .setKeyPath(tls.keyFile().toAbsolutePath().toString()));
        if (tls.mutual()) {
            requireClientCertificates(options, tls.clientCaFile());
        }
        return options;
    }

    /** Mutual TLS: the handshake fails unless the client presents a certificate signed by a CA in {@code caFile}. */
    public static HttpServerOptions requireClientCertificates(HttpServerOptions options, java.nio.file.Path caFile) {
        return options.setClientAuth(ClientAuth.REQUIRED)
                .setTrustOptions(new PemTrustOptions().addCertPath(caFile.toAbsolutePath().toString()));
    }
}
