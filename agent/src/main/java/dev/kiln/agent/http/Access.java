package dev.kiln.agent.http;

import io.vertx.core.http.HttpMethod;

/**
 * Which {@link Role} each call needs. Reading is {@link Role#READ_ONLY}: every GET (node, inventory, events,
 * jobs and their event streams, metrics) and {@code POST /v1/checks}, because checks only read the hardware
 * and judge it against a spec. Everything else is {@link Role#OPERATOR}: {@code POST /v1/jobs},
 * {@code DELETE /v1/jobs/{id}}, {@code POST /v1/fabric/sessions}, and any method or path not named here,
 * so an endpoint added later is operator-only until it is listed as a read.
 */
final class Access {
    static final String CHECKS = "/v1/checks";

    private Access() {
    }

    /** The role a call needs; {@code path} is the router's normalized path. */
    static Role required(HttpMethod method, String path) {
        if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method) || HttpMethod.OPTIONS.equals(method)) {
            return Role.READ_ONLY;
        }
        if (HttpMethod.POST.equals(method) && CHECKS.equals(path)) {
            return Role.READ_ONLY;
        }
        return Role.OPERATOR;
    }
}
