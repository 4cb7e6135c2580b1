package dev.kiln.cli.db;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Separate JVMs on one database, as two technicians' {@code kiln bringup} runs would be: overlapping
 * node sets are never held by both at once, and a run killed with SIGKILL leaves everything needed to
 * resume it, and leases that expire. Each case runs on a SQLite file and on PostgreSQL (skipped when
 * there is no server, see {@link TestPostgres}).
 */
class ConcurrentProcessesTest {
    static final int ROUNDS = 200;

    @TempDir
    Path dir;
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        started.forEach(Process::destroyForcibly);
    }

    private String url(String kind) throws Exception {
        if (kind.equals("sqlite")) {
            return "jdbc:sqlite:" + dir.resolve("kiln.db");
        }
        return TestPostgres.require().newDatabaseUrl();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void overlappingRacksNeverDoubleBookANode(String kind) throws Exception {
        String url = url(kind); // both processes open (and migrate) the fresh database at the same time
        Path markers = Files.createDirectories(dir.resolve("markers"));
        List<String> rackA = IntStream.range(0, 12).mapToObj(i -> String.format("n%02d", i)).toList();
        List<String> rackB = IntStream.range(6, 18).mapToObj(i -> String.format("n%02d", i)).toList();
        List<Worker> workers = List.of(
                start("a", LeaseWorker.class, url, "run-a", markers.toString(), "" + ROUNDS,
                        String.join(",", rackA), "holder"),
                start("b", LeaseWorker.class, url, "run-b", markers.toString(), "" + ROUNDS,
                        String.join(",", rackB), "challenger"));
        for (Worker w : workers) {
            w.awaitLine("READY", Duration.ofSeconds(60));
        }
        Files.createFile(markers.resolve("GO"));
        int grants = 0;
        for (Worker w : workers) {
            assertThat(w.process.waitFor(150, TimeUnit.SECONDS)).as("worker %s finished", w.name).isTrue();
            String out = w.output();
            assertThat(out).as("worker %s", w.name).doesNotContain("DOUBLE");
            assertThat(w.process.exitValue()).as("worker %s:%n%s", w.name, out).isZero();
            int g = Integer.parseInt(out.lines().filter(l -> l.startsWith("GRANTS ")).findFirst().orElseThrow()
                    .substring("GRANTS ".length()));
            assertThat(g).as("worker %s got nodes", w.name).isPositive();
            grants += g;
        }
        // The handshake: while a held all of rack A, b was refused exactly the six shared nodes.
        assertThat(workers.get(1).awaitLine("REFUSED ", Duration.ofSeconds(1)))
                .as("b's ask while a held the overlap").isEqualTo("REFUSED 6");
        int asked = (rackA.size() + rackB.size()) * ROUNDS;
        System.err.printf("%s: %d of %d node grants over %d rounds, no double booking%n", kind, grants, asked, ROUNDS);
        try (ResultsDb db = ResultsDb.open(url)) {
            assertThat(db.leases(rackA)).isEmpty();
            assertThat(db.leases(rackB)).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aKilledRunCanBeResumedAndItsLeasesExpire(String kind) throws Exception {
        String url = url(kind);
        long ttlMs = 3000;
        Worker crash = start("crash", CrashWorker.class, url, "crashed", Long.toString(ttlMs));
        String ready = crash.awaitLine("READY", Duration.ofSeconds(60));
        String pid = ready.substring("READY ".length()).strip();
        crash.process.destroyForcibly(); // SIGKILL: no shutdown hook, no finally
        assertThat(crash.process.waitFor(30, TimeUnit.SECONDS)).isTrue();

        try (ResultsDb db = ResultsDb.open(url)) {
            ResumeState s = db.pendingWork("crashed");
            assertThat(s.run().state()).as("nobody marked it").isEqualTo(RunState.RUNNING);
            assertThat(s.passed("n1", "reachable")).isTrue();
            assertThat(s.passed("n1", "inventory")).isTrue();
            assertThat(s.running()).singleElement().satisfies(a -> {
                assertThat(a.stage()).isEqualTo("burn-in");
                assertThat(a.agentJobId()).isEqualTo("job-42");
                assertThat(a.estimatedWatts()).isEqualTo(5600.0);
            });
            assertThat(db.unfinishedRuns()).extracting(RunRecord::id).contains("crashed");

            db.createRun(new NewRun("next", ResultsDb.whoAmI(), null, null));
            LeaseGrant early = db.acquire("next", List.of("n1", "n2", "n3"), Duration.ofMinutes(5));
            if (early.held().size() == 3) {
                throw new AssertionError("the dead run's leases vanished before their expiry: " + early);
            }
            assertThat(early.held()).containsExactly("n3");
            assertThat(early.refused()).extracting(Lease::runId).containsOnly("crashed");
            assertThat(early.refused().getFirst().holder()).contains("(pid " + pid + ")");

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            LeaseGrant later;
            do {
                Thread.sleep(200);
                later = db.acquire("next", List.of("n1", "n2"), Duration.ofMinutes(5));
            } while (later.held().size() < 2 && System.nanoTime() < deadline);
            assertThat(later.held()).as("taken over after expiry").containsExactly("n1", "n2");
            assertThat(db.history("n1").leaseEvents()).singleElement()
                    .satisfies(e -> assertThat(e.detail()).startsWith("from run crashed (").contains("pid " + pid));

            RunRecord resumed = db.resumeRun("crashed", ResultsDb.whoAmI());
            assertThat(resumed.resumes()).isEqualTo(1);
            assertThat(db.acquire("crashed", List.of("n1"), Duration.ofMinutes(1)).held())
                    .as("the resumed run waits for the nodes now held by the next run").isEmpty();
        }
    }

    private Worker start(String name, Class<?> main, String... args) throws IOException {
        Worker w = Worker.start(dir, name, main, args);
        started.add(w.process());
        return w;
    }

    /** A JVM running a test main, its stdout and stderr in a file. */
    record Worker(String name, Process process, Path log) {
        static Worker start(Path dir, String name, Class<?> main, String... args) throws IOException {
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            List<String> cmd = new ArrayList<>(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                    "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED",
                    main.getName()));
            cmd.addAll(List.of(args));
            Path log = dir.resolve(name + ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            return new Worker(name, p, log);
        }

        String output() throws IOException {
            return Files.readString(log);
        }

        /** Waits for a line starting with {@code prefix} and answers it. */
        String awaitLine(String prefix, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                var line = output().lines().filter(l -> l.startsWith(prefix)).findFirst();
                if (line.isPresent()) {
                    return line.get();
                }
                if (!process.isAlive()) {
                    throw new AssertionError(name + " exited " + process.exitValue() + " before " + prefix + ":\n"
                            + output());
                }
                Thread.sleep(20);
            }
            process.destroyForcibly();
            throw new AssertionError(name + " printed no " + prefix + " in " + timeout + ":\n" + output());
        }
    }
}
