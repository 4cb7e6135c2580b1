package dev.kiln.agent.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.burnin.JobStatus;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The audit trail: one log line per mutating call (and per refused attempt at one), on the logger
 * {@value #LOGGER}, saying who (role, token fingerprint, remote address, client certificate subject),
 * what (method, path, status, job id, job type and test ids) and when. Never the token itself.
 * <pre>
 * audit time=2026-05-20T10:00:00.123Z node=node-001 role=operator token=1a2b3c4d remote=10.0.0.5:53122
 *   cert="CN=alice,O=Kiln" method=POST path=/v1/jobs status=202 job=job-3f2a type=burnin tests=gpu.compute,gpu.memory
 * </pre>
 * (one line; wrapped here). Values with spaces or quotes are quoted; control characters are escaped, so a
 * request cannot forge a line.
 */
final class Audit {
    /** The logger audit lines go to (the agent's console log, the journal under systemd). */
    static final String LOGGER = "dev.kiln.agent.audit";
    /** Routing-context key under which a job route leaves the {@link JobStatus} it started or cancelled. */
    static final String JOB = "kiln.audit.job";
    private static final Logger LOG = Logger.getLogger(LOGGER);
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9._:/@,+\\-\\[\\]]+");

    private final String node;
    private final Clock clock;

    Audit(String node, Clock clock) {
        this.node = node;
        this.clock = clock;
    }

    /** Logs the call once its response has ended. */
    void onEnd(RoutingContext ctx, Role role, String fingerprint) {
        ctx.addEndHandler(v -> log(ctx, role, fingerprint));
    }

    /** Logs the call now (a refused one, whose response is written already). */
    void log(RoutingContext ctx, Role role, String fingerprint) {
        LOG.info(line(ctx, role, fingerprint));
    }

    String line(RoutingContext ctx, Role role, String fingerprint) {
        HttpServerRequest req = ctx.request();
        StringBuilder sb = new StringBuilder("audit");
        field(sb, "time", clock.instant().toString());
        field(sb, "node", node);
        field(sb, "role", role == null ? "none" : role.id());
        field(sb, "token", fingerprint == null ? "none" : fingerprint);
        SocketAddress remote = req.remoteAddress();
        field(sb, "remote", remote == null ? "unknown" : remote.hostAddress() + ":" + remote.port());
        String cert = clientCertificate(req);
        if (cert != null) {
            field(sb, "cert", cert);
        }
        field(sb, "method", req.method().name());
        field(sb, "path", req.path());
        field(sb, "status", Integer.toString(ctx.response().getStatusCode()));
        Object job = ctx.get(JOB);
        if (job instanceof JobStatus s) {
            field(sb, "job", s.id());
            if (s.request() != null) {
                field(sb, "type", s.request().type());
                tests(sb, s.request().tests());
            }
        } else {
            String id = jobIdOf(req);
            if (id != null) {
                field(sb, "job", id);
            }
            requested(sb, ctx);
        }
        return sb.toString();
    }

    /** The subject of a verified client certificate (mutual TLS), or null. */
    static String clientCertificate(HttpServerRequest req) {
        if (!req.isSSL()) {
            return null;
        }
        try {
            SSLSession session = req.sslSession();
            Certificate[] chain = session == null ? null : session.getPeerCertificates();
            return chain != null && chain.length > 0 && chain[0] instanceof X509Certificate x
                    ? x.getSubjectX500Principal().getName() : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    private static String jobIdOf(HttpServerRequest req) {
        String p = req.path();
        if (p != null && p.startsWith("/v1/jobs/")) {
            String rest = p.substring("/v1/jobs/".length());
            int slash = rest.indexOf('/');
            return slash < 0 ? rest : rest.substring(0, slash);
        }
        return null;
    }

    /** Type and tests of a job request that did not start (refused or invalid), read leniently from the body. */
    private static void requested(StringBuilder sb, RoutingContext ctx) {
        if (ctx.body() == null || ctx.body().buffer() == null || ctx.body().length() == 0
                || ctx.body().length() > 64 * 1024) {
            return;
        }
        try {
            JsonNode n = KilnJson.mapper().readTree(ctx.body().buffer().getBytes());
            if (n != null && n.isObject()) {
                if (n.path("type").isTextual()) {
                    field(sb, "type", n.get("type").asText());
                }
                if (n.path("tests").isArray()) {
                    List<String> tests = new java.util.ArrayList<>();
                    n.get("tests").forEach(t -> tests.add(t.asText()));
                    tests(sb, tests);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // Not JSON: the status says the call was refused; nothing more to name.
        }
    }

    private static void tests(StringBuilder sb, List<String> tests) {
        if (tests != null && !tests.isEmpty()) {
            field(sb, "tests", String.join(",", tests));
        }
    }

    private static void field(StringBuilder sb, String key, String value) {
        sb.append(' ').append(key).append('=');
        if (value == null) {
            sb.append('-');
        } else if (PLAIN.matcher(value).matches()) {
            sb.append(value);
        } else {
            sb.append('"');
            int max = Math.min(value.length(), 512);
            for (int i = 0; i < max; i++) {
                char c = value.charAt(i);
                if (c == '"' || c == '\\') {
                    sb.append('\\').append(c);
                } else if (c < 0x20 || c == 0x7F) {
                    sb.append(String.format("\\x%02x", (int) c));
                } else {
                    sb.append(c);
                }
            }
            if (value.length() > max) {
                sb.append("...");
            }
            sb.append('"');
        }
    }
}
