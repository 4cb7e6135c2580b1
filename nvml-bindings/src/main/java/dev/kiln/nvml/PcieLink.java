package dev.kiln.nvml;

import java.util.Optional;

/**
 * PCIe link. {@code maxGeneration} is what the GPU and the system together allow;
 * {@code gpuMaxGeneration} what the GPU alone supports. Idle GPUs may train down to save power,
 * so a current generation below max is only a finding under load.
 */
public record PcieLink(Optional<Integer> currentGeneration, Optional<Integer> currentWidth,
                       Optional<Integer> maxGeneration, Optional<Integer> maxWidth,
                       Optional<Integer> gpuMaxGeneration, Optional<Integer> replayCounter) {
    public static final PcieLink NONE = new PcieLink(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty());
}
