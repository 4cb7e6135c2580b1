package dev.kiln.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code kiln completion bash|zsh}: a completion script generated from the command tree itself (picocli's
 * {@link AutoComplete}), so it never falls behind the commands. The script is bash's; zsh runs it through
 * {@code bashcompinit}, which the script loads itself when it finds it is in zsh.
 */
@Command(name = "completion", mixinStandardHelpOptions = true,
        header = "Print a shell completion script for kiln (bash or zsh).",
        description = {"Writes the script to stdout. Load it in the current shell, or install it:",
                "",
                "  bash:  source <(kiln completion bash)",
                "         kiln completion bash > /etc/bash_completion.d/kiln",
                "  zsh:   source <(kiln completion zsh)      (e.g. in ~/.zshrc)",
                "",
                "Completes subcommands, options and enum values (-o table|json|jsonl, ...)."})
final class CompletionCommand implements Callable<Integer> {
    enum Shell { bash, zsh }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SHELL", description = "${COMPLETION-CANDIDATES}")
    Shell shell;

    @Override
    public Integer call() {
        String script = AutoComplete.bash("kiln", spec.root().commandLine());
        PrintWriter out = spec.commandLine().getOut();
        if (shell == Shell.zsh) {
            // The script enables bashcompinit itself when $ZSH_VERSION is set; say so for whoever reads it.
            out.print("# kiln completion for zsh: a bash completion script that zsh runs through bashcompinit.\n"
                    + "# Load with: source <(kiln completion zsh)\n");
        }
        out.print(script);
        out.flush();
        return ExitCodes.OK;
    }
}
