package dev.kiln.protocol.event;

import dev.kiln.protocol.NodeIdentity;

import java.util.List;

/**
 * {@code GET /v1/events}: recent GPU events, oldest first. {@code watching} is false when no watcher
 * runs, and {@code reason} says why; {@code reason} may also be set while watching (e.g. events are
 * kept in memory only because the state directory is not writable). Schema: {@code docs/schema/events.schema.json}.
 */
public record EventsDocument(int schemaVersion, String kind, NodeIdentity node, boolean watching, String reason,
                             List<GpuEvent> events) {
    public static final String KIND = "kiln.events";
}
