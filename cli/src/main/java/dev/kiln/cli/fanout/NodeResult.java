package dev.kiln.cli.fanout;

import dev.kiln.cli.fleet.FleetNode;

/**
 * What one node answered: exactly one of {@code body} and {@code error} is non-null.
 *
 * @param httpStatus the HTTP status, or 0 when no HTTP answer arrived
 * @param elapsedMillis from sending the request to the result
 */
public record NodeResult<T>(FleetNode node, int httpStatus, long elapsedMillis, T body, NodeError error) {

    public boolean ok() {
        return error == null;
    }

    /** Whether the agent was reached (it answered HTTP), even if the answer was not usable. */
    public boolean reachable() {
        return error == null || error.kind().reachable();
    }
}
