package dev.kiln.agent.cli;

import io.quarkus.runtime.annotations.QuarkusMain;
import picocli.CommandLine;

/**
 * Entry point of {@code kiln-agent}. Subcommands other than {@code serve} run in plain Java and
 * exit without booting Quarkus; {@code serve} (the default) hands over to Quarkus.
 */
@QuarkusMain
public final class AgentMain {
    private AgentMain() {
    }

    public static void main(String... args) {
        System.exit(commandLine().execute(withDefaultSubcommand(args)));
    }

    /** No subcommand means {@code serve}, so {@code kiln-agent --simulate hgx-h100} works as systemd expects. */
    static String[] withDefaultSubcommand(String[] args) {
        if (args.length == 0 || args[0].startsWith("-") && !java.util.Set.of("-h", "--help", "-V", "--version")
                .contains(args[0])) {
            String[] out = new String[args.length + 1];
            out[0] = "serve";
            System.arraycopy(args, 0, out, 1, args.length);
            return out;
        }
        return args;
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new AgentCommand());
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
                    || e instanceof dev.kiln.nvml.sim.FaultFileException
                    || e instanceof dev.kiln.protocol.spec.SpecFileException
                    || e instanceof java.io.UncheckedIOException) {
                commandLine.getErr().println("kiln-agent: " + e.getMessage());
                return 2;
            }
            commandLine.getErr().println("kiln-agent: internal error: " + e);
            e.printStackTrace(commandLine.getErr());
            return 1;
        });
        return cl;
    }
}
