package dev.kiln.cli.bringup;

import dev.kiln.cli.UsageException;

/**
 * No schedule can keep within the power budgets (a node whose draw alone does not fit one, idle draw already
 * over one, a node under a budget whose draw cannot be estimated). Nothing was started: exit 2, like any
 * other input that needs fixing. The message names the node and the budget, with the 80% limit.
 */
public final class InfeasiblePlanException extends UsageException {
    public InfeasiblePlanException(String message) {
        super(message);
    }
}
