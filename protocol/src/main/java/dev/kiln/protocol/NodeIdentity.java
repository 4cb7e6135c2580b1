package dev.kiln.protocol;

/** The node as the fleet knows it. {@code bootId} changes at every reboot (from /proc/sys/kernel/random/boot_id). */
public record NodeIdentity(String name, String hostname, String mode, String simulatorPreset, String kilnVersion,
                           String bootId) {
}
