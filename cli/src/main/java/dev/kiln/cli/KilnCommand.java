package dev.kiln.cli;

import dev.kiln.cli.db.HistoryCommand;
import dev.kiln.protocol.ProtocolVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code kiln}: the root of the command tree. Its options are inherited by every subcommand. */
@Command(name = "kiln", mixinStandardHelpOptions = true, versionProvider = KilnCommand.Version.class,
        header = "Kiln: bring racks of NVIDIA GPU servers from cabled to accepted for production.",
        description = {"Talks to the kiln-agent on every node listed in a fleet file, many at once, and reports "
                + "per node. Data goes to stdout (-o json|jsonl for scripts), diagnostics to stderr.",
                "", "'kiln check' judges each node against its golden spec (docs/spec-file.md; 'kiln spec' "
                + "captures, lints and lists specs); 'kiln inventory --diff' shows what differs across the fleet.",
                "", "New here? Run 'kiln demo': it starts a simulated fleet with a few faults and walks through it."},
        subcommands = {StatusCommand.class, InventoryCommand.class, CheckCommand.class, BurninCommand.class,
                FabricCommand.class, BringupCommand.class, SpecCommand.class, HistoryCommand.class,
                ReportCommand.class, DemoCommand.class, dev.kiln.cli.pki.PkiCommand.class,
                VersionCommand.class, CompletionCommand.class, CommandLine.HelpCommand.class})
public final class KilnCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--errors", scope = ScopeType.INHERIT,
            description = "Print the stack trace of an error, not just its message.")
    boolean errors;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Diagnostics on stderr: timing, progress, stack traces.")
    boolean verbose;

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        cl.getErr().println("kiln: missing command");
        cl.usage(cl.getErr());
        return ExitCodes.USAGE;
    }

    /** Whether {@code -v}/{@code --verbose} was given anywhere on the command line. */
    static boolean verbose(CommandSpec spec) {
        return matched(spec, "--verbose");
    }

    /** Whether stack traces were asked for ({@code --errors} or {@code -v}). */
    static boolean traces(CommandSpec spec) {
        return matched(spec, "--errors") || matched(spec, "--verbose");
    }

    private static boolean matched(CommandSpec spec, String option) {
        ParseResult pr = spec.root().commandLine().getParseResult();
        for (; pr != null; pr = pr.subcommand()) {
            if (pr.hasMatchedOption(option)) {
                return true;
            }
        }
        return false;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"kiln " + ProtocolVersion.KILN_VERSION + " (protocol schema "
                    + ProtocolVersion.SCHEMA_VERSION + ")",
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
