package dev.kiln.cli.report;

/** Where a node stands in the rollout. Only ACCEPTED nodes count towards time to production and throughput. */
public enum Verdict {
    /** Every stage passed and the node was signed off at {@link NodeReport#acceptedAt()}. */
    ACCEPTED,
    /** Taken out of the rollout: a stage failed; its findings and GPUs to RMA say why. */
    QUARANTINED,
    /** Contacted, stages still to run or running. */
    IN_PROGRESS,
    /** Never contacted (not racked, not cabled, agent not answering). */
    NOT_STARTED
}
