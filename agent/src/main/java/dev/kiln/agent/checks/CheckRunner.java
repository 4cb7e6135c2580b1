package dev.kiln.agent.checks;

import dev.kiln.protocol.NodeIdentity;
import dev.kiln.protocol.ProtocolVersion;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the selected checks, each with its own deadline, and assembles the report. A check that
 * throws, returns nothing or runs past its deadline yields one ERROR result for that check only;
 * the report always completes. Checks run one after another (each judges an inventory already in
 * memory, so they are fast) on virtual threads, so a hung check costs no platform thread.
 */
public final class CheckRunner {
    private static final ExecutorService EXECUTOR = Executors.newVirtualThreadPerTaskExecutor();

    private final CheckRegistry registry;
    private final Duration perCheckTimeout;

    public CheckRunner(CheckRegistry registry, Duration perCheckTimeout) {
        this.registry = registry;
        this.perCheckTimeout = perCheckTimeout;
    }

    public static CheckRunner standard() {
        return new CheckRunner(CheckRegistry.builtIn(), Duration.ofSeconds(10));
    }

    public CheckRegistry registry() {
        return registry;
    }

    /**
     * Which checks run: {@code only} (when not empty) restricts, then the spec's disabled checks and
     * {@code skip} are removed. Unknown ids are an {@link IllegalArgumentException} naming them.
     */
    public List<Check> select(Collection<String> only, Collection<String> skip, Set<String> specDisabled) {
        List<String> unknown = new ArrayList<>();
        for (String id : concat(only, skip, specDisabled)) {
            if (registry.find(id).isEmpty()) {
                unknown.add(id);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown check id(s) " + unknown + "; known: " + registry.ids());
        }
        List<Check> out = new ArrayList<>();
        for (Check c : registry.all()) {
            boolean wanted = only == null || only.isEmpty() || only.contains(c.id());
            boolean dropped = skip != null && skip.contains(c.id()) || specDisabled.contains(c.id());
            if (wanted && !dropped) {
                out.add(c);
            }
        }
        return out;
    }

    private static List<String> concat(Collection<String> a, Collection<String> b, Collection<String> c) {
        List<String> out = new ArrayList<>();
        for (Collection<String> x : List.of(a == null ? List.<String>of() : a, b == null ? List.<String>of() : b, c)) {
            out.addAll(x);
        }
        return out;
    }

    public CheckReport run(NodeIdentity node, CheckContext ctx, List<Check> checks) {
        long t0 = System.nanoTime();
        List<CheckResult> results = new ArrayList<>();
        CheckStatus verdict = CheckStatus.PASS;
        for (Check check : checks) {
            for (CheckResult r : runOne(check, ctx)) {
                results.add(r);
                verdict = CheckStatus.worse(verdict, r.status());
            }
        }
        return new CheckReport(ProtocolVersion.SCHEMA_VERSION, CheckReport.KIND, node, ctx.spec().name(), ctx.now(),
                (System.nanoTime() - t0) / 1_000_000, verdict, List.copyOf(results));
    }

    List<CheckResult> runOne(Check check, CheckContext ctx) {
        long start = System.nanoTime();
        Future<List<CheckResult>> f = EXECUTOR.submit(() -> check.run(ctx));
        List<CheckResult> raw;
        try {
            raw = f.get(perCheckTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            return List.of(withDuration(Results.error(check.id(), "check did not finish within "
                    + perCheckTimeout.toMillis() + " ms"), start));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return List.of(withDuration(Results.error(check.id(), "check failed to run: " + cause.getClass().getSimpleName()
                    + (cause.getMessage() == null ? "" : ": " + cause.getMessage())), start));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of(withDuration(Results.error(check.id(), "interrupted"), start));
        }
        if (raw == null || raw.isEmpty()) {
            return List.of(withDuration(Results.error(check.id(), "check returned no result"), start));
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        List<CheckResult> out = new ArrayList<>(raw.size());
        for (CheckResult r : raw) {
            out.add(new CheckResult(check.id(), r.status(), r.gpu(), r.subject(), r.observed(), r.expected(),
                    r.message(), r.action(), ms));
        }
        return out;
    }

    private static CheckResult withDuration(CheckResult r, long startNanos) {
        return new CheckResult(r.id(), r.status(), r.gpu(), r.subject(), r.observed(), r.expected(), r.message(),
                r.action(), (System.nanoTime() - startNanos) / 1_000_000);
    }
}
