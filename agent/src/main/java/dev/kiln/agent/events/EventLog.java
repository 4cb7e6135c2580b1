package dev.kiln.agent.events;

import dev.kiln.agent.core.AtomicFiles;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.event.GpuEvent;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The agent's memory of GPU events: a bounded ring per GPU (the oldest of that GPU's events go
 * first, so a chatty GPU cannot push out another GPU's one Xid), optionally persisted as JSON so
 * events survive an agent restart. Each event carries the boot it happened in; events of earlier
 * boots are kept, and {@link #thisBoot()} / {@link #sinceBoot(String)} tell them apart, so a check
 * judges only this boot (or {@link #recent(Instant) a window}) and an old Xid never keeps a node drained.
 *
 * <p>Persistence never stops the agent: a state file that cannot be read is logged and moved aside,
 * one that cannot be written leaves the events in memory, and {@link #notes()} says so.
 * Thread-safe.
 */
public final class EventLog {
    private static final Logger LOG = Logger.getLogger(EventLog.class.getName());
    public static final int DEFAULT_PER_GPU = 256;
    public static final String FILE_NAME = "events.json";
    static final String KIND = "kiln.event-log";

    /** The state file's shape. */
    record StateFile(int schemaVersion, String kind, Instant savedAt, List<GpuEvent> events) {
    }

    private record Entry(long seq, GpuEvent event) {
    }

    private final String bootId;
    private final int perGpu;
    private final Path file;                                        // null: memory only
    private final Map<String, ArrayDeque<Entry>> rings = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private String writeProblem;
    private long seq;

    private EventLog(String bootId, int perGpu, Path file) {
        if (perGpu < 1) {
            throw new IllegalArgumentException("perGpu must be at least 1, got " + perGpu);
        }
        this.bootId = bootId;
        this.perGpu = perGpu;
        this.file = file;
    }

    /** Events in memory only (simulated agents, one-shot commands). */
    public static EventLog inMemory(String bootId) {
        return new EventLog(bootId, DEFAULT_PER_GPU, null);
    }

    public static EventLog inMemory(String bootId, int perGpu) {
        return new EventLog(bootId, perGpu, null);
    }

    /** Events persisted in {@code file}, loading what it holds now. Never throws for a bad file. */
    public static EventLog persisted(Path file, String bootId, int perGpu) {
        EventLog log = new EventLog(bootId, perGpu, Objects.requireNonNull(file, "file"));
        log.load();
        return log;
    }

    /**
     * Persisted in {@code stateDir}/{@value #FILE_NAME} when the directory exists or can be created and
     * is writable; otherwise in memory, with a note saying why.
     */
    public static EventLog inStateDir(Path stateDir, String bootId, int perGpu) {
        try {
            Files.createDirectories(stateDir);
        } catch (IOException | SecurityException e) {
            return memoryBecause(bootId, perGpu, "state directory " + stateDir + " cannot be created ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
        if (!Files.isDirectory(stateDir) || !Files.isWritable(stateDir)) {
            return memoryBecause(bootId, perGpu, "state directory " + stateDir + " is not writable");
        }
        Path key = stateDir.toAbsolutePath().normalize();
        String busy = lock(key);
        if (busy != null) {
            return memoryBecause(bootId, perGpu, busy);
        }
        EventLog log = persisted(stateDir.resolve(FILE_NAME), bootId, perGpu);
        log.lockKey = key;
        return log;
    }

    /** {@value #LOCK_NAME} locks held by this process, one per state directory. */
    private static final java.util.Map<Path, java.nio.channels.FileLock> LOCKS = new java.util.HashMap<>();
    static final String LOCK_NAME = "events.lock";
    private Path lockKey;

    /**
     * Takes the state directory's lock so two agents (or two logs in one process) never rewrite each
     * other's events file: the file is rewritten whole from memory. Null when taken, else why not.
     */
    private static synchronized String lock(Path dir) {
        if (LOCKS.containsKey(dir)) {
            return "state directory " + dir + " is already used by another event log in this process";
        }
        try {
            java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir.resolve(LOCK_NAME),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
            java.nio.channels.FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
                ch.close();
                throw e;
            }
            if (lock == null) {
                ch.close();
                return "state directory " + dir + " is locked by another kiln-agent (" + dir.resolve(LOCK_NAME) + ")";
            }
            LOCKS.put(dir, lock);
            return null;
        } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
            return "cannot lock state directory " + dir + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
        }
    }

    /** Releases the state directory for the next log (an agent restart in the same process, tests). */
    public void close() {
        Path key = lockKey;
        if (key == null) {
            return;
        }
        lockKey = null;
        synchronized (EventLog.class) {
            java.nio.channels.FileLock lock = LOCKS.remove(key);
            if (lock != null) {
                try {
                    lock.channel().close(); // releases the lock too
                } catch (IOException e) {
                    LOG.fine(() -> "closing " + key.resolve(LOCK_NAME) + ": " + e.getMessage());
                }
            }
        }
    }

    private static EventLog memoryBecause(String bootId, int perGpu, String why) {
        LOG.warning(() -> why + "; GPU events are kept in memory only and are lost when the agent stops");
        EventLog log = new EventLog(bootId, perGpu, null);
        log.notes.add(why + "; events are kept in memory only");
        return log;
    }

    // --- reading --------------------------------------------------------------------------

    /** The boot this agent runs in (null when it could not be read). */
    public String bootId() {
        return bootId;
    }

    /** Where events are persisted; empty when they are kept in memory only. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    public int perGpuLimit() {
        return perGpu;
    }

    /** Every event held, oldest first. */
    public List<GpuEvent> all() {
        return select(e -> true);
    }

    /** Events at or after {@code since} (of any boot), oldest first. */
    public List<GpuEvent> recent(Instant since) {
        Objects.requireNonNull(since, "since");
        return select(e -> !e.time().isBefore(since));
    }

    /** Events of boot {@code bootId}, oldest first. */
    public List<GpuEvent> sinceBoot(String bootId) {
        return select(e -> Objects.equals(e.bootId(), bootId));
    }

    /** Events of the boot this agent runs in, oldest first. */
    public List<GpuEvent> thisBoot() {
        return sinceBoot(bootId);
    }

    /** Storage problems worth telling a user: memory only, an unreadable state file moved aside, a failed write. */
    public synchronized List<String> notes() {
        List<String> out = new ArrayList<>(notes);
        if (writeProblem != null) {
            out.add(writeProblem);
        }
        return List.copyOf(out);
    }

    private synchronized List<GpuEvent> select(Predicate<GpuEvent> filter) {
        List<Entry> out = new ArrayList<>();
        for (ArrayDeque<Entry> ring : rings.values()) {
            for (Entry e : ring) {
                if (filter.test(e.event())) {
                    out.add(e);
                }
            }
        }
        out.sort(Comparator.comparingLong(Entry::seq));
        return out.stream().map(Entry::event).toList();
    }

    // --- writing --------------------------------------------------------------------------

    public void record(GpuEvent event) {
        recordAll(List.of(event));
    }

    /** Adds the events in order and persists once. */
    public synchronized void recordAll(List<GpuEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        for (GpuEvent e : events) {
            add(e);
            recordedCounts.merge(e.type(), 1L, Long::sum);
        }
        save();
    }

    private final Map<String, Long> recordedCounts = new java.util.TreeMap<>();

    /** How many events of each type were recorded since this log was opened (not those loaded from its file). */
    public synchronized Map<String, Long> recordedCounts() {
        return Map.copyOf(recordedCounts);
    }

    private void add(GpuEvent e) {
        Objects.requireNonNull(e.time(), "event time");
        Objects.requireNonNull(e.type(), "event type");
        ArrayDeque<Entry> ring = rings.computeIfAbsent(key(e), k -> new ArrayDeque<>());
        ring.addLast(new Entry(seq++, e));
        while (ring.size() > perGpu) {
            evictOne(ring);
        }
    }

    /**
     * Drops the oldest informational event, so a burst of application Xids (13, 31, 43) cannot push a
     * hardware fault (79, 48) out of the ring; only a ring full of faults drops its oldest fault.
     */
    private static void evictOne(ArrayDeque<Entry> ring) {
        for (var it = ring.iterator(); it.hasNext(); ) {
            GpuEvent e = it.next().event();
            if (!"fail".equals(e.severity()) && !"warn".equals(e.severity())) {
                it.remove();
                return;
            }
        }
        ring.removeFirst();
    }

    /** A GPU is its UUID where known (indices shift when a GPU goes missing), else its index. */
    private static String key(GpuEvent e) {
        return e.uuid() != null ? e.uuid() : "index:" + e.gpuIndex();
    }

    // --- persistence ----------------------------------------------------------------------

    private void load() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException | SecurityException e) {
            String why = "cannot read event log " + file + " (" + e.getMessage() + ")";
            LOG.warning(() -> why + "; starting with no events");
            notes.add(why);
            return;
        }
        try {
            StateFile state = KilnJson.mapper().readValue(bytes, StateFile.class);
            if (state == null || !KIND.equals(state.kind()) || state.schemaVersion() != 1 || state.events() == null) {
                throw new IOException("not a version-1 " + KIND + " document");
            }
            int dropped = 0;
            for (GpuEvent e : state.events()) {
                if (e == null || e.time() == null || e.type() == null) {
                    dropped++;
                } else {
                    add(e);
                }
            }
            if (dropped > 0) {
                int n = dropped;
                LOG.warning(() -> "event log " + file + ": ignored " + n + " event(s) without a time or type");
            }
        } catch (IOException | RuntimeException e) {
            moveAside(e);
        }
    }

    private void moveAside(Exception cause) {
        Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + System.currentTimeMillis());
        String why;
        try {
            Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
            why = "event log " + file + " was unreadable (" + firstLine(cause) + ") and was moved to " + aside
                    + "; events before this start are lost";
        } catch (IOException | SecurityException e) {
            why = "event log " + file + " is unreadable (" + firstLine(cause) + ") and could not be moved aside ("
                    + e.getMessage() + ")";
        }
        String message = why;
        LOG.warning(message);
        notes.add(message);
    }

    private static String firstLine(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** Writes every held event to a temporary file beside the state file, then moves it over atomically. */
    private void save() {
        if (file == null) {
            return;
        }
        try {
            byte[] json = KilnJson.mapper().writeValueAsBytes(new StateFile(1, KIND, Instant.now(), selectUnlocked()));
            AtomicFiles.write(file, json);
            if (writeProblem != null) {
                LOG.info(() -> "event log " + file + " is written again");
                writeProblem = null;
            }
        } catch (IOException | SecurityException e) {
            String why = "cannot write event log " + file + " (" + e.getMessage() + "); new events are kept in memory only";
            if (!why.equals(writeProblem)) {
                LOG.log(Level.WARNING, why);
            }
            writeProblem = why;
        }
    }

    private List<GpuEvent> selectUnlocked() {
        List<Entry> out = new ArrayList<>();
        rings.values().forEach(out::addAll);
        out.sort(Comparator.comparingLong(Entry::seq));
        return out.stream().map(Entry::event).toList();
    }

    @Override
    public String toString() {
        return "EventLog[" + (file == null ? "memory" : file) + ", boot " + bootId + "]";
    }
}
