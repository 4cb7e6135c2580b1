package dev.kiln.protocol.fabric;

/**
 * One agent-to-agent TCP test, driven by {@code node} to {@code peer}.
 *
 * @param sendGbps    node -> peer, Gbit/s (10^9 bit/s) of payload
 * @param receiveGbps peer -> node
 * @param rttP50Us    median round trip of a small message, microseconds
 * @param rttP99Us    99th percentile round trip
 * @param streams     parallel TCP connections per direction
 */
public record NetworkResult(String node, String peer, String peerAddress, double sendGbps, double receiveGbps,
                            double rttP50Us, double rttP99Us, long bytes, int streams, long durationMs) {
}
