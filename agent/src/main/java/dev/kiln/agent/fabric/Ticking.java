package dev.kiln.agent.fabric;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.DoubleConsumer;

/**
 * Runs a blocking measurement (a TCP test, an external tool) on a virtual thread and reports time-based progress
 * meanwhile, so the worker keeps heart-beating through a call that says nothing until it ends. A call that runs
 * far past its expected time stops reporting, and the supervisor then treats the worker as hung.
 */
final class Ticking {
    private Ticking() {
    }

    /**
     * @param expected how long the call should take (progress reaches 0.95 then)
     * @param grace    how long past {@code expected} progress keeps flowing before the call is deemed stuck
     */
    static <T> T call(Callable<T> work, Duration expected, Duration grace, DoubleConsumer progress) throws Exception {
        FutureTask<T> task = new FutureTask<>(work);
        Thread t = Thread.ofVirtual().name("fabric-measure").start(task);
        long start = System.nanoTime();
        long expectedNanos = Math.max(1, expected.toNanos());
        long stuckAt = start + expectedNanos + grace.toNanos();
        try {
            while (true) {
                try {
                    return task.get(100, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    long now = System.nanoTime();
                    if (now < stuckAt) {
                        progress.accept(Math.min(0.95, 0.95 * (now - start) / expectedNanos));
                    }
                }
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        } finally {
            t.interrupt();
        }
    }
}
