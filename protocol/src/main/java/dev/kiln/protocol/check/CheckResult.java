package dev.kiln.protocol.check;

/**
 * One finding of one check.
 *
 * @param id         stable dotted check id, e.g. {@code gpu.pcie.link}
 * @param gpu        the GPU concerned, null for node-level results
 * @param subject    what else it concerns when not a GPU, e.g. {@code mlx5_0/1}, or a missing slot's bus id
 * @param observed   what the node has, as text ("Gen4 x8")
 * @param expected   what the spec says ("Gen5 x16")
 * @param message    one sentence for a person; for SKIP and ERROR, the reason
 * @param action     what to do, e.g. "reseat or RMA GPU serial 1654922001234"; null when nothing is to be done
 */
public record CheckResult(String id, CheckStatus status, GpuRef gpu, String subject, String observed,
                          String expected, String message, String action, long durationMs) {
}
