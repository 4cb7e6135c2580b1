package dev.kiln.cli;

import dev.kiln.cli.fanout.FanOut;
import dev.kiln.cli.fanout.NodeResult;
import dev.kiln.cli.fanout.ResponseDecoder;
import dev.kiln.cli.fleet.FleetNode;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/** One fan-out as a command runs it, with the optional -v diagnostics around it. */
final class FleetQuery {
    private FleetQuery() {
    }

    static <T> void run(FanOut fanOut, List<FleetNode> nodes, String path, ResponseDecoder<T> decoder,
                        Duration timeout, int maxInFlight, Consumer<NodeResult<T>> sink, PrintWriter err,
                        boolean verbose) throws InterruptedException {
        run(fanOut, nodes, FanOut.Request.get(path), decoder, timeout, maxInFlight, sink, err, verbose);
    }

    static <T> void run(FanOut fanOut, List<FleetNode> nodes, FanOut.Request request, ResponseDecoder<T> decoder,
                        Duration timeout, int maxInFlight, Consumer<NodeResult<T>> sink, PrintWriter err,
                        boolean verbose) throws InterruptedException {
        long t0 = System.nanoTime();
        if (verbose) {
            err.printf("kiln: %s on %d node%s (timeout %d ms, at most %d in flight)%n", request, nodes.size(),
                    nodes.size() == 1 ? "" : "s", timeout.toMillis(), maxInFlight);
            err.flush();
        }
        FanOut.Progress progress = verbose ? (done, total) -> {
            err.printf("kiln: %d/%d nodes answered%n", done, total);
            err.flush();
        } : null;
        fanOut.run(nodes, request, decoder, timeout, maxInFlight, sink, progress);
        if (verbose) {
            err.printf("kiln: %d node%s answered in %d ms%n", nodes.size(), nodes.size() == 1 ? "" : "s",
                    (System.nanoTime() - t0) / 1_000_000);
            err.flush();
        }
    }
}
