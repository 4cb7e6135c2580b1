package dev.kiln.agent.checks;

import dev.kiln.protocol.event.GpuEvent;

import java.time.Instant;
import java.util.List;

/** What {@code gpu.xid.recent} needs from the agent's event log. */
public interface RecentEvents {
    /** False when no watcher runs (NVML unavailable, events unsupported); {@link #reason()} says why. */
    boolean watching();

    String reason();

    /** Events of the current boot, oldest first. */
    List<GpuEvent> thisBoot();

    /** Events at or after {@code since} (any boot), oldest first. */
    List<GpuEvent> since(Instant since);

    /**
     * What the log covers, e.g. "watched since 2026-11-27T01:54:11Z", so a PASS never claims more than
     * was seen: NVML only delivers events raised after the watcher registered.
     */
    default java.util.Optional<String> coverage() {
        return java.util.Optional.empty();
    }

    RecentEvents NONE = new RecentEvents() {
        public boolean watching() {
            return false;
        }

        public String reason() {
            return "no event watcher runs in this agent";
        }

        public List<GpuEvent> thisBoot() {
            return List.of();
        }

        public List<GpuEvent> since(Instant since) {
            return List.of();
        }
    };
}
