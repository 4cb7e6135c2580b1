package dev.kiln.protocol.fabric;

import java.util.List;

/**
 * One fabric test's outcome on one node. Only the lists the test fills are non-empty.
 *
 * @param verdict PASS, FAIL (a finding of severity FAIL), ERROR (could not run: {@code reason}) or SKIP ({@code reason})
 */
public record FabricResult(String test, String verdict, String reason, long durationMs, List<PairBandwidth> pairs,
                           List<HostBandwidth> host, List<NvLinkStatus> links, List<NetworkResult> network,
                           List<PortCounters> ports, List<ToolRun> tools, List<FabricFinding> findings) {
    public FabricResult {
        pairs = pairs == null ? List.of() : List.copyOf(pairs);
        host = host == null ? List.of() : List.copyOf(host);
        links = links == null ? List.of() : List.copyOf(links);
        network = network == null ? List.of() : List.copyOf(network);
        ports = ports == null ? List.of() : List.copyOf(ports);
        tools = tools == null ? List.of() : List.copyOf(tools);
        findings = findings == null ? List.of() : List.copyOf(findings);
    }

    public static FabricResult skipped(String test, String reason) {
        return new FabricResult(test, "SKIP", reason, 0, null, null, null, null, null, null, null);
    }

    public static FabricResult error(String test, String reason, long durationMs) {
        return new FabricResult(test, "ERROR", reason, durationMs, null, null, null, null, null, null, null);
    }
}
