package dev.kiln.protocol.fabric;

import java.util.Map;

/**
 * One NVLink of one GPU, read before and after a fabric job's traffic.
 *
 * @param remotePciBusId the far end (an NVSwitch, or the peer GPU on bridged boards), so a cabling map can be drawn
 * @param errorDeltas    NVML NVLink error counters (replay, recovery, crc_flit, crc_data, ecc_data): after minus before;
 *                       a counter NVML does not answer is absent
 */
public record NvLinkStatus(int gpu, String uuid, String pciBusId, int link, boolean active, Integer version,
                           String remotePciBusId, Map<String, Long> errorDeltas) {
    public NvLinkStatus {
        errorDeltas = errorDeltas == null ? Map.of() : Map.copyOf(errorDeltas);
    }
}
