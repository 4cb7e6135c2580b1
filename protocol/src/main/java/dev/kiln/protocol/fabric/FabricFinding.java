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
 * @param action      what a technician does next
 * @param performance a measured figure past its threshold (bandwidth, bus bandwidth, latency), which a rerun may not
 *                    reproduce, so a rollout confirms it by a repeat before failing the node; false for what a
 *                    repeat cannot undo (a link down, error counters rising, wrong results)
 */
public record FabricFinding(String test, String severity, String subject, List<String> ends, String observed,
                            String expected, String culprit, String action, boolean performance) {
    public static final String FAIL = "FAIL";
    public static final String WARN = "WARN";

    /** A finding that is not a performance figure (see {@code performance}). */
    public FabricFinding(String test, String severity, String subject, List<String> ends, String observed,
                         String expected, String culprit, String action) {
        this(test, severity, subject, ends, observed, expected, culprit, action, false);
    }

    /** A measured figure past its threshold (see {@code performance}). */
    public static FabricFinding performance(String test, String severity, String subject, List<String> ends,
                                            String observed, String expected, String culprit, String action) {
        return new FabricFinding(test, severity, subject, ends, observed, expected, culprit, action, true);
    }

    public FabricFinding {
        ends = ends == null ? List.of() : List.copyOf(ends);
    }
}
