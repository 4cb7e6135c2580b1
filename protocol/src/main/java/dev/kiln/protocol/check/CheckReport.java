package dev.kiln.protocol.check;

import dev.kiln.protocol.NodeIdentity;

import java.time.Instant;
import java.util.List;

/**
 * {@code POST /v1/checks}: every result of one run of checks on one node.
 *
 * @param verdict the worst status of all results (SKIP counts as PASS)
 */
public record CheckReport(int schemaVersion, String kind, NodeIdentity node, String spec, Instant startedAt,
                          long durationMs, CheckStatus verdict, List<CheckResult> results) {
    public static final String KIND = "kiln.checks";
}
