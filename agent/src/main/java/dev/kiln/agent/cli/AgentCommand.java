package dev.kiln.agent.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "kiln-agent", mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        header = "Kiln's per-node agent: GPU, host and InfiniBand inventory over an authenticated HTTP/JSON API.",
        description = {"Without a subcommand, runs 'serve'."},
        subcommands = {ServeCommand.class, InventoryCommand.class, CheckCommand.class, SimulateFleetCommand.class,
                BurninWorkerCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 internal error, 2 bad usage or configuration, 3 a check failed or could not run (check)."})
final class AgentCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
