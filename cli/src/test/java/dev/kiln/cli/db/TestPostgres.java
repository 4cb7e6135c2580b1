package dev.kiln.cli.db;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests: {@code $KILN_TEST_PG_URL} if set (its user must be allowed to
 * create databases), else a throwaway cluster that this JVM creates with {@code initdb} and starts with
 * {@code pg_ctl} in a temp directory on a free loopback port (as {@code nobody} when running as root,
 * since PostgreSQL refuses root), stopped and deleted at exit. Every test gets a fresh database from
 * {@link #newDatabaseUrl()}. When neither works, {@link #require()} skips the test with the reason (or
 * fails it under {@code KILN_TEST_PG_REQUIRED=1}).
 */
final class TestPostgres {
    static final String ENV_URL = "KILN_TEST_PG_URL";
    static final String ENV_REQUIRED = "KILN_TEST_PG_REQUIRED";
    private static final Pattern URL = Pattern.compile("^(jdbc:postgresql://[^/?]*/)([^?]*)(\\?.*)?$");
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private static TestPostgres instance;
    private static String unavailable;
    private static boolean tried;

    private final String prefix; // jdbc:postgresql://host:port/
    private final String params; // "?user=..." or ""
    private final String adminDatabase;

    private TestPostgres(String prefix, String adminDatabase, String params) {
        this.prefix = prefix;
        this.adminDatabase = adminDatabase;
        this.params = params;
    }

    static synchronized Optional<TestPostgres> get() {
        if (!tried) {
            tried = true;
            long t0 = System.nanoTime();
            try {
                instance = start();
                System.err.printf("TestPostgres: %s ready in %d ms%n", instance.prefix,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            } catch (Exception e) {
                unavailable = e.getMessage();
            }
        }
        return Optional.ofNullable(instance);
    }

    /**
     * The server, or the test is skipped with the reason; with {@code KILN_TEST_PG_REQUIRED=1} (set by
     * .ci/run) it fails instead, so CI never passes without having tested PostgreSQL.
     */
    static TestPostgres require() {
        Optional<TestPostgres> pg = get();
        if (pg.isEmpty()) {
            if ("1".equals(System.getenv(ENV_REQUIRED))) {
                Assertions.fail(unavailableReason() + " (and " + ENV_REQUIRED + "=1)");
            }
            Assumptions.abort(unavailableReason());
        }
        return pg.get();
    }

    static synchronized String unavailableReason() {
        return "no PostgreSQL for this test: " + unavailable;
    }

    /** A URL to a new, empty database on the server. */
    String newDatabaseUrl() throws SQLException {
        String name = "kiln_t" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (Connection c = DriverManager.getConnection(prefix + adminDatabase + params);
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return prefix + name + params;
    }

    private static TestPostgres start() throws Exception {
        String given = System.getenv(ENV_URL);
        if (given != null && !given.isBlank()) {
            Matcher m = URL.matcher(given.strip());
            if (!m.matches()) {
                throw new IllegalStateException(ENV_URL + " is not jdbc:postgresql://host[:port]/database[?...]: "
                        + given);
            }
            TestPostgres pg = new TestPostgres(m.group(1), m.group(2).isEmpty() ? "postgres" : m.group(2),
                    m.group(3) == null ? "" : m.group(3));
            try (Connection c = DriverManager.getConnection(given.strip())) {
                c.isValid(5);
            }
            return pg;
        }
        Path bin = findBinaries().orElseThrow(() -> new IllegalStateException(
                "set " + ENV_URL + " or install PostgreSQL (initdb and pg_ctl: Debian package 'postgresql')"));
        boolean root = isRoot();
        if (root && !Files.isExecutable(Path.of("/usr/sbin/runuser")) && !Files.isExecutable(Path.of("/sbin/runuser"))) {
            throw new IllegalStateException("running as root and runuser is missing (PostgreSQL refuses root)");
        }
        Path dir = Files.createTempDirectory("kiln-pg");
        if (root) {
            UserPrincipal nobody = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
            Files.setOwner(dir, nobody);
        }
        Path data = dir.resolve("data");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(bin, data, dir, root)));
        run(root, dir, 120, bin.resolve("initdb").toString(), "-D", data.toString(), "-A", "trust", "-U", "kiln",
                "-E", "UTF8", "--no-sync");
        IOException last = null;
        for (int i = 0; i < 3; i++) {
            int port = freePort();
            try {
                run(root, dir, 60, bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l",
                        dir.resolve("server.log").toString(), "-w", "-t", "30", "-o",
                        "-c listen_addresses=127.0.0.1 -p " + port + " -k " + dir + " -c fsync=off"
                                + " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                        "start");
                return new TestPostgres("jdbc:postgresql://127.0.0.1:" + port + "/", "postgres", "?user=kiln");
            } catch (IOException e) {
                last = e; // most likely the port was taken meanwhile
            }
        }
        throw last;
    }

    private static Optional<Path> findBinaries() {
        List<Path> dirs = new ArrayList<>();
        for (String p : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!p.isEmpty()) {
                dirs.add(Path.of(p));
            }
        }
        dirs.add(Path.of("/usr/local/bin"));
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                versions.map(v -> v.resolve("bin"))
                        .sorted(Comparator.comparing((Path v) -> versionOf(v.getParent())).reversed())
                        .forEach(dirs::add);
            } catch (IOException ignored) {
                // no Debian layout
            }
        }
        return dirs.stream().filter(d -> Files.isExecutable(d.resolve("initdb")) && Files.isExecutable(d.resolve("pg_ctl")))
                .findFirst();
    }

    private static int versionOf(Path dir) {
        try {
            return Integer.parseInt(dir.getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | RuntimeException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void run(boolean root, Path dir, int timeoutS, String... command) throws IOException,
            InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (root) {
            cmd.addAll(List.of("runuser", "-u", "nobody", "--"));
        }
        cmd.addAll(List.of(command));
        Path out = Files.createTempFile("kiln-pg-cmd", ".log");
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " took more than " + timeoutS + " s");
            }
            if (p.exitValue() != 0) {
                String log = Files.readString(out);
                Path serverLog = dir.resolve("server.log");
                if (Files.isReadable(serverLog)) {
                    log += "\n" + Files.readString(serverLog);
                }
                throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": "
                        + log.substring(Math.max(0, log.length() - 2000)));
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static void stop(Path bin, Path data, Path dir, boolean root) {
        try {
            if (Files.isDirectory(data)) {
                run(root, dir, 30, bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "stop");
            }
        } catch (IOException | InterruptedException | RuntimeException ignored) {
            // the server was not running
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }
}
