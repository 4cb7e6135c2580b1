package dev.kiln.agent.quarkus;

import dev.kiln.agent.http.ServerTlsOptions;
import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Path;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Mutual TLS for {@code kiln-agent serve --tls-client-ca}: requires a client certificate signed by the CA on the
 * HTTPS server. Done here at run time because Quarkus fixes {@code quarkus.http.ssl.client-auth} when it builds the
 * application; the certificate and key themselves are Quarkus's {@code quarkus.http.ssl.certificate.*} properties.
 */
@ApplicationScoped
public class AgentTlsCustomizer implements HttpServerOptionsCustomizer {
    private static final Logger LOG = Logger.getLogger(AgentTlsCustomizer.class.getName());

    @ConfigProperty(name = "kiln.agent.tls-client-ca")
    Optional<Path> clientCa;

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        if (clientCa.isPresent()) {
            ServerTlsOptions.requireClientCertificates(options, clientCa.get());
            LOG.info(() -> "HTTPS with client certificates required (mutual TLS), CA " + clientCa.get());
        } else {
            LOG.info("HTTPS; client certificates not asked for (add --tls-client-ca for mutual TLS)");
        }
    }
}
