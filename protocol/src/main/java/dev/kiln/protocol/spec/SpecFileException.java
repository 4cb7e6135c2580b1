package dev.kiln.protocol.spec;

import java.util.List;

/**
 * A spec that cannot be used. The message is the first error, naming source, line and field
 * ({@code h100.yaml:7: field 'gpu.pcie.generation' must be an integer 1..6, got 'five'}); {@link #problems()}
 * holds every problem found, errors and warnings, in line order (what {@link SpecLint} reports).
 */
public final class SpecFileException extends RuntimeException {
    private final transient SpecProblem problem;
    private final transient List<SpecProblem> problems;

    public SpecFileException(SpecProblem problem, List<SpecProblem> problems) {
        super(problem.format());
        this.problem = problem;
        this.problems = List.copyOf(problems);
    }

    /** The first error. */
    public SpecProblem problem() {
        return problem;
    }

    public List<SpecProblem> problems() {
        return problems;
    }
}
