package dev.kiln.agent.fabric.net;

/**
 * A node-to-node test could not run. The message names the peer and what failed, in words a technician can act on
 * ("connection refused to node-007 (10.0.0.7:41234): is its agent up and the session open?"); {@link #kind()} lets
 * a caller tell an unreachable peer from a rejected token from a peer that stopped answering.
 */
public final class FabricNetException extends RuntimeException {
    /** What went wrong, coarsely. */
    public enum Kind {
        /** TCP connect refused, timed out, no route, unknown host. */
        UNREACHABLE,
        /** The peer answered {@code ERR} to the header: token unknown, expired or used up, or the peer is busy. */
        REJECTED,
        /** The peer sent something that is not the Kiln fabric protocol, or closed early. */
        PROTOCOL,
        /** The connection broke or the peer stopped answering mid-test. */
        BROKEN
    }

    private final Kind kind;

    public FabricNetException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public FabricNetException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
