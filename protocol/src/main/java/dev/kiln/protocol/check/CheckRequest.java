package dev.kiln.protocol.check;

import dev.kiln.protocol.spec.NodeSpec;

import java.util.List;

/**
 * Body of {@code POST /v1/checks}: a spec by name ({@code specName}, a built-in or one the agent
 * knows) or inline ({@code spec}), and optionally which check ids to run or skip.
 */
public record CheckRequest(String specName, NodeSpec spec, List<String> only, List<String> skip) {
}
