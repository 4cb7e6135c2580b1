package dev.kiln.agent.http;

/**
 * What a bearer token may do. {@link #READ_ONLY}: read the node (inventory, events, jobs, metrics) and run
 * checks, which only read the hardware. {@link #OPERATOR}: also start and cancel jobs and open fabric
 * sessions, which load the GPUs and the network. See docs/security.md.
 */
public enum Role {
    READ_ONLY("read-only"),
    OPERATOR("operator");

    private final String id;

    Role(String id) {
        this.id = id;
    }

    /** As written in logs, errors and docs. */
    public String id() {
        return id;
    }

    /** Whether a token of this role may do what {@code needed} allows. */
    public boolean covers(Role needed) {
        return this == OPERATOR || needed == READ_ONLY;
    }
}
