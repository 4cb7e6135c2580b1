package dev.kiln.cli.fanout;

/**
 * Why one node gave no usable answer. {@link Kind#reachable()} says whether the node's agent was
 * reached at all (it answered HTTP, but not with a usable 2xx Kiln body).
 */
public record NodeError(Kind kind, String message) {

    public enum Kind {
        /** TCP connection refused: nothing listens on that port (agent down, node off, wrong port). */
        CONNECTION_REFUSED("connection_refused", false),
        /** The host name did not resolve. */
        DNS("dns", false),
        /** No complete answer within the timeout (connect or read). */
        TIMEOUT("timeout", false),
        /** Any other network failure (reset, no route to host, TLS, ...). */
        NETWORK("network", false),
        /** HTTP 401/403: the bearer token was refused. */
        UNAUTHORIZED("unauthorized", true),
        /** Any other non-2xx answer (404 from an older agent, 5xx, ...). */
        HTTP_ERROR("http_error", true),
        /** A 2xx answer whose body is not the expected Kiln JSON. */
        BAD_RESPONSE("bad_response", true),
        /** The agent speaks a schema version this kiln does not understand. */
        INCOMPATIBLE("incompatible", true);

        private final String id;
        private final boolean reachable;

        Kind(String id, boolean reachable) {
            this.id = id;
            this.reachable = reachable;
        }

        /** Stable identifier used in JSON output. */
        public String id() {
            return id;
        }

        public boolean reachable() {
            return reachable;
        }
    }
}
