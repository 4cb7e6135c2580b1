package dev.kiln.protocol.fabric;

import java.util.List;
import java.util.Map;

/**
 * One run of a standard tool (perftest {@code ib_write_bw}, nccl-tests {@code all_reduce_perf}).
 *
 * @param verdict    PASS, FAIL, ERROR, or SKIP (tool not installed: {@code reason} says so)
 * @param metrics    parsed figures, e.g. {@code bwAvgGbps}, {@code busbwGBps}, {@code wrong}
 * @param outputTail the last lines of the tool's output, for a human to read
 */
public record ToolRun(String tool, List<String> command, String verdict, String reason, Map<String, Double> metrics,
                      String outputTail) {
    public ToolRun {
        command = command == null ? List.of() : List.copyOf(command);
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }
}
