package dev.kiln.agent.quarkus;

import dev.kiln.agent.core.SystemdNotify;
import io.quarkus.vertx.http.HttpServerStart;
import io.quarkus.vertx.http.HttpsServerStart;
import io.vertx.core.http.HttpServerOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.ObservesAsync;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reports readiness to systemd ({@code READY=1}, see {@link SystemdNotify}) when Quarkus's HTTP or HTTPS server
 * listens (with {@code --tls-cert} only HTTPS starts): Quarkus fires {@link HttpServerStart} /
 * {@link HttpsServerStart} from the listen callback, after {@link AgentBootstrap} mounted the routes, so
 * {@code systemctl start kiln-agent} (a {@code Type=notify} unit) returns when {@code /v1} answers.
 * Outside systemd this does nothing. No other class calls it: it needs no hook elsewhere.
 */
@ApplicationScoped
public class SystemdReadiness {
    private static final Logger LOG = Logger.getLogger(SystemdReadiness.class.getName());
    private final AtomicBoolean told = new AtomicBoolean();

    void http(@ObservesAsync HttpServerStart start) {
        listening("http", start.options());
    }

    void https(@ObservesAsync HttpsServerStart start) {
        listening("https", start.options());
    }

    private void listening(String scheme, HttpServerOptions options) {
        if (told.compareAndSet(false, true)) {   // one READY=1, whichever server listens first
            var outcome = SystemdNotify.ready("serving /v1 on " + scheme + "://" + options.getHost() + ":" + options.getPort());
            Level level = switch (outcome.result()) {
                case SENT -> Level.INFO;
                case NOT_UNDER_SYSTEMD -> Level.FINE;
                case FAILED -> Level.WARNING;
            };
            LOG.log(level, outcome::detail);
        }
    }
}
