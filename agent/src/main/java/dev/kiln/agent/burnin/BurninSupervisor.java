package dev.kiln.agent.burnin;

import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.burnin.JobState;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Starts one burn-in worker as a child process of the same artifact and watches it: every stdout line
 * goes to the {@link Listener}; no line for {@code heartbeatTimeout} (a hung worker) or a passed
 * deadline kills it; {@link #cancel()} kills it (SIGTERM, then SIGKILL after {@code killGrace}). A
 * worker that dies, hangs or is killed ends the job, never the agent: the listener hears exactly one
 * {@link Listener#ended}. Two threads per running job (stdout reader, watchdog), none otherwise.
 */
public final class BurninSupervisor {
    private static final Logger LOG = Logger.getLogger(BurninSupervisor.class.getName());

    /** Supervision timings. */
    public record Timing(Duration heartbeatTimeout, Duration deadline, Duration killGrace) {
    }

    /** Hears a job's worker. Called from the supervisor's threads. */
    public interface Listener {
        void line(WorkerLine line);

        /** Once, when the worker is gone: the job's final state and, unless PASSED, why. */
        void ended(JobState state, String reason);
    }

    private final Process process;
    private final Timing timing;
    private final Listener listener;
    private final Path log;
    /** Before its first line a worker gets this long to start (a cold JVM on a busy host). */
    static final Duration STARTUP_GRACE = Duration.ofSeconds(30);
    private volatile long lastLineNanos = System.nanoTime();
    private volatile boolean started;
    private volatile String killedFor;
    private volatile boolean cancelled;
    private volatile String doneVerdict;
    private volatile String doneSummary;
    private volatile String errorMessage;
    private final Object endLock = new Object();
    private boolean ended;

    private BurninSupervisor(Process process, Timing timing, Listener listener, Path log) {
        this.process = process;
        this.timing = timing;
        this.listener = listener;
        this.log = log;
    }

    /** The command that runs {@code kiln-agent burnin-worker --job FILE} with this JVM and class path. */
    public static List<String> workerCommand(Path jobFile) {
        return workerCommand(jobFile, ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()),
                System.getProperty("java.class.path", ""));
    }

    static List<String> workerCommand(Path jobFile, String javaCmd, String cp) {
        List<String> cmd = new ArrayList<>(List.of(javaCmd, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m",
                "-Xshare:auto", "--enable-native-access=ALL-UNNAMED"));   // the CUDA backend loads libcuda via JNA
        if (!cp.contains(java.io.File.pathSeparator) && cp.endsWith("quarkus-run.jar")) {
            cmd.addAll(List.of("-jar", cp));   // Quarkus fast-jar: its launcher finds the classes
        } else {
            cmd.addAll(List.of("-cp", cp, "dev.kiln.agent.cli.AgentMain"));
        }
        cmd.addAll(List.of("burnin-worker", "--job", jobFile.toString()));
        return cmd;
    }

    /** Starts the worker for {@code jobFile}; its stderr is appended to {@code log}. */
    public static BurninSupervisor start(List<String> command, Path log, Timing timing, Listener listener)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(false)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        BurninSupervisor s = new BurninSupervisor(p, timing, listener, log);
        Thread reader = new Thread(s::read, "kiln-burnin-reader-" + p.pid());
        reader.setDaemon(true);
        reader.start();
        Thread watchdog = new Thread(s::watch, "kiln-burnin-watchdog-" + p.pid());
        watchdog.setDaemon(true);
        watchdog.start();
        return s;
    }

    public long pid() {
        return process.pid();
    }

    /** Kills the worker; the job ends CANCELLED. */
    public void cancel() {
        cancelled = true;
        kill();
    }

    private void read() {
        // Whatever happens in here, the job must end: a dead reader must never leave it RUNNING.
        int exit = -1;
        try {
            readLines();
            try {
                exit = process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
            }
        } catch (RuntimeException | Error e) {
            LOG.log(Level.WARNING, "burn-in worker reader failed", e);
            kill();
            if (killedFor == null) {
                killedFor = "the agent could not read the burn-in worker's output (" + e + ") and stopped it";
            }
        } finally {
            finish(exit);
        }
    }

    private void readLines() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String text; (text = in.readLine()) != null; ) {
                WorkerLine line;
                try {
                    line = KilnJson.mapper().readValue(text, WorkerLine.class);
                } catch (IOException e) {
                    String bad = text;
                    LOG.warning(() -> "burn-in worker " + process.pid() + " wrote a line that is not JSON: " + bad);
                    continue;
                }
                if (line == null || line.type() == null) {
                    continue; // "null" or {} is no line at all
                }
                if (!WorkerLine.TELEMETRY.equals(line.type())) {
                    // Telemetry comes from a sampler that runs on while a test is stuck: it is no sign of life.
                    lastLineNanos = System.nanoTime();
                    started = true;
                }
                if (WorkerLine.DONE.equals(line.type())) {
                    doneVerdict = line.verdict();
                    doneSummary = line.message();
                } else if (WorkerLine.ERROR.equals(line.type())) {
                    errorMessage = line.message();
                }
                try {
                    listener.line(line);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "burn-in listener failed on a worker line", e);
                }
            }
        } catch (IOException e) {
            // The pipe broke with the worker; the exit status says what happened.
        }
    }

    private void watch() {
        long deadline = System.nanoTime() + timing.deadline().toNanos();
        long timeout = timing.heartbeatTimeout().toNanos();
        try {
            while (!process.waitFor(100, TimeUnit.MILLISECONDS)) {
                long now = System.nanoTime();
                if (now - lastLineNanos > (started ? timeout : Math.max(timeout, STARTUP_GRACE.toNanos()))) {
                    killedFor = started ? "the burn-in worker stopped heart-beating for "
                            + timing.heartbeatTimeout().toMillis() + " ms (hung) and was killed"
                            : "the burn-in worker did not start within " + STARTUP_GRACE.toSeconds() + " s and was killed";
                    kill();
                    return;
                }
                if (now > deadline) {
                    killedFor = "the burn-in ran past its deadline of " + timing.deadline().toSeconds()
                            + " s and was killed";
                    kill();
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void kill() {
        process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroy();
        try {
            if (!process.waitFor(timing.killGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                if (!process.waitFor(timing.killGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                    // Unkillable (in the kernel, typically inside the NVIDIA driver after an Xid 79): its
                    // pipe may never close, so end the job here instead of waiting on the reader.
                    if (killedFor == null && !cancelled) {
                        killedFor = "the burn-in worker";
                    }
                    String why = (cancelled ? "cancelled, but " : killedFor + "; ") + "worker pid " + process.pid()
                            + " could not be killed (stuck in the driver?): reboot the node";
                    killedFor = why;
                    cancelled = false;
                    finish(-1);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private void finish(int exit) {
        JobState state;
        String reason;
        if (cancelled) {
            state = JobState.CANCELLED;
            reason = "cancelled by request";
        } else if (killedFor != null) {
            state = JobState.FAILED;
            reason = killedFor;
        } else if (doneVerdict != null && exit == 0) {
            state = "PASS".equals(doneVerdict) ? JobState.PASSED : JobState.FAILED;
            reason = state == JobState.PASSED ? null : doneSummary != null ? doneSummary
                    : "at least one test failed or could not run on at least one GPU";
        } else if (errorMessage != null) {
            state = JobState.ERROR;
            reason = errorMessage;
        } else {
            state = JobState.FAILED;
            reason = "the burn-in worker died (" + describeExit(exit) + ") before it finished; see " + log;
        }
        synchronized (endLock) {
            if (ended) {
                return;
            }
            ended = true;
        }
        listener.ended(state, reason);
    }

    /** "exit status 3", or "killed by SIGABRT (exit status 134)". */
    static String describeExit(int exit) {
        if (exit > 128 && exit < 160) {
            String sig = switch (exit - 128) {
                case 6 -> "SIGABRT";
                case 9 -> "SIGKILL";
                case 11 -> "SIGSEGV";
                case 15 -> "SIGTERM";
                case 7 -> "SIGBUS";
                default -> "signal " + (exit - 128);
            };
            return "killed by " + sig + ", exit status " + exit;
        }
        return "exit status " + exit;
    }
}
