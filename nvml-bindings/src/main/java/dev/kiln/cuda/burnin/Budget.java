package dev.kiln.cuda.burnin;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A workload's deadline, cancellation check and progress sink. Public for the workloads of other packages
 * ({@code dev.kiln.cuda.fabric}).
 */
public final class Budget {
    private final String test;
    private final long startNanos = System.nanoTime();
    private final long budgetNanos;
    private final BooleanSupplier cancelled;
    private final Consumer<Progress> progress;
    private boolean wasCancelled;
    private long lastReport;

    public Budget(String test, Duration budget, BooleanSupplier cancelled, Consumer<Progress> progress) {
        this.test = test;
        this.budgetNanos = Math.max(0, budget.toNanos());
        this.cancelled = cancelled == null ? () -> false : cancelled;
        this.progress = progress == null ? p -> { } : progress;
    }

    /** True once the budget is spent or cancellation was requested. */
    public boolean over() {
        if (cancelled.getAsBoolean()) {
            wasCancelled = true;
            return true;
        }
        return System.nanoTime() - startNanos >= budgetNanos;
    }

    public boolean cancelled() {
        return wasCancelled;
    }

    public long budgetNanos() {
        return budgetNanos;
    }

    public Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /** Reports at most every 500 ms (the first report always goes out). */
    public void report(String message) {
        long now = System.nanoTime();
        if (lastReport != 0 && now - lastReport < 500_000_000L) {
            return;
        }
        lastReport = now;
        double f = budgetNanos == 0 ? 1.0 : Math.min(1.0, (System.nanoTime() - startNanos) / (double) budgetNanos);
        progress.accept(new Progress(test, f, message));
    }
}
