package dev.kiln.agent.fabric.net;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * Runs the standard tools (perftest, nccl-tests, an MPI launcher) as child processes: finds them in a configured
 * tools directory or on {@code PATH}, captures stdout and stderr together, keeping only the last
 * {@code maxOutputBytes} (64 KiB by default: enough for any result table, bounded for a tool that spews), and kills
 * the whole process tree on timeout or cancel (SIGTERM, then SIGKILL after {@value #GRACE_MILLIS} ms). The tree is
 * the child's descendants as the JDK sees them; a grandchild that daemonizes (leaves the tree) escapes, as it would
 * any supervisor without cgroups. Children get {@code stdin} from {@code /dev/null} and a {@code PATH} with the tools
 * directory first. Thread-safe; no state besides its configuration.
 */
public final class ToolRunner {
    public static final int DEFAULT_MAX_OUTPUT = 64 * 1024;
    static final long GRACE_MILLIS = 2000;

    private final List<Path> toolDirs;
    private final String path;
    private final int maxOutputBytes;

    /**
     * @param toolDirs       directories searched first (a site's perftest/nccl-tests builds), may be empty
     * @param path           the {@code PATH} to search after them (usually {@code System.getenv("PATH")})
     * @param maxOutputBytes output kept per run, the last bytes
     */
    public ToolRunner(List<Path> toolDirs, String path, int maxOutputBytes) {
        this.toolDirs = List.copyOf(toolDirs == null ? List.of() : toolDirs);
        this.path = path == null ? "" : path;
        if (maxOutputBytes < 1024) {
            throw new IllegalArgumentException("maxOutputBytes must be at least 1024, got " + maxOutputBytes);
        }
        this.maxOutputBytes = maxOutputBytes;
    }

    /** The agent's own {@code PATH}, with {@code toolsDir} (may be null) searched first. */
    public static ToolRunner system(Path toolsDir) {
        return new ToolRunner(toolsDir == null ? List.of() : List.of(toolsDir), System.getenv("PATH"),
                DEFAULT_MAX_OUTPUT);
    }

    /**
     * The runner of a node's fabric jobs: {@code toolDirs} first, then the agent's PATH on a real node. A simulated
     * node searches only its tools directories (recorded fakes): PATH's tools would measure this host, not the node.
     */
    public static ToolRunner forNode(List<String> toolDirs, boolean simulated) {
        return new ToolRunner(toolDirs.stream().map(Path::of).toList(), simulated ? "" : System.getenv("PATH"),
                DEFAULT_MAX_OUTPUT);
    }

    /** Where an executable of this name is, if anywhere. A name with a slash is taken as a path. */
    public Optional<Path> find(String executable) {
        if (executable.contains("/")) {
            Path p = Path.of(executable);
            return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        for (Path dir : searchDirs()) {
            Path p = dir.resolve(executable);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Where {@link #find} looks, for a "not found" message: "/opt/kiln/tools, then PATH (/usr/bin:/bin)". */
    public String searched() {
        String dirs = toolDirs.stream().map(Path::toString).collect(Collectors.joining(", "));
        String p = "PATH (" + (path.isBlank() ? "empty" : path) + ")";
        return dirs.isEmpty() ? p : dirs + ", then " + p;
    }

    private List<Path> searchDirs() {
        LinkedHashSet<Path> dirs = new LinkedHashSet<>(toolDirs);
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isBlank()) {
                dirs.add(Path.of(d));
            }
        }
        return List.copyOf(dirs);
    }

    /**
     * How a run ended.
     *
     * @param exitCode  the process's exit status (-1 when killed by us)
     * @param timedOut  killed because it ran past its timeout
     * @param cancelled killed because the caller cancelled
     * @param output    the last bytes of stdout and stderr together
     * @param truncated earlier output was dropped
     */
    public record Result(List<String> command, int exitCode, boolean timedOut, boolean cancelled, String output,
                         boolean truncated, long durationMs) {
        public Result {
            command = List.copyOf(command);
        }

        public boolean ok() {
            return exitCode == 0 && !timedOut && !cancelled;
        }
    }

    /** Runs {@code command} to the end, or kills it (and its children) at {@code timeout} or on cancel. */
    public Result run(List<String> command, Duration timeout, BooleanSupplier cancelled) throws IOException {
        return start(command).await(timeout, cancelled);
    }

    /**
     * Starts {@code command} in the background (an {@code ib_write_bw} server waiting for its client).
     *
     * @throws IOException when it cannot be started; a missing executable is {@link java.nio.file.NoSuchFileException}
     */
    public Running start(List<String> command) throws IOException {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        Path exe = find(command.getFirst()).orElseThrow(() -> new java.nio.file.NoSuchFileException(
                command.getFirst(), null, "not found in " + searched()));
        List<String> argv = new ArrayList<>(command);
        argv.set(0, exe.toString());
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        // The tool itself is found in the search dirs; what it runs (a wrapper's cat, mpirun's helpers) is found on
        // the agent's own PATH after them, even where the tool search skips PATH (simulated nodes).
        String agentPath = System.getenv("PATH");
        String childPath = java.util.stream.Stream.concat(searchDirs().stream().map(Path::toString),
                        agentPath == null || agentPath.isBlank() ? java.util.stream.Stream.<String>empty()
                                : java.util.Arrays.stream(agentPath.split(File.pathSeparator)))
                .distinct().collect(Collectors.joining(File.pathSeparator));
        pb.environment().put("PATH", childPath);
        Process p = pb.start();
        return new Running(List.copyOf(command), p, new Tail(maxOutputBytes));
    }

    /** A started tool. */
    public static final class Running {
        private final List<String> command;
        private final Process process;
        private final Tail tail;
        private final Thread reader;
        private final long started = System.nanoTime();

        private Running(List<String> command, Process process, Tail tail) {
            this.command = command;
            this.process = process;
            this.tail = tail;
            this.reader = Thread.ofVirtual().name("tool-output-" + process.pid()).start(() -> {
                try (InputStream in = process.getInputStream()) {
                    byte[] buf = new byte[8192];
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        tail.append(buf, n);
                    }
                } catch (IOException e) {
                    // the stream closed under us (killed): what we have is what there is
                }
            });
        }

        public long pid() {
            return process.pid();
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        public List<String> command() {
            return command;
        }

        /** Output so far (the last bytes). */
        public String outputSoFar() {
            return tail.text();
        }

        /** Waits for the end, killing the tree at {@code timeout} or when {@code cancelled} turns true. */
        public Result await(Duration timeout, BooleanSupplier cancelled) {
            BooleanSupplier cancel = cancelled == null ? () -> false : cancelled;
            long deadline = System.nanoTime() + timeout.toNanos();
            boolean timedOut = false;
            boolean wasCancelled = false;
            try {
                while (!process.waitFor(50, TimeUnit.MILLISECONDS)) {
                    if (cancel.getAsBoolean()) {
                        wasCancelled = true;
                        break;
                    }
                    if (System.nanoTime() - deadline > 0) {
                        timedOut = true;
                        break;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                wasCancelled = true;
            }
            if (timedOut || wasCancelled) {
                killTree();
            }
            int exit;
            try {
                process.waitFor(GRACE_MILLIS * 2, TimeUnit.MILLISECONDS);
                exit = process.isAlive() ? -1 : (timedOut || wasCancelled ? -1 : process.exitValue());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exit = -1;
            }
            try {
                reader.join(Duration.ofMillis(GRACE_MILLIS)); // a grandchild holding the pipe must not hang us
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Result(command, exit, timedOut, wasCancelled, tail.text(), tail.truncated(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }

        /** SIGTERM to the process and its descendants, SIGKILL to whatever is left after the grace period. */
        public void killTree() {
            List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
            process.destroy();
            tree.forEach(ProcessHandle::destroy);
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GRACE_MILLIS);
            while (System.nanoTime() - end < 0 && (process.isAlive() || tree.stream().anyMatch(ProcessHandle::isAlive))) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            tree.addAll(process.descendants().toList());
            tree.forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    /** The last {@code max} bytes written. */
    static final class Tail {
        private final byte[] ring;
        private long total;

        Tail(int max) {
            this.ring = new byte[max];
        }

        synchronized void append(byte[] b, int n) {
            for (int i = 0; i < n; i++) {
                ring[(int) ((total + i) % ring.length)] = b[i];
            }
            total += n;
        }

        synchronized boolean truncated() {
            return total > ring.length;
        }

        synchronized String text() {
            if (total <= ring.length) {
                return new String(ring, 0, (int) total, StandardCharsets.UTF_8);
            }
            int start = (int) (total % ring.length);
            byte[] out = new byte[ring.length];
            System.arraycopy(ring, start, out, 0, ring.length - start);
            System.arraycopy(ring, 0, out, ring.length - start, start);
            String s = new String(out, StandardCharsets.UTF_8);
            int nl = s.indexOf('\n');
            return nl >= 0 ? s.substring(nl + 1) : s; // drop the partial first line
        }
    }

    /** The last {@code lines} lines of {@code text}, at most {@code maxChars}: what a {@code ToolRun} shows. */
    public static String lastLines(String text, int lines, int maxChars) {
        if (text == null || text.isEmpty()) {
            return "";
        }
        List<String> all = Arrays.asList(text.split("\n", -1));
        int from = Math.max(0, all.size() - lines - (text.endsWith("\n") ? 1 : 0));
        String out = String.join("\n", all.subList(from, all.size()));
        return out.length() > maxChars ? out.substring(out.length() - maxChars) : out;
    }

    @Override
    public String toString() {
        return "tools in " + searched();
    }
}
