package dev.kiln.protocol.burnin;

import java.util.List;

/**
 * Body of {@code POST /v1/jobs} for a burn-in.
 *
 * @param type            {@code burnin}
 * @param tests           test ids to run in order (empty: all, in the default order)
 * @param gpus            NVML indices (empty: every GPU)
 * @param durationSeconds total time budget; split across the tests
 * @param force           run even on GPUs with compute processes (someone's job)
 * @param specName        spec whose thresholds judge throughput (null: the agent's default spec, if any)
 */
public record BurninRequest(String type, List<String> tests, List<Integer> gpus, long durationSeconds, boolean force,
                            String specName) {
    public static final String TYPE = "burnin";

    public BurninRequest {
        tests = tests == null ? List.of() : List.copyOf(tests);
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
    }
}
