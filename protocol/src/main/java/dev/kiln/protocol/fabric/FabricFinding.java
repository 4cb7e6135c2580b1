package dev.kiln.protocol.fabric;

import java.util.List;

/**
 * Something wrong with a link, and where to look.
 *
 * @param test     the test that found it
 * @param severity FAIL or WARN
 * @param subject  what is blamed: {@code gpu}, {@code gpu-pair}, {@code nvlink}, {@code host-link}, {@code node},
 *                 {@code node-pair}, {@code port}
 * @param ends     both ends, most specific first (e.g. "GPU 3 (00000000:5D:00.0) link 7", "NVSwitch 0000:05:00.0")
 * @param observed what was measured, with units
 * @param expected what was required, with units and where it came from
 * @param culprit  the likely cause in one sentence ("GPU 3 is slow with every peer: its NVLinks or the GPU")
 * @param action   what a technician does next
 */
public record FabricFinding(String test, String severity, String subject, List<String> ends, String observed,
                            String expected, String culprit, String action) {
    public static final String FAIL = "FAIL";
    public static final String WARN = "WARN";

    public FabricFinding {
        ends = ends == null ? List.of() : List.copyOf(ends);
    }
}
