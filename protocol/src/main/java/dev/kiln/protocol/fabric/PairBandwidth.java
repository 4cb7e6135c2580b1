package dev.kiln.protocol.fabric;

/**
 * One GPU pair of a node's {@code fabric.p2p} matrix (unordered: {@code gpuA < gpuB}).
 *
 * @param path        the NVML topology between them: {@code NVLINK}, or the PCIe common ancestor
 *                    ({@code INTERNAL}, {@code SINGLE}, {@code MULTIPLE}, {@code HOSTBRIDGE}, {@code NODE}, {@code SYSTEM})
 * @param p2p         NVML's P2P read status for the pair: {@code ok} or why not (e.g. {@code not_supported})
 * @param abGBps      copy bandwidth A->B in GB/s (10^9 bytes/s); null when not measured (no P2P)
 * @param baGBps      copy bandwidth B->A
 * @param bidirGBps   both directions at once, summed
 * @param latencyUs   median one-way latency of a small peer copy, microseconds
 * @param expectedGBps the minimum one-way figure this pair is judged against (null: not judged)
 * @param minimumSource where that minimum came from (spec name, or Kiln's defaults for the model)
 */
public record PairBandwidth(int gpuA, int gpuB, String pciBusIdA, String pciBusIdB, String path, String p2p,
                            Double abGBps, Double baGBps, Double bidirGBps, Double latencyUs, Double expectedGBps,
                            String minimumSource) {
}
