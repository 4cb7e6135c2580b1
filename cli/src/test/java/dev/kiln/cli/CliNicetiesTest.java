package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.cli.docs.ManPages;
import dev.kiln.protocol.ProtocolVersion;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code kiln version}, {@code kiln completion bash|zsh} and the man pages generated from the command tree. */
class CliNicetiesTest {
    /** Every command's page name ({@code kiln-spec-lint}), walking the real tree, help excluded. */
    private static List<String> everyCommand() {
        List<String> names = new ArrayList<>();
        walk(KilnCli.commandLine(), names);
        return names;
    }

    private static void walk(CommandLine cl, List<String> into) {
        if (cl.getCommand() instanceof CommandLine.HelpCommand) {
            return;
        }
        String name = cl.getCommandSpec().qualifiedName("-");
        if (!into.contains(name)) {
            into.add(name);
        }
        cl.getSubcommands().values().forEach(sub -> walk(sub, into));
    }

    @Test
    void versionPrintsTheProjectVersionCommitBuildTimeAndJava() throws Exception {
        Kiln.Run r = Kiln.run("version");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.out()).startsWith("kiln " + ProtocolVersion.KILN_VERSION + "\n")
                .contains("Commit", "Built", "Protocol schema  v" + ProtocolVersion.SCHEMA_VERSION,
                        "Java             " + Runtime.version().feature());
        assertThat(ProtocolVersion.KILN_VERSION).as("the Maven version, filtered in").matches("\\d+\\.\\d+\\.\\d+.*");

        JsonNode json = Kiln.run("version", "-o", "json").json();
        assertThat(json.get("version").asText()).isEqualTo(ProtocolVersion.KILN_VERSION);
        assertThat(json.get("buildTime").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ|unknown");
        assertThat(json.get("java").asText()).isEqualTo(Runtime.version().toString());
        String commit = json.get("commit").asText();
        if (Files.isDirectory(Path.of("..", ".git")) || Files.isRegularFile(Path.of("..", ".git"))) {
            // Built from this checkout by Maven: git-commit-id knew the commit.
            assertThat(commit).matches("[0-9a-f]{7,40}");
            assertThat(json.get("buildTime").asText()).isNotEqualTo("unknown");
        } else {
            assertThat(commit).matches("[0-9a-f]{7,40}|unknown");
        }
        assertThat(r.out()).doesNotContain("${");
        assertThat(Kiln.run("version", "-o", "yaml").exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void bashCompletionNamesEverySubcommandAndIsValidBash(@TempDir Path dir) throws Exception {
        Kiln.Run r = Kiln.run("completion", "bash");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        String script = r.out();
        assertThat(script).contains("complete -F _complete_kiln");
        for (CommandLine sub : KilnCli.commandLine().getSubcommands().values()) {
            assertThat(script).as("top-level command %s", sub.getCommandName()).contains(sub.getCommandName());
        }
        assertThat(script).contains("version", "completion", "--output", "table", "jsonl");
        Path bash = Path.of("/bin/bash");
        if (Files.isExecutable(bash)) {
            Path file = dir.resolve("kiln-completion.bash");
            Files.writeString(file, script);
            Process p = new ProcessBuilder(bash.toString(), "-n", file.toString()).redirectErrorStream(true).start();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        }
    }

    @Test
    void zshCompletionIsTheBashScriptThroughBashcompinit() {
        Kiln.Run r = Kiln.run("completion", "zsh");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.out()).startsWith("# kiln completion for zsh").contains("bashcompinit", "_complete_kiln");
        Kiln.Run bad = Kiln.run("completion", "fish");
        assertThat(bad.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("bash", "zsh");
    }

    @Test
    void aManPageForEveryCommandWithItsOptionsAndExitCodes(@TempDir Path dir) throws Exception {
        Map<String, CommandSpec> commands = ManPages.commands();
        assertThat(commands.keySet()).containsExactlyInAnyOrderElementsOf(everyCommand());
        assertThat(commands).containsKeys("kiln", "kiln-check", "kiln-version", "kiln-completion", "kiln-spec-lint");

        List<Path> pages = ManPages.writeRoff(dir);
        assertThat(pages).hasSize(commands.size());
        for (Path page : pages) {
            String name = page.getFileName().toString().replace(".1", "");
            String text = Files.readString(page);
            assertThat(text).as(name).contains(".TH \"" + name.toUpperCase() + "\" \"1\"", ".SH NAME\n"
                    + name.replace("-", "\\-") + " \\- ", ".SH SYNOPSIS");
            // whatis(1) and lintian need a one-line summary after the dash (the command's header).
            assertThat(text.lines().dropWhile(l -> !l.equals(".SH NAME")).skip(1).findFirst().orElseThrow())
                    .as(name + ": NAME line").matches(".* \\\\- \\S.*");
            assertThat(text.lines().filter(l -> l.startsWith(".") && !l.startsWith(".\\\""))
                    .map(l -> l.split(" ")[0])).as(name + ": only the man macros used")
                    .allMatch(m -> List.of(".TH", ".SH", ".TP", ".PP", ".br", ".nf", ".fi").contains(m));
            CommandSpec spec = commands.get(name);
            spec.options().stream().filter(o -> !o.hidden()).forEach(o ->
                    assertThat(text).as(name).contains("\\fB" + o.longestName().replace("-", "\\-") + "\\fR"));
        }
        String root = Files.readString(dir.resolve("kiln.1"));
        assertThat(root).contains(".SH COMMANDS", "\\fBcheck\\fR", "\\fBversion\\fR", ".SH EXIT STATUS",
                "\\fBkiln\\-check\\fR(1)");
        assertThat(Files.readString(dir.resolve("kiln-check.1"))).contains(".SH SEE ALSO\n\\fBkiln\\fR(1)");

        Path groff = Path.of("/usr/bin/groff");
        Assumptions.assumeTrue(Files.isExecutable(groff), "groff not installed: pages not rendered");
        for (Path page : pages) {
            Process p = new ProcessBuilder(groff.toString(), "-man", "-Tutf8", "-ww", "-z", page.toString())
                    .redirectErrorStream(true).start();
            String warnings = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(warnings).as("groff warnings for %s", page.getFileName()).isBlank();
        }
    }

    @Test
    void theAgentHasPagesToo(@TempDir Path dir) throws Exception {
        Map<String, CommandSpec> agent = ManPages.agentCommands();
        assertThat(agent.keySet()).containsExactlyInAnyOrder("kiln-agent", "kiln-agent-serve",
                "kiln-agent-inventory", "kiln-agent-check", "kiln-agent-simulate-fleet"); // not the hidden worker
        List<Path> pages = ManPages.writeRoff(dir, agent);
        String root = Files.readString(dir.resolve("kiln-agent.1"));
        assertThat(root).contains(".SH NAME\nkiln\\-agent \\- Kiln's per\\-node agent", ".SH COMMANDS",
                "\\fBkiln\\-agent\\-serve\\fR(1)", "Exit codes: 0 ok");
        String serve = Files.readString(dir.resolve("kiln-agent-serve.1"));
        assertThat(serve).contains("\\fB\\-\\-token\\-file\\fR", "\\fB\\-\\-tls\\-cert\\fR",
                ".SH SEE ALSO\n\\fBkiln\\-agent\\fR(1)");
        assertThat(pages).hasSize(agent.size());
    }
}
