package dev.kiln.agent.checks;

import dev.kiln.protocol.check.CheckResult;

import java.util.List;

/**
 * A health check: one stable dotted id and one method. A check judges what the context already
 * read (inventory, events, spec); it never touches hardware itself, so it is fast and testable. It
 * returns one result for a node-level check, or one per GPU / port. Throwing is allowed: the runner
 * turns it into an ERROR result for this check only.
 */
public interface Check {
    /** Stable dotted id, e.g. {@code gpu.pcie.link}; users enable and disable checks by it. */
    String id();

    /** One line saying what is checked, for help and docs. */
    String description();

    List<CheckResult> run(CheckContext context) throws Exception;
}
