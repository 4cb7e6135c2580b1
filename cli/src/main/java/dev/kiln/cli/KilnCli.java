package dev.kiln.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.PrintWriter;

/**
 * Builds the {@code kiln} command line and maps every failure to an exit code in one place
 * (see {@link ExitCodes}): parse errors and {@link UsageException}s are usage errors (short message,
 * synopsis, "See 'kiln cmd --help'"); anything else is an internal error. Stack traces only with
 * {@code --errors} or {@code -v}.
 */
public final class KilnCli {
    private KilnCli() {
    }

    /** The configured command tree; tests call {@code setOut}/{@code setErr} on it, then {@code execute}. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new KilnCommand());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler(KilnCli::onParameterError);
        cl.setExecutionExceptionHandler(KilnCli::onExecutionError);
        addExitCodeHelp(cl);
        return cl;
    }

    private static void addExitCodeHelp(CommandLine cl) {
        if (!(cl.getCommand() instanceof CommandLine.HelpCommand)) {
            cl.getCommandSpec().usageMessage()
                    .exitCodeListHeading("%nExit codes:%n")
                    .exitCodeList(ExitCodes.descriptions());
        }
        cl.getSubcommands().values().forEach(KilnCli::addExitCodeHelp);
    }

    static int onParameterError(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        String name = cmd.getCommandSpec().qualifiedName();
        err.println(name + ": " + ex.getMessage());
        UnmatchedArgumentException.printSuggestions(ex, err);
        CommandLine.Help help = cmd.getHelp();
        err.print(help.synopsisHeading() + help.synopsis(help.synopsisHeadingLength()));
        err.println("See '" + name + " --help'.");
        if (java.util.Arrays.stream(args).anyMatch(a -> a.equals("--errors") || a.equals("-v") || a.equals("--verbose"))) {
            ex.printStackTrace(err);
        }
        err.flush();
        return ExitCodes.USAGE;
    }

    static int onExecutionError(Exception ex, CommandLine cmd, ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        String name = cmd.getCommandSpec().qualifiedName();
        boolean traces = traces(cmd);
        if (ex instanceof UsageException) {
            err.println(name + ": " + ex.getMessage());
            err.println("See '" + name + " --help'.");
            if (traces) {
                ex.printStackTrace(err);
            }
            err.flush();
            return ExitCodes.USAGE;
        }
        if (ex instanceof InterruptedException) {
            err.println(name + ": interrupted");
            err.flush();
            return ExitCodes.INTERNAL;
        }
        err.println(name + ": internal error: " + ex + (traces ? "" : " (rerun with --errors for the stack trace)"));
        if (traces) {
            ex.printStackTrace(err);
        }
        err.flush();
        return ExitCodes.INTERNAL;
    }

    private static boolean traces(CommandLine cmd) {
        CommandSpec spec = cmd.getCommandSpec();
        try {
            return KilnCommand.traces(spec);
        } catch (RuntimeException e) {
            return false; // no parse result yet
        }
    }
}
