package dev.kiln.agent.fabric.net;

import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.ToolRun;

import java.util.List;
import java.util.Map;

/**
 * One tool run and what it means: the {@link ToolRun} for the report (verdict PASS, FAIL, ERROR or SKIP with its
 * reason) and the findings behind a FAIL, for the fabric result's finding list.
 */
public record ToolOutcome(ToolRun run, List<FabricFinding> findings) {
    /** Lines of the tool's output a {@link ToolRun} keeps for a human (the parser sees up to 64 KiB). */
    static final int TAIL_LINES = 40;
    static final int TAIL_CHARS = 6000;

    public ToolOutcome {
        findings = findings == null ? List.of() : List.copyOf(findings);
    }

    public String verdict() {
        return run.verdict();
    }

    static ToolOutcome skip(String tool, List<String> command, String reason) {
        return new ToolOutcome(new ToolRun(tool, command, "SKIP", reason, Map.of(), ""), List.of());
    }

    static ToolOutcome error(String tool, List<String> command, String reason, String output) {
        return new ToolOutcome(new ToolRun(tool, command, "ERROR", reason, Map.of(), tail(output)), List.of());
    }

    static String tail(String output) {
        return ToolRunner.lastLines(output, TAIL_LINES, TAIL_CHARS);
    }

    /** ERROR reason for a run that did not end by itself, or null when it did. */
    static String killedReason(String tool, ToolRunner.Result r) {
        if (r.cancelled()) {
            return tool + " was cancelled and killed (with its child processes)";
        }
        if (r.timedOut()) {
            return tool + " did not finish within its timeout (" + r.durationMs() / 1000
                    + " s) and was killed (with its child processes)";
        }
        return null;
    }
}
