package dev.kiln.cli.db;

import dev.kiln.cli.OutputOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * {@code kiln history --node N}: a node's RMA trail from the results database. This class only parses;
 * {@link HistoryReport} opens the database, so building the command tree (every other command, and
 * {@code --help}) never loads JDBC drivers or Flyway.
 */
@Command(name = "history", mixinStandardHelpOptions = true,
        header = "Show every run, stage attempt, retest and verdict recorded for a node (its RMA trail).",
        description = {"Reads the results database that 'kiln bringup' writes: every run that touched the node, "
                + "each stage attempt (reachable, inventory, health, burn-in, gpu-fabric, network-fabric) with its "
                + "result and agent job, hooks, leases taken over from dead runs, and each verdict (accepted, or "
                + "quarantined with reasons, actions and GPU serials to RMA), oldest first. Times are UTC, from the "
                + "database's clock.",
                "",
                "The database: --db, else $KILN_DB, else $KILN_HOME/kiln.db, else ~/.local/state/kiln/kiln.db "
                + "(docs/results-db.md). A node with no records prints nothing and exits 0; a database that cannot "
                + "be used (bad URL, server unreachable, not a Kiln database, written by a newer Kiln) exits 2."})
public final class HistoryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--node", required = true, paramLabel = "NODE", description = "The node, as the fleet file names it.")
    String node;

    @Option(names = "--db", paramLabel = "JDBC-URL",
            description = "Results database: jdbc:sqlite:/path/kiln.db or jdbc:postgresql://host[:port]/database.")
    String db;

    @Mixin
    OutputOptions outputOptions;

    @Override
    public Integer call() {
        return HistoryReport.run(node, db, outputOptions.format(), spec.commandLine().getOut(),
                spec.commandLine().getErr());
    }
}
