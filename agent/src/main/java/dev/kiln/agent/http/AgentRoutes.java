package dev.kiln.agent.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kiln.agent.checks.SpecResolver;
import dev.kiln.agent.core.NodeAgent;
import dev.kiln.protocol.check.CheckRequest;
import dev.kiln.protocol.spec.NodeSpec;
import dev.kiln.protocol.ApiError;
import dev.kiln.protocol.KilnJson;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The agent's HTTP/JSON API as Vert.x Web routes, mountable on any router: Quarkus's in the
 * daemon, one router per node in the fleet simulator. Every {@code /v1} path needs the bearer
 * token; every error is a JSON {@link ApiError}, never a stack trace.
 */
public final class AgentRoutes {
    private static final Logger LOG = Logger.getLogger(AgentRoutes.class.getName());
    private static final String JSON = "application/json";
    private static final java.util.Map<String, String> ALLOWED = java.util.Map.of(
            "/v1/node", "GET", "/v1/inventory", "GET", "/v1/checks", "POST", "/v1/events", "GET",
            "/v1/jobs", "GET, POST");
    private static final java.util.regex.Pattern JOB = java.util.regex.Pattern.compile("/v1/jobs/[^/]+");
    private static final java.util.regex.Pattern JOB_EVENTS = java.util.regex.Pattern.compile("/v1/jobs/[^/]+/events");
    /** Largest request body accepted (a spec is a few KiB). */
    static final long MAX_BODY_BYTES = 1024 * 1024;

    private final NodeAgent agent;
    private final TokenAuth auth;
    private final RateLimiter limiter;
    private final Audit audit;

    private AgentRoutes(NodeAgent agent, TokenAuth auth, RateLimit limit) {
        this.agent = agent;
        this.auth = auth;
        this.limiter = new RateLimiter(limit);
        this.audit = new Audit(agent.name(), java.time.Clock.systemUTC());
    }

    /**
     * Adds the {@code /v1} API to {@code router} without a rate limit (for embedding and tests); the daemon
     * and the fleet simulator pass theirs to {@link #mount(Router, NodeAgent, TokenAuth, RateLimit)}.
     */
    public static void mount(Router router, NodeAgent agent, TokenAuth auth) {
        mount(router, agent, auth, RateLimit.OFF);
    }

    /**
     * Adds the {@code /v1} API to {@code router}: every call rate-limited per client address, then
     * authenticated and checked against the token's {@link Role} ({@link Access}); mutating calls audited.
     */
    public static void mount(Router router, NodeAgent agent, TokenAuth auth, RateLimit limit) {
        AgentRoutes r = new AgentRoutes(agent, auth, limit);
        if (r.limiter.enabled()) {
            router.route("/v1/*").order(-101).handler(r::rateLimit).failureHandler(r::failure);
            router.route("/metrics").order(-101).handler(r::rateLimit).failureHandler(r::failure);
        }
        router.route("/v1/*").order(-100).handler(r::authenticate).failureHandler(r::failure);
        router.route("/v1/*").order(RequestLimits.ORDER).handler(RequestLimits::declaredLengthWithinLimit);
        router.get("/v1/node").handler(ctx -> r.respond(ctx, agent::nodeInfo)).failureHandler(r::failure);
        router.get("/v1/inventory").handler(r::inventory).failureHandler(r::failure);
        router.get("/v1/events").handler(r::events).failureHandler(r::failure);
        router.post("/v1/checks").handler(io.vertx.ext.web.handler.BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES))
                .handler(r::checks).failureHandler(r::failure);
        JobRoutes.mount(router, agent, r::failure);
        FabricRoutes.mount(router, agent, r::failure);
        MetricsRoutes.mount(router, agent, auth, r::failure);
        router.route("/v1/*").handler(r::notFound).failureHandler(r::failure);
    }

    private void authenticate(RoutingContext ctx) {
        String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        Role needed = Access.required(ctx.request().method(), ctx.normalizedPath());
        Role role = auth.roleOf(header);
        if (role != null && role.covers(needed)) {
            if (needed == Role.OPERATOR) {
                audit.onEnd(ctx, role, TokenAuth.fingerprint(header));
            }
            ctx.next();
            return;
        }
        if (role != null) {
            error(ctx, 403, "forbidden", ctx.request().method() + " " + ctx.normalizedPath() + " needs the "
                    + needed.id() + " token; this is the " + role.id() + " token, which may read the node and run "
                    + "checks but not start or cancel jobs (see docs/security.md)");
        } else {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"kiln-agent\"");
            error(ctx, 401, "unauthorized", header != null
                    ? "bearer token rejected; use the token in the fleet's token file"
                    : "missing 'Authorization: Bearer <token>' header; every /v1 endpoint needs the agent's token");
        }
        if (needed == Role.OPERATOR) {
            audit.log(ctx, role, TokenAuth.fingerprint(header));
        }
    }

    /** Per client address; a client over its limit gets 429 with the seconds to wait in {@code Retry-After}. */
    private void rateLimit(RoutingContext ctx) {
        io.vertx.core.net.SocketAddress remote = ctx.request().remoteAddress();
        long waitNanos = limiter.acquire(remote == null ? "unknown" : remote.hostAddress(), System.nanoTime());
        if (waitNanos == 0) {
            ctx.next();
            return;
        }
        long seconds = Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
        ctx.response().putHeader("Retry-After", Long.toString(seconds));
        error(ctx, 429, "rate_limited", "too many requests from " + (remote == null ? "this client" : remote.hostAddress())
                + "; this agent accepts " + limiter.limit() + "; retry after " + seconds + " s");
    }

    private void inventory(RoutingContext ctx) {
        List<String> fresh = ctx.queryParam("fresh");
        boolean bypass;
        if (fresh.isEmpty()) {
            bypass = false;
        } else if (fresh.size() == 1 && ("true".equals(fresh.get(0)) || "false".equals(fresh.get(0)))) {
            bypass = Boolean.parseBoolean(fresh.get(0));
        } else {
            error(ctx, 400, "bad_request", "query parameter 'fresh' must be 'true' or 'false', got " + fresh);
            return;
        }
        for (String p : ctx.queryParams().names()) {
            if (!"fresh".equals(p)) {
                error(ctx, 400, "bad_request", "unknown query parameter '" + p + "'; /v1/inventory accepts only 'fresh'");
                return;
            }
        }
        respond(ctx, () -> agent.inventory(bypass));
    }

    /** {@code GET /v1/events[?since=ISO-8601 instant]}: the agent's recent GPU events. */
    private void events(RoutingContext ctx) {
        for (String p : ctx.queryParams().names()) {
            if (!"since".equals(p)) {
                error(ctx, 400, "bad_request", "unknown query parameter '" + p + "'; /v1/events accepts only 'since'");
                return;
            }
        }
        List<String> since = ctx.queryParam("since");
        java.time.Instant from = null;
        if (!since.isEmpty()) {
            // A '+' of an offset arrives as a space when the client did not percent-encode it.
            String v = since.size() == 1 ? since.get(0).trim().replace(' ', '+') : null;
            try {
                from = v == null ? null : java.time.OffsetDateTime.parse(v).toInstant();
            } catch (java.time.format.DateTimeParseException e) {
                from = null;
            }
            if (from == null) {
                error(ctx, 400, "bad_request", "query parameter 'since' must be one ISO-8601 date-time with an offset, "
                        + "e.g. 2025-03-14T09:26:53Z, got " + since);
                return;
            }
        }
        java.time.Instant sinceInstant = from;
        respond(ctx, () -> agent.eventsDocument(sinceInstant));
    }

    /** {@code POST /v1/checks}: body {@link CheckRequest}; 400 names what is wrong with it. */
    private void checks(RoutingContext ctx) {
        CheckRequest request;
        String body = ctx.body() == null ? null : ctx.body().asString();
        if (body == null || body.isBlank()) {
            request = new CheckRequest(null, null, List.of(), List.of());
        } else {
            try {
                request = KilnJson.mapper().readValue(body, CheckRequest.class);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                error(ctx, 400, "bad_request", "request body is not a valid check request: " + e.getOriginalMessage()
                        + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                        + e.getLocation().getColumnNr() + ")"));
                return;
            }
            if (request == null) {
                error(ctx, 400, "bad_request", "request body is JSON null; send a check request object, e.g. {} or "
                        + "{\"only\":[\"gpu.count\"]}");
                return;
            }
        }
        NodeSpec spec;
        try {
            spec = request.spec() != null ? request.spec()
                    : SpecResolver.builtin(request.specName() != null ? request.specName() : agent.defaultSpecName());
        } catch (IllegalArgumentException | dev.kiln.protocol.spec.SpecFileException e) {
            error(ctx, 400, "bad_request", e.getMessage());
            return;
        }
        CheckRequest req = request;
        ctx.vertx().executeBlocking(() -> agent.check(spec, req.only(), req.skip()), false)
                .onSuccess(report -> {
                    try {
                        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                                .end(io.vertx.core.buffer.Buffer.buffer(KilnJson.mapper().writeValueAsBytes(report)));
                    } catch (JsonProcessingException e) {
                        ctx.fail(e);
                    }
                })
                .onFailure(e -> {
                    if (e instanceof IllegalArgumentException) {
                        error(ctx, 400, "bad_request", e.getMessage());
                    } else {
                        ctx.fail(e);
                    }
                });
    }

    private void notFound(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        String allowed = ALLOWED.get(req.path());
        if (allowed == null && JOB.matcher(req.path()).matches()) {
            allowed = "GET, DELETE";
        } else if (allowed == null && JOB_EVENTS.matcher(req.path()).matches()) {
            allowed = "GET";
        }
        if (allowed != null) {
            ctx.response().putHeader(HttpHeaders.ALLOW, allowed);
            error(ctx, 405, "method_not_allowed", req.method() + " is not allowed on " + req.path() + "; use " + allowed);
        } else {
            error(ctx, 404, "not_found", "no such endpoint " + req.method() + " " + req.path()
                    + "; see GET /v1/node, GET /v1/inventory, GET /v1/events, POST /v1/checks and /v1/jobs");
        }
    }

    /** Runs the (possibly blocking) reading on a worker thread and writes it as JSON. */
    private void respond(RoutingContext ctx, Callable<Object> reading) {
        ctx.vertx().executeBlocking(() -> KilnJson.mapper().writeValueAsBytes(reading.call()), false)
                .onSuccess(bytes -> {
                    if (!ctx.response().ended()) {
                        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                                .end(io.vertx.core.buffer.Buffer.buffer(bytes));
                    }
                })
                .onFailure(ctx::fail);
    }

    private void failure(RoutingContext ctx) {
        if (ctx.response().ended()) {
            return;
        }
        int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
        if (status >= 500) {
            LOG.log(Level.WARNING, "request " + ctx.request().method() + " " + ctx.request().path() + " failed",
                    ctx.failure());
            error(ctx, status, "internal_error", "the agent could not answer: "
                    + (ctx.failure() == null ? "unknown error" : ctx.failure().getClass().getSimpleName()
                    + (ctx.failure().getMessage() == null ? "" : ": " + ctx.failure().getMessage()))
                    + "; see the agent's log");
        } else {
            error(ctx, status, status == 413 ? "payload_too_large" : "bad_request",
                    "request rejected with HTTP " + status);
        }
    }

    static void error(RoutingContext ctx, int status, String code, String message) {
        byte[] body;
        try {
            body = KilnJson.mapper().writeValueAsBytes(new ApiError(status, code, message));
        } catch (JsonProcessingException e) {
            body = ("{\"status\":" + status + ",\"error\":\"" + code + "\"}").getBytes();
        }
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                .end(io.vertx.core.buffer.Buffer.buffer(body));
    }

    /** Handler for requests the HTTP codec could not parse (fleet simulator servers). */
    public static void invalidRequest(HttpServerRequest req) {
        Throwable cause = req.decoderResult() == null ? null : req.decoderResult().cause();
        // As Vert.x's default handler: an over-long request line is 414, over-long headers 431.
        int status = cause instanceof io.netty.handler.codec.http.TooLongHttpLineException ? 414
                : cause instanceof io.netty.handler.codec.TooLongFrameException ? 431 : 400;
        String body = "{\"status\":" + status + ",\"error\":\"bad_request\",\"message\":\"malformed HTTP request\"}";
        req.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                .putHeader(HttpHeaders.CONNECTION, "close").end(body);
    }
}
