package dev.kiln.protocol.fabric;

/** One GPU's pinned host<->device copy bandwidth in GB/s, each direction, and the minimum it is judged against. */
public record HostBandwidth(int gpu, String pciBusId, Double h2dGBps, Double d2hGBps, Double expectedGBps,
                            String minimumSource) {
}
