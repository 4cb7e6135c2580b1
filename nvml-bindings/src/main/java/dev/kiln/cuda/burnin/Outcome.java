package dev.kiln.cuda.burnin;

/**
 * How a burn-in workload ended. Only {@link #PASSED} is a pass: work was done and every result was right.
 * {@link #FAILED}: the GPU computed or stored something wrong. {@link #ERROR}: the workload could not run
 * (allocation, module load or launch failure, sticky error) and says why. {@link #CANCELLED}: stopped on request
 * before anything wrong was seen.
 */
public enum Outcome {
    PASSED, FAILED, ERROR, CANCELLED
}
