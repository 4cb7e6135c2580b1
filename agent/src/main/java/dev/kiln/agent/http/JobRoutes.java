package dev.kiln.agent.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kiln.agent.burnin.JobException;
import dev.kiln.agent.burnin.JobManager;
import dev.kiln.agent.core.NodeAgent;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.ProtocolVersion;
import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.burnin.JobList;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.Callable;

/**
 * The burn-in jobs API: {@code POST /v1/jobs}, {@code GET /v1/jobs}, {@code GET|DELETE /v1/jobs/{id}} and
 * {@code GET /v1/jobs/{id}/events} (server-sent events). Mounted by {@link AgentRoutes}, behind its auth.
 */
final class JobRoutes {
    private static final String JSON = "application/json";
    private final NodeAgent agent;

    private JobRoutes(NodeAgent agent) {
        this.agent = agent;
    }

    static void mount(Router router, NodeAgent agent, io.vertx.core.Handler<RoutingContext> failure) {
        JobRoutes r = new JobRoutes(agent);
        router.post("/v1/jobs").handler(io.vertx.ext.web.handler.BodyHandler.create(false)
                .setBodyLimit(AgentRoutes.MAX_BODY_BYTES)).handler(r::create).failureHandler(failure);
        router.get("/v1/jobs").handler(r::list).failureHandler(failure);
        router.get("/v1/jobs/:id").handler(r::get).failureHandler(failure);
        router.delete("/v1/jobs/:id").handler(r::cancel).failureHandler(failure);
        router.get("/v1/jobs/:id/events").handler(r::events).failureHandler(failure);
    }

    private boolean noQuery(RoutingContext ctx) {
        if (!ctx.queryParams().isEmpty()) {
            AgentRoutes.error(ctx, 400, "bad_request", "unknown query parameter '" + ctx.queryParams().names()
                    .iterator().next() + "'; " + ctx.request().path() + " takes none");
            return false;
        }
        return true;
    }

    private void create(RoutingContext ctx) {
        if (!noQuery(ctx)) {
            return;
        }
        String body = ctx.body() == null ? null : ctx.body().asString();
        if (body == null || body.isBlank()) {
            AgentRoutes.error(ctx, 400, "bad_request", "request body is empty; send a burn-in request, e.g. "
                    + "{\"type\":\"burnin\",\"durationSeconds\":1800}");
            return;
        }
        BurninRequest request;
        try {
            request = KilnJson.mapper().readValue(body, BurninRequest.class);
        } catch (JsonProcessingException e) {
            AgentRoutes.error(ctx, 400, "bad_request", "request body is not a valid burn-in request: "
                    + e.getOriginalMessage() + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + ")"));
            return;
        }
        if (request == null) {
            AgentRoutes.error(ctx, 400, "bad_request", "request body is null; send a burn-in request");
            return;
        }
        reply(ctx, 202, () -> audited(ctx, agent.jobs().start(request)));
    }

    private void list(RoutingContext ctx) {
        if (noQuery(ctx)) {
            reply(ctx, 200, () -> new JobList(ProtocolVersion.SCHEMA_VERSION, JobList.KIND, agent.name(),
                    agent.jobs().list(), agent.jobs().notes()));
        }
    }

    private void get(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (noQuery(ctx)) {
            reply(ctx, 200, () -> agent.jobs().get(id).orElseThrow(() -> new JobException(404, "not_found",
                    "no job '" + id + "' on node " + agent.name() + "; see GET /v1/jobs")));
        }
    }

    private void cancel(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (noQuery(ctx)) {
            reply(ctx, 200, () -> audited(ctx, agent.jobs().cancel(id)));
        }
    }

    /** Server-sent events: what happened so far, then live until the job ends; then the stream ends. */
    private void events(RoutingContext ctx) {
        if (!noQuery(ctx)) {
            return;
        }
        String id = ctx.pathParam("id");
        // A client that reconnects sends the id of the last event it saw (the SSE standard's Last-Event-ID): the
        // stream goes on after it instead of replaying what the client already has.
        String lastId = ctx.request().getHeader("Last-Event-ID");
        long after;
        try {
            after = lastId == null || lastId.isBlank() ? -1 : Long.parseLong(lastId.trim());
        } catch (NumberFormatException e) {
            AgentRoutes.error(ctx, 400, "bad_request", "header Last-Event-ID must be an event id (a number) from "
                    + "this stream, got '" + lastId + "'");
            return;
        }
        HttpServerResponse resp = ctx.response();
        Context context = ctx.vertx().getOrCreateContext();
        // The job manager's lock is held across file writes: subscribe on a worker thread. Live events
        // that arrive before the backlog is written wait (all on this context's thread), so order holds.
        java.util.List<JobManager.JobEvent> early = new java.util.ArrayList<>();
        boolean[] ready = {false};
        boolean[] endedEarly = {false};
        ctx.vertx().executeBlocking(() -> agent.jobs().subscribe(id,
                        e -> context.runOnContext(v -> {
                            if (ready[0]) {
                                if (e.seq() > after) {
                                    write(resp, e);
                                }
                            } else {
                                early.add(e);
                            }
                        }),
                        () -> context.runOnContext(v -> {
                            if (!ready[0]) {
                                endedEarly[0] = true;
                            } else if (!resp.ended() && !resp.closed()) {
                                resp.end();
                            }
                        })), false)
                .onSuccess(sub -> {
                    stream(resp, sub, early, after);
                    ready[0] = true;
                    if (endedEarly[0] && !resp.ended() && !resp.closed()) {
                        resp.end();
                    }
                })
                .onFailure(e -> {
                    if (e instanceof JobException je) {
                        AgentRoutes.error(ctx, je.status(), je.code(), je.getMessage());
                    } else {
                        ctx.fail(e);
                    }
                });
    }

    private static void stream(HttpServerResponse resp, JobManager.Subscription sub,
                               java.util.List<JobManager.JobEvent> early, long after) {
        if (resp.closed()) {
            sub.cancel().run();
            return;
        }
        resp.setChunked(true).putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
        resp.closeHandler(v -> sub.cancel().run());
        long last = after;
        for (JobManager.JobEvent e : sub.backlog()) {
            if (e.seq() > after) {
                write(resp, e);
            }
            last = Math.max(last, e.seq());
        }
        for (JobManager.JobEvent e : early) {
            if (e.seq() > last) {
                write(resp, e);
            }
        }
        if (sub.ended()) {
            resp.end();
        }
    }

    private static void write(HttpServerResponse resp, JobManager.JobEvent e) {
        if (resp.ended() || resp.closed()) {
            return;
        }
        if (resp.writeQueueFull()) {
            // A client that stopped reading must not grow the agent's memory for the life of a long job:
            // drop it; it can reconnect and get the backlog again.
            resp.reset();
            return;
        }
        resp.write("id: " + e.seq() + "\nevent: " + e.type() + "\ndata: " + e.json() + "\n\n");
    }

    /** Leaves the job for the audit line ({@link Audit#JOB}). */
    private static Object audited(RoutingContext ctx, dev.kiln.protocol.burnin.JobStatus job) {
        ctx.put(Audit.JOB, job);
        return job;
    }

    private void reply(RoutingContext ctx, int status, Callable<Object> call) {
        ctx.vertx().executeBlocking(() -> KilnJson.mapper().writeValueAsBytes(call.call()), false)
                .onSuccess(bytes -> {
                    if (!ctx.response().ended()) {
                        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                                .end(Buffer.buffer(bytes));
                    }
                })
                .onFailure(e -> {
                    if (e instanceof JobException je) {
                        AgentRoutes.error(ctx, je.status(), je.code(), je.getMessage());
                    } else {
                        ctx.fail(e);
                    }
                });
    }
}
