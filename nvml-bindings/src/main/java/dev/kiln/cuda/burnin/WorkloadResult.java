package dev.kiln.cuda.burnin;

import java.time.Duration;

/** What every workload result has: the GPU, the outcome, the time it took and, for ERROR, why. */
public sealed interface WorkloadResult
        permits ComputeStress.Result, MemoryTest.Result, HbmBandwidth.Result, PcieBandwidth.Result {
    String device();

    String pciBusId();

    Outcome outcome();

    Duration elapsed();

    /** Why the workload could not run; null unless {@link #outcome()} is ERROR (or FAILED after an error). */
    WorkloadError error();
}
