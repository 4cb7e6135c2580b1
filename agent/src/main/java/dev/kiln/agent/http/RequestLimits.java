package dev.kiln.agent.http;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * Refuses a request whose declared {@code Content-Length} is over {@link AgentRoutes#MAX_BODY_BYTES} before
 * anything reads its body, with the same JSON 413 as the body handlers give a streamed (chunked) body that
 * grows past the limit. Runs after the token check and before Quarkus's own body-size guard (route order
 * -2), whose 413 has no body; so the daemon and the fleet simulator answer alike.
 */
final class RequestLimits {
    /** Route order: after {@code AgentRoutes}' authentication (-100), before Quarkus's max-body-size route (-2). */
    static final int ORDER = -99;

    private RequestLimits() {
    }

    static void declaredLengthWithinLimit(RoutingContext ctx) {
        String declared = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        long length;
        try {
            length = declared == null ? -1 : Long.parseLong(declared.trim());
        } catch (NumberFormatException e) {
            length = -1;   // the HTTP codec has already refused a malformed Content-Length
        }
        if (length > AgentRoutes.MAX_BODY_BYTES) {
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
            AgentRoutes.error(ctx, 413, "payload_too_large", "request body of " + length + " bytes is over the "
                    + AgentRoutes.MAX_BODY_BYTES + "-byte limit");
            return;
        }
        ctx.next();
    }
}
