package dev.kiln.cli.db;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A separate process for {@link ConcurrentProcessesTest}: opens the database, creates its run, prints
 * READY, waits for {@code <markers>/GO}, then for {@code rounds} rounds acquires its nodes, marks each
 * node it got by creating {@code <markers>/<node>} (create-new: it fails if another process marked it,
 * which would be a double booking), holds briefly, unmarks, releases. Prints {@code GRANTS n} and exits 0,
 * or prints {@code DOUBLE node} and exits 3.
 *
 * <p>Before the random rounds, one handshake makes the overlap contended for certain (random timing on a
 * loaded machine may never interleave two processes' short holds): the {@code holder} takes all its
 * nodes, creates {@code <markers>/HELD}, and keeps them until {@code <markers>/TRIED} appears; the
 * {@code challenger} waits for HELD, asks for its nodes, prints {@code REFUSED n} (how many it was
 * refused), releases what it got and creates TRIED.
 *
 * <p>Arguments: url runId markersDir rounds node,node,... holder|challenger
 */
public final class LeaseWorker {
    private LeaseWorker() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String runId = args[1];
        Path markers = Path.of(args[2]);
        int rounds = Integer.parseInt(args[3]);
        List<String> nodes = Arrays.asList(args[4].split(","));
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int grants = 0;
        try (ResultsDb db = ResultsDb.open(url)) {
            db.createRun(new NewRun(runId, ResultsDb.whoAmI(), null, null));
            System.out.println("READY");
            System.out.flush();
            awaitFile(markers.resolve("GO"));
            if (args[5].equals("holder")) {
                List<String> held = db.acquire(runId, nodes, Duration.ofSeconds(30)).held();
                Files.createFile(markers.resolve("HELD"));
                awaitFile(markers.resolve("TRIED"));
                db.release(runId, held);
            } else {
                awaitFile(markers.resolve("HELD"));
                LeaseGrant grant = db.acquire(runId, nodes, Duration.ofSeconds(30));
                System.out.println("REFUSED " + grant.refused().size());
                System.out.flush();
                db.release(runId, grant.held());
                Files.createFile(markers.resolve("TRIED"));
            }
            for (int r = 0; r < rounds; r++) {
                List<String> held = db.acquire(runId, nodes, Duration.ofSeconds(30)).held();
                for (String node : held) {
                    try {
                        Files.createFile(markers.resolve(node));
                    } catch (FileAlreadyExistsException e) {
                        System.out.println("DOUBLE " + node + " in round " + r);
                        System.out.flush();
                        System.exit(3);
                    }
                }
                grants += held.size();
                if (random.nextInt(4) == 0) {
                    Thread.sleep(random.nextInt(3));
                }
                for (String node : held) {
                    Files.delete(markers.resolve(node));
                }
                db.release(runId, held);
            }
            db.finishRun(runId, 0, null);
        }
        System.out.println("GRANTS " + grants);
        System.out.flush();
        System.exit(0);
    }

    private static void awaitFile(Path file) throws InterruptedException {
        while (!Files.exists(file)) {
            Thread.sleep(5);
        }
    }
}
