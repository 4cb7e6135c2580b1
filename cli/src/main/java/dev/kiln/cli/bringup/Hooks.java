package dev.kiln.cli.bringup;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code --on-accepted CMD} and {@code --on-quarantined CMD}: a site's command run once per node when its verdict
 * is decided, e.g. to resume or drain the node in Slurm or label it in Kubernetes.
 *
 * <ul>
 *   <li>Run as {@code /bin/sh -c CMD}, after the placeholders {@code {node} {rack} {verdict} {report} {run}} are
 *       replaced by the values <em>shell-quoted</em> ({@code 'node-007'}), so a name never becomes shell syntax. The
 *       same values are in the environment as {@code KILN_NODE}, {@code KILN_RACK}, {@code KILN_VERDICT},
 *       {@code KILN_REPORT} and {@code KILN_RUN}.</li>
 *   <li>{@code {report}} is the node's evidence file (JSON: verdict, reasons, actions, GPUs to RMA, every stage with
 *       the agent's answers), written before the hook starts.</li>
 *   <li>A hook that runs past its timeout is killed with its child processes (exit code recorded as none). Its exit
 *       code and the tail of its output (stdout and stderr together) are recorded; a non-zero exit or a timeout is a
 *       failed hook, reported, never ignored.</li>
 * </ul>
 */
public final class Hooks {
    public static final String ON_ACCEPTED = "on-accepted";
    public static final String ON_QUARANTINED = "on-quarantined";
    /** Bytes of output kept (the end of it). */
    static final int TAIL_BYTES = 4096;

    private Hooks() {
    }

    /** What ran and how it ended. {@code exitCode} is null when it was killed (timeout) or could not start. */
    public record Result(String node, String rack, String hook, String command, Integer exitCode, boolean timedOut,
                         String outputTail, Duration duration, String error) {
        public boolean ok() {
            return exitCode != null && exitCode == 0;
        }

        /** {@code exit 3}, {@code timed out after 60 s}, {@code could not start: ...}. */
        public String describe() {
            if (error != null) {
                return "could not start: " + error;
            }
            if (timedOut) {
                return "timed out after " + duration.toSeconds() + " s, killed";
            }
            return "exit " + exitCode;
        }
    }

    /** {@code '...'} with any {@code '} written as {@code '"'"'}: safe inside {@code sh -c}. */
    public static String shellQuote(String s) {
        return "'" + (s == null ? "" : s.replace("'", "'\"'\"'")) + "'";
    }

    /** The command with each {@code {key}} replaced by its value, shell-quoted. */
    public static String expand(String template, Map<String, String> values) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i);
            if (c == '{') {
                int end = template.indexOf('}', i);
                if (end > i) {
                    String key = template.substring(i + 1, end);
                    if (values.containsKey(key)) {
                        out.append(shellQuote(values.get(key)));
                        i = end + 1;
                        continue;
                    }
                }
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    /** The placeholder values of one node's hook. */
    static Map<String, String> values(String node, String rack, String verdict, Path report, String runId) {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("node", node);
        v.put("rack", rack);
        v.put("verdict", verdict);
        v.put("report", report == null ? "" : report.toString());
        v.put("run", runId);
        return v;
    }

    /** Runs one hook to its end or its timeout; blocking (the engine calls it on a virtual thread). */
    static Result run(String hook, String template, Map<String, String> values, Duration timeout) {
        String command = expand(template, values);
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        values.forEach((k, v) -> pb.environment().put("KILN_" + k.toUpperCase(java.util.Locale.ROOT), v));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Result(values.get("node"), values.get("rack"), hook, command, null, false, "",
                    Duration.ofNanos(System.nanoTime() - t0), e.getMessage());
        }
        Tail tail = new Tail(p.getInputStream());
        Thread reader = Thread.ofVirtual().name("kiln-hook-output").start(tail);
        boolean ended;
        try {
            ended = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ended = false;
        }
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        return new Result(values.get("node"), values.get("rack"), hook, command, ended ? p.exitValue() : null,
                !ended, tail.text(), took, null);
    }

    /** Keeps the last {@value #TAIL_BYTES} bytes of a stream. */
    private static final class Tail implements Runnable {
        private final InputStream in;
        private final byte[] ring = new byte[TAIL_BYTES];
        private long total;

        Tail(InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            byte[] buf = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    synchronized (this) {
                        for (int i = 0; i < n; i++) {
                            ring[(int) (total++ % TAIL_BYTES)] = buf[i];
                        }
                    }
                }
            } catch (IOException e) {
                // the process was killed: keep what arrived
            }
        }

        synchronized String text() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (total <= TAIL_BYTES) {
                out.write(ring, 0, (int) total);
            } else {
                int start = (int) (total % TAIL_BYTES);
                out.write(ring, start, TAIL_BYTES - start);
                out.write(ring, 0, start);
            }
            String s = out.toString(StandardCharsets.UTF_8);
            return total > TAIL_BYTES ? "..." + s : s;
        }
    }
}
