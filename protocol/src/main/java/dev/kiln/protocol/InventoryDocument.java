package dev.kiln.protocol;

import java.time.Instant;
import java.util.List;

/**
 * {@code GET /v1/inventory}: everything one node is made of, as read now. Validates against
 * {@code docs/schema/inventory.schema.json}. A reading the hardware does not support is null;
 * a reading that failed is listed in {@code errors} (never shown as a value).
 */
public record InventoryDocument(
        int schemaVersion,
        String kind,
        Instant collectedAt,
        NodeIdentity node,
        HostInventory host,
        NvmlStatus nvml,
        List<GpuInventory> gpus,
        List<IbPort> infiniband,
        List<ErrorEntry> errors) {

    public static final String KIND = "kiln.inventory";
}
