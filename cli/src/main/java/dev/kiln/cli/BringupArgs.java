package dev.kiln.cli;

import java.util.List;

/**
 * A {@code kiln bringup} run's settings as recorded with the run ({@code runs.args_json}), so {@code --resume}
 * continues with exactly them, and the process that ran it (host and pid: is it still alive?).
 *
 * @param fleet the fleet file's absolute path
 * @param spec  {@code --spec} as given (null: the fleet file's)
 * @param argv  the command line, for people
 */
record BringupArgs(String command, String fleet, List<String> racks, List<String> nodes, boolean all, String spec,
                   long burninSeconds, long fabricSeconds, long networkSeconds, int maxParallel, Integer maxPerRack,
                   long staggerMillis, Integer maxFailures, Double maxFailureRate, Double minNetworkGbps,
                   String onAccepted, String onQuarantined, long hookTimeoutSeconds, long timeoutMillis,
                   int maxInFlight, String runsDir, String host, long pid, List<String> argv) {
    static final String COMMAND = "bringup";
}
