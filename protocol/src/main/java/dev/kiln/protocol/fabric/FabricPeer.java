package dev.kiln.protocol.fabric;

/**
 * The agent a node-to-node test drives traffic to: its node name, the address and port of the
 * session it opened ({@code POST /v1/fabric/sessions} on that agent) and the one-time token of that session.
 *
 * @param ibDevice   for {@code fabric.rdma}: the peer's HCA to pair with (null: ib_write_bw not run)
 * @param ibWritePort the port the peer's ib_write_bw server listens on (null: not started)
 */
public record FabricPeer(String node, String address, int port, String token, String ibDevice, Integer ibWritePort) {
    @Override
    public String toString() {
        // never the token
        return node + " (" + address + ":" + port + ")";
    }
}
