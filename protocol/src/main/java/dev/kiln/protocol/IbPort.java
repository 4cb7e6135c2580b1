package dev.kiln.protocol;

/**
 * One InfiniBand or RoCE port from {@code /sys/class/infiniband/<device>/ports/<port>/}.
 *
 * @param state         e.g. {@code ACTIVE} (sysfs "4: ACTIVE")
 * @param physicalState e.g. {@code LinkUp} (sysfs "5: LinkUp")
 * @param rateGbps      numeric rate, e.g. 400.0 (sysfs "400 Gb/sec (4X NDR)")
 * @param rate          the rate string as the kernel wrote it
 * @param linkLayer     {@code InfiniBand} or {@code Ethernet} (RoCE)
 */
public record IbPort(
        String device,
        int port,
        String state,
        Integer stateCode,
        String physicalState,
        Integer physicalStateCode,
        Double rateGbps,
        String rate,
        String linkLayer,
        String firmwareVersion,
        String nodeGuid) {
}
