package dev.kiln.agent.checks;

import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.spec.NodeSpec;

import java.time.Instant;

/** Everything a check may judge: a fresh inventory, the node's spec, its recent GPU events, and now. */
public record CheckContext(InventoryDocument inventory, NodeSpec spec, RecentEvents events, Instant now) {
}
