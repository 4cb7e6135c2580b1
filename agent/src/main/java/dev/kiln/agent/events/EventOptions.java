package dev.kiln.agent.events;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How a {@code NodeAgent} keeps GPU events.
 *
 * @param watch    whether to watch NVML events at all
 * @param stateDir where to persist the event log ({@value EventLog#FILE_NAME}); empty: memory only
 * @param perGpu   events kept per GPU
 * @param poller   the poller that drains the watcher (the {@linkplain EventPoller#shared() shared} one by default)
 */
public record EventOptions(boolean watch, Optional<Path> stateDir, int perGpu, EventPoller poller) {
    /** The daemon's default state directory. */
    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/kiln");

    public EventOptions {
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(poller, "poller");
    }

    /** Watch, keep events in memory only. */
    public static EventOptions inMemory() {
        return new EventOptions(true, Optional.empty(), EventLog.DEFAULT_PER_GPU, EventPoller.shared());
    }

    /** Watch, persist events in {@code stateDir} (in memory, saying why, when it is not writable). */
    public static EventOptions persistedIn(Path stateDir) {
        return new EventOptions(true, Optional.of(stateDir), EventLog.DEFAULT_PER_GPU, EventPoller.shared());
    }

    /** No watcher: {@code GET /v1/events} says so. */
    public static EventOptions off() {
        return new EventOptions(false, Optional.empty(), EventLog.DEFAULT_PER_GPU, EventPoller.shared());
    }

    public EventOptions withPoller(EventPoller p) {
        return new EventOptions(watch, stateDir, perGpu, p);
    }

    /** The log these options describe, for boot {@code bootId}. */
    public EventLog openLog(String bootId) {
        return stateDir.map(d -> EventLog.inStateDir(d, bootId, perGpu)).orElseGet(() -> EventLog.inMemory(bootId, perGpu));
    }
}
