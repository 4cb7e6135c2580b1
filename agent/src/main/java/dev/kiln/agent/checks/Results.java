package dev.kiln.agent.checks;

import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.check.GpuRef;

/** Small constructors for results, so checks read as judgements rather than plumbing. Durations are set by the runner. */
final class Results {
    private Results() {
    }

    static GpuRef ref(GpuInventory g) {
        return new GpuRef(g.index(), g.uuid(), g.serial(), g.pci() == null ? null : g.pci().busId());
    }

    static CheckResult gpu(String id, CheckStatus status, GpuInventory g, Object observed, Object expected,
                           String message, String action) {
        return new CheckResult(id, status, ref(g), null, str(observed), str(expected), message, action, 0);
    }

    static CheckResult node(String id, CheckStatus status, String subject, Object observed, Object expected,
                            String message, String action) {
        return new CheckResult(id, status, null, subject, str(observed), str(expected), message, action, 0);
    }

    static CheckResult skip(String id, String reason) {
        return new CheckResult(id, CheckStatus.SKIP, null, null, null, null, reason, null, 0);
    }

    static CheckResult skipGpu(String id, GpuInventory g, String reason) {
        return new CheckResult(id, CheckStatus.SKIP, ref(g), null, null, null, reason, null, 0);
    }

    static CheckResult error(String id, String reason) {
        return new CheckResult(id, CheckStatus.ERROR, null, null, null, null, reason, null, 0);
    }

    static CheckResult errorGpu(String id, GpuInventory g, String reason) {
        return new CheckResult(id, CheckStatus.ERROR, ref(g), null, null, null, reason, null, 0);
    }

    /** "GPU 2 (serial 1654..., 00000000:3A:00.0)" for messages and actions. */
    static String name(GpuInventory g) {
        StringBuilder b = new StringBuilder("GPU ").append(g.index());
        if (g.serial() != null) {
            b.append(" serial ").append(g.serial());
        }
        if (g.pci() != null) {
            b.append(" (").append(g.pci().busId()).append(')');
        }
        return b.toString();
    }

    static String str(Object o) {
        return o == null ? null : o.toString();
    }
}
