package dev.kiln.agent.http;

import dev.kiln.agent.core.NodeAgent;
import dev.kiln.agent.metrics.PrometheusMetrics;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /metrics}: the node in the Prometheus text format ({@link PrometheusMetrics}). It needs the
 * bearer token like {@code /v1} (Prometheus sends it with {@code authorization: credentials_file}), unless
 * the agent was started with {@code --metrics-without-token}. Errors are JSON {@code ApiError}s as elsewhere.
 * Mounted by {@link AgentRoutes}.
 */
final class MetricsRoutes {
    static final String PATH = "/metrics";

    private final NodeAgent agent;
    private final TokenAuth auth;

    private MetricsRoutes(NodeAgent agent, TokenAuth auth) {
        this.agent = agent;
        this.auth = auth;
    }

    static void mount(Router router, NodeAgent agent, TokenAuth auth, Handler<RoutingContext> failure) {
        MetricsRoutes r = new MetricsRoutes(agent, auth);
        router.route(PATH).handler(r::handle).failureHandler(failure);
    }

    private void handle(RoutingContext ctx) {
        HttpMethod method = ctx.request().method();
        boolean head = HttpMethod.HEAD.equals(method);
        if (!auth.metricsWithoutToken() && !auth.accepts(ctx.request().getHeader(HttpHeaders.AUTHORIZATION))) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"kiln-agent\"");
            AgentRoutes.error(ctx, 401, "unauthorized", ctx.request().getHeader(HttpHeaders.AUTHORIZATION) != null
                    ? "bearer token rejected; /metrics needs the agent's token (Prometheus: authorization.credentials_file)"
                    : "missing 'Authorization: Bearer <token>' header; /metrics needs the agent's token "
                    + "(Prometheus: authorization.credentials_file), see docs/metrics.md");
            return;
        }
        if (!HttpMethod.GET.equals(method) && !head) {
            ctx.response().putHeader(HttpHeaders.ALLOW, "GET");
            AgentRoutes.error(ctx, 405, "method_not_allowed", method + " is not allowed on " + PATH + "; use GET");
            return;
        }
        ctx.vertx().executeBlocking(() -> PrometheusMetrics.scrape(agent), false)
                .onSuccess(text -> {
                    if (ctx.response().ended()) {
                        return;
                    }
                    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, PrometheusMetrics.CONTENT_TYPE);
                    if (head) {
                        ctx.response().putHeader(HttpHeaders.CONTENT_LENGTH,
                                Integer.toString(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length)).end();
                    } else {
                        ctx.response().end(text);
                    }
                })
                .onFailure(ctx::fail);
    }
}
