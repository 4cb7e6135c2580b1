package dev.kiln.cuda.burnin;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Closes what was added in reverse order; the first failure is thrown with the others suppressed. Public for the
 * workloads of other packages ({@code dev.kiln.cuda.fabric}).
 */
public final class Scope implements AutoCloseable {
    private final Deque<AutoCloseable> items = new ArrayDeque<>();

    public <T extends AutoCloseable> T add(T item) {
        items.push(item);
        return item;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        while (!items.isEmpty()) {
            try {
                items.pop().close();
            } catch (Exception e) {
                RuntimeException r = e instanceof RuntimeException re ? re : new RuntimeException(e);
                if (first == null) {
                    first = r;
                } else {
                    first.addSuppressed(r);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
