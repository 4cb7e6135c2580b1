package dev.kiln.agent.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.agent.core.NodeAgent;
import dev.kiln.agent.fabric.net.FabricListener;
import dev.kiln.agent.fabric.net.NetworkShaper;
import dev.kiln.protocol.KilnJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;

/**
 * {@code POST /v1/fabric/sessions}: the serving end of a node-to-node TCP test. Opens a one-time session on this
 * agent's fabric listener (bound on first use, on the address the caller reached the agent at, so the test
 * runs over the same network) and answers where the peer connects and with which token. Body (optional):
 * {@code {"ttlSeconds": 120, "ibDevice": "mlx5_0"}}; with {@code ibDevice} the agent also starts perftest's
 * ib_write_bw server on that HCA for the peer's {@code fabric.rdma} (or says in {@code notes} why it did not).
 */
final class FabricRoutes {
    static final int DEFAULT_TTL_SECONDS = 120;
    static final int MAX_TTL_SECONDS = 3600;

    private static final java.util.regex.Pattern IB_DEVICE = java.util.regex.Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private final NodeAgent agent;
    private final int port;
    private FabricListener listener;   // guarded by this

    private FabricRoutes(NodeAgent agent, int port) {
        this.agent = agent;
        this.port = port;
    }

    static void mount(Router router, NodeAgent agent, io.vertx.core.Handler<RoutingContext> failure) {
        FabricRoutes r = new FabricRoutes(agent, agent.fabricPort());
        router.post("/v1/fabric/sessions").handler(io.vertx.ext.web.handler.BodyHandler.create(false)
                .setBodyLimit(4096)).handler(r::open).failureHandler(failure);
    }

    private void open(RoutingContext ctx) {
        if (!ctx.queryParams().isEmpty()) {
            AgentRoutes.error(ctx, 400, "bad_request", "unknown query parameter '" + ctx.queryParams().names()
                    .iterator().next() + "'; /v1/fabric/sessions takes none");
            return;
        }
        int ttl = DEFAULT_TTL_SECONDS;
        String ibDevice = null;
        String body = ctx.body() == null ? null : ctx.body().asString();
        if (body != null && !body.isBlank()) {
            JsonNode n;
            try {
                n = KilnJson.mapper().readTree(body);
            } catch (java.io.IOException e) {
                AgentRoutes.error(ctx, 400, "bad_request", "request body is not JSON: " + e.getMessage());
                return;
            }
            if (n == null || !n.isObject()) {
                AgentRoutes.error(ctx, 400, "bad_request", "request body must be an object, e.g. {\"ttlSeconds\": 120}");
                return;
            }
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!"ttlSeconds".equals(f) && !"ibDevice".equals(f)) {
                    AgentRoutes.error(ctx, 400, "bad_request", "unknown field '" + f
                            + "'; a session takes 'ttlSeconds' and 'ibDevice'");
                    return;
                }
            }
            JsonNode t = n.get("ttlSeconds");
            if (t != null) {
                if (!t.canConvertToInt() || !t.isIntegralNumber() || t.asInt() < 1 || t.asInt() > MAX_TTL_SECONDS) {
                    AgentRoutes.error(ctx, 400, "bad_request", "'ttlSeconds' must be a whole number from 1 to "
                            + MAX_TTL_SECONDS + ", got " + t);
                    return;
                }
                ttl = t.asInt();
            }
            JsonNode d = n.get("ibDevice");
            if (d != null && !d.isNull()) {
                if (!d.isTextual() || !IB_DEVICE.matcher(d.asText()).matches()) {
                    AgentRoutes.error(ctx, 400, "bad_request", "'ibDevice' must be an HCA name such as mlx5_0, got " + d);
                    return;
                }
                ibDevice = d.asText();
            }
        }
        String address = ctx.request().localAddress() == null ? "127.0.0.1" : ctx.request().localAddress().host();
        FabricListener l;
        synchronized (this) {
            if (listener == null) {
                List<dev.kiln.nvml.sim.Fault> faults = agent.simulatedServer() == null ? List.of()
                        : agent.simulatedServer().faults();
                listener = new FabricListener(ctx.vertx(), address, port, NetworkShaper.of(faults),
                        FabricListener.Limits.DEFAULT);
            }
            l = listener;
        }
        String device = ibDevice;
        int seconds = ttl;
        l.openAsync(agent.name(), address, Duration.ofSeconds(ttl))
                .compose(s -> device == null ? io.vertx.core.Future.succeededFuture(s)
                        : ctx.vertx().executeBlocking(() -> {
                            var started = agent.rdmaServers().start(device, Duration.ofSeconds(seconds));
                            List<String> notes = new java.util.ArrayList<>(s.notes());
                            if (started.note() != null) {
                                notes.add(started.note());
                            }
                            return new dev.kiln.protocol.fabric.FabricSession(s.schemaVersion(), s.node(), s.address(),
                                    s.port(), s.token(), s.expiresAt(), started.port(),
                                    started.port() == null ? null : device, notes);
                        }, false))
                .onSuccess(s -> {
                    try {
                        ctx.response().setStatusCode(201).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                .end(Buffer.buffer(KilnJson.mapper().writeValueAsBytes(s)));
                    } catch (java.io.IOException e) {
                        ctx.fail(e);
                    }
                })
                .onFailure(e -> AgentRoutes.error(ctx, 503, "fabric_unavailable",
                        "cannot open a fabric session on " + agent.name() + ": " + e.getMessage()));
    }
}
