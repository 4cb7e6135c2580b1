package dev.kiln.cuda.burnin;

/**
 * A progress report of a running workload.
 *
 * @param test     the workload id, e.g. burnin.compute
 * @param fraction elapsed share of the time budget, 0..1
 * @param message  what it is doing, e.g. "round 3 tensor: 812.4 TFLOP/s, 0 mismatches"
 */
public record Progress(String test, double fraction, String message) {
}
