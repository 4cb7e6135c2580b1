package dev.kiln.cli.fleet;

import java.util.Objects;

/**
 * One node of the fleet file, resolved: where to connect and which token to send.
 *
 * @param address the address as written in the fleet file (shown in output)
 * @param host    host name or IP literal to connect to (IPv6 without brackets)
 * @param token   the bearer token (one shared String per token file, so 10,000 nodes cost one copy)
 * @param line    the line of the node's entry in the fleet file
 * @param spec    the golden spec the fleet file gives the node (its own, its rack's or the default), or null
 * @param tls     how to speak HTTPS to the node, or null for plain HTTP
 */
public record FleetNode(String name, String rack, String address, String host, int port, String token, int line,
                        SpecRef spec, AgentTls tls) {
    public FleetNode {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(token, "token");
    }

    /** A node spoken to over plain HTTP. */
    public FleetNode(String name, String rack, String address, String host, int port, String token, int line,
                     SpecRef spec) {
        this(name, rack, address, host, port, token, line, spec, null);
    }

    /** The same node, spoken to with {@code tls} (null: plain HTTP). */
    public FleetNode withTls(AgentTls tls) {
        return new FleetNode(name, rack, address, host, port, token, line, spec, tls);
    }

    /** {@code https} or {@code http}. */
    public String scheme() {
        return tls == null ? "http" : "https";
    }

    /** A node without a spec. */
    public FleetNode(String name, String rack, String address, String host, int port, String token, int line) {
        this(name, rack, address, host, port, token, line, null);
    }

    /** {@code host:port}, bracketing IPv6 literals. */
    public String hostPort() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
        // Never print the token.
        return "FleetNode[" + name + " " + hostPort() + "]";
    }
}
