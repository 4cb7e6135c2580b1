package dev.kiln.cli.docs;

import dev.kiln.agent.cli.AgentMain;
import dev.kiln.cli.BuildInfo;
import dev.kiln.cli.KilnCli;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Man pages for {@code kiln} and every subcommand, generated from the picocli command definitions, so
 * they cannot disagree with {@code --help}. Two forms, both written at build time by the cli module's
 * {@code process-classes} phase into {@code target/man/}:
 * <ul>
 *   <li>{@code man1/kiln-*.1}: roff, written here with no other tool, ready for {@code man -l} or
 *       {@code /usr/share/man/man1};</li>
 *   <li>{@code adoc/kiln-*.adoc}: AsciiDoc from picocli-codegen's {@code ManPageGenerator}, for
 *       {@code asciidoctor -b manpage} or HTML where asciidoctor is installed (it is not on the build machines).</li>
 * </ul>
 * The page of {@code kiln spec lint} is {@code kiln-spec-lint.1}, as git names {@code git-remote-add}. The
 * agent's pages ({@code kiln-agent.1}, {@code kiln-agent-serve.1}, ...) come from its own command tree, written
 * beside them; packaging puts them in the kiln-agent package.
 */
public final class ManPages {
    private ManPages() {
    }

    /** {@code ManPages OUTPUT_DIR}: writes {@code OUTPUT_DIR/man1/*.1} and, with picocli-codegen present, {@code adoc/}. */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "target/man");
        List<Path> roff = new ArrayList<>(writeRoff(out.resolve("man1")));
        roff.addAll(writeRoff(out.resolve("man1"), agentCommands()));
        int adoc;
        try {
            adoc = writeAsciiDoc(out.resolve("adoc"));
        } catch (IOException e) {
            // The roff pages are the product; the AsciiDoc is a convenience, so its failure must not fail the build.
            System.err.println("[WARNING] kiln man pages: no AsciiDoc pages: " + e.getMessage());
            adoc = -1;
        }
        System.out.println("kiln man pages: " + roff.size() + " roff pages in " + out.resolve("man1")
                + (adoc >= 0 ? ", " + adoc + " AsciiDoc pages in " + out.resolve("adoc") : ""));
    }

    /** Every command in the tree (help excluded), root first, by its page name ({@code kiln-spec-lint}). */
    public static Map<String, CommandSpec> commands() {
        Map<String, CommandSpec> all = new LinkedHashMap<>();
        collect(KilnCli.commandLine(), all);
        return all;
    }

    /** The agent's commands ({@code kiln-agent}, {@code kiln-agent-serve}, ...), hidden ones (the worker) left out. */
    public static Map<String, CommandSpec> agentCommands() {
        Map<String, CommandSpec> all = new LinkedHashMap<>();
        collect(AgentMain.commandLine(), all);
        return all;
    }

    private static void collect(CommandLine cl, Map<String, CommandSpec> into) {
        CommandSpec spec = cl.getCommandSpec();
        if (spec.usageMessage().hidden() || cl.getCommand() instanceof CommandLine.HelpCommand) {
            return;
        }
        into.putIfAbsent(pageName(spec), spec);
        for (CommandLine sub : cl.getSubcommands().values()) {
            collect(sub, into);
        }
    }

    static String pageName(CommandSpec spec) {
        return spec.qualifiedName("-");
    }

    /** Writes one roff page per kiln command; returns their paths. */
    public static List<Path> writeRoff(Path dir) throws IOException {
        return writeRoff(dir, commands());
    }

    /** Writes one roff page per command of {@code commands}; returns their paths. */
    public static List<Path> writeRoff(Path dir, Map<String, CommandSpec> commands) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        String version = BuildInfo.current().version();
        for (Map.Entry<String, CommandSpec> e : commands.entrySet()) {
            Path page = dir.resolve(e.getKey() + ".1");
            Files.writeString(page, roff(e.getValue(), version), StandardCharsets.UTF_8);
            written.add(page);
        }
        return written;
    }

    /**
     * picocli-codegen's AsciiDoc pages; -1 when picocli-codegen is not on the class path (it is a build-time
     * dependency only, not in kiln.jar).
     */
    static int writeAsciiDoc(Path dir) throws IOException {
        Class<?> generator;
        try {
            generator = Class.forName("picocli.codegen.docgen.manpage.ManPageGenerator");
        } catch (ClassNotFoundException e) {
            return -1;
        }
        Files.createDirectories(dir);
        CommandSpec root = KilnCli.commandLine().getCommandSpec();
        try {
            // By reflection: picocli-codegen is on the build's class path only (as a compile dependency its
            // annotation processor would run on every compile and its classes would land in kiln.jar).
            generator.getMethod("generateManPage", java.io.File.class, java.io.File.class, boolean[].class,
                    boolean.class, CommandSpec[].class).invoke(null, dir.toFile(), null, new boolean[0], true,
                    new CommandSpec[]{root});
        } catch (ReflectiveOperationException e) {
            Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite && ite.getCause() != null
                    ? ite.getCause() : e;
            throw new IOException("picocli-codegen's ManPageGenerator failed (" + cause + "); a description with "
                    + "a lone '%' (write '%%') is the usual cause", cause);
        }
        try (var files = Files.list(dir)) {
            return (int) files.filter(p -> p.toString().endsWith(".adoc")).count();
        }
    }

    /** The roff text of one command's page. */
    public static String roff(CommandSpec spec, String version) {
        StringBuilder b = new StringBuilder();
        String page = pageName(spec);
        b.append(".\\\" Generated from kiln's picocli command definitions (dev.kiln.cli.docs.ManPages); do not edit.\n");
        b.append(".TH \"").append(page.toUpperCase(java.util.Locale.ROOT)).append("\" \"1\" \"\" \"kiln ")
                .append(text(version)).append("\" \"Kiln Manual\"\n");
        b.append(".SH NAME\n").append(escape(page)).append(" \\- ").append(text(firstOr(spec.usageMessage().header(),
                ""))).append('\n');

        CommandLine.Help help = new CommandLine.Help(spec, CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        b.append(".SH SYNOPSIS\n.nf\n");
        for (String line : help.synopsis(0).stripTrailing().split("\n")) {
            b.append(text(line)).append('\n');
        }
        b.append(".fi\n");

        String[] description = spec.usageMessage().description();
        String[] footer = java.util.Arrays.stream(spec.usageMessage().footer()).filter(l -> !l.isBlank())
                .toArray(String[]::new);
        if (description.length > 0 || footer.length > 0) {
            b.append(".SH DESCRIPTION\n");
            paragraphs(b, description);
            if (footer.length > 0) {
                if (description.length > 0) {
                    b.append(".PP\n");
                }
                paragraphs(b, footer);
            }
        }

        List<OptionSpec> options = spec.options().stream().filter(o -> !o.hidden()).toList();
        if (!options.isEmpty()) {
            b.append(".SH OPTIONS\n");
            for (OptionSpec o : options) {
                b.append(".TP\n");
                List<String> names = new ArrayList<>();
                for (String n : o.names()) {
                    names.add("\\fB" + escape(n) + "\\fR");
                }
                String label = o.typeInfo().isBoolean() && o.arity().max() == 0 ? ""
                        : "=\\fI" + escape(plain(o.paramLabel())) + "\\fR";
                b.append(String.join(", ", names)).append(label).append('\n');
                describe(b, o);
            }
        }

        List<PositionalParamSpec> positionals = spec.positionalParameters().stream().filter(p -> !p.hidden()).toList();
        if (!positionals.isEmpty()) {
            b.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec p : positionals) {
                b.append(".TP\n\\fI").append(escape(plain(p.paramLabel()))).append("\\fR\n");
                describe(b, p);
            }
        }

        List<CommandLine> subs = spec.subcommands().values().stream().distinct()
                .filter(c -> !c.getCommandSpec().usageMessage().hidden()).toList();
        if (!subs.isEmpty()) {
            b.append(".SH COMMANDS\n");
            for (CommandLine sub : subs) {
                CommandSpec s = sub.getCommandSpec();
                b.append(".TP\n\\fB").append(escape(s.name())).append("\\fR\n")
                        .append(text(firstOr(s.usageMessage().header(), ""))).append('\n');
                if (!(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                    b.append("See \\fB").append(escape(pageName(s))).append("\\fR(1).\n");
                }
            }
        }

        Map<String, String> exits = spec.usageMessage().exitCodeList();
        if (!exits.isEmpty()) {
            b.append(".SH EXIT STATUS\n");
            for (Map.Entry<String, String> e : exits.entrySet()) {
                b.append(".TP\n\\fB").append(escape(e.getKey().trim())).append("\\fR\n")
                        .append(text(e.getValue().trim())).append('\n');
            }
        }

        List<String> seeAlso = new ArrayList<>();
        if (spec.parent() != null) {
            seeAlso.add("\\fB" + escape(pageName(spec.parent())) + "\\fR(1)");
        }
        for (CommandLine sub : subs) {
            if (!(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                seeAlso.add("\\fB" + escape(pageName(sub.getCommandSpec())) + "\\fR(1)");
            }
        }
        if (!seeAlso.isEmpty()) {
            b.append(".SH SEE ALSO\n").append(String.join(", ", seeAlso)).append('\n');
        }
        return b.toString();
    }

    private static void describe(StringBuilder b, ArgSpec arg) {
        String[] lines = arg.renderedDescription();
        if (lines.length == 0) {
            return;
        }
        // An option's description is one paragraph that picocli wraps; keep its explicit lines as lines.
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) {
                b.append(".br\n");
            }
            b.append(text(lines[i])).append('\n');
        }
    }

    /** Description paragraphs: an empty element separates paragraphs; indented lines stay verbatim. */
    private static void paragraphs(StringBuilder b, String[] lines) {
        boolean verbatim = false;
        boolean first = true;
        for (String raw : lines) {
            for (String line : format(raw).split("\n", -1)) {
                boolean indented = line.startsWith("  ");
                if (line.isBlank()) {
                    if (verbatim) {
                        b.append(".fi\n");
                        verbatim = false;
                    }
                    b.append(".PP\n");
                    first = true;
                    continue;
                }
                if (indented && !verbatim) {
                    b.append(".nf\n");
                    verbatim = true;
                } else if (!indented && verbatim) {
                    b.append(".fi\n");
                    verbatim = false;
                }
                if (!first && !verbatim) {
                    b.append(".br\n");
                }
                b.append(text(line)).append('\n');
                first = false;
            }
        }
        if (verbatim) {
            b.append(".fi\n");
        }
    }

    private static String firstOr(String[] lines, String fallback) {
        return lines.length == 0 ? fallback : format(lines[0]);
    }

    /** picocli's {@code %n} and {@code %%}, and its {@code @|style ...|@} markup, as plain text. */
    private static String format(String s) {
        return plain(s.replace("%n", "\n").replace("%%", "%"));
    }

    private static String plain(String s) {
        return CommandLine.Help.Ansi.OFF.string(s);
    }

    /** Running text: escaped, line breaks kept as {@code .br}, and no line starting with a control character. */
    static String text(String s) {
        StringBuilder b = new StringBuilder();
        String[] lines = format(s).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) {
                b.append("\n.br\n");
            }
            String e = escape(lines[i]);
            b.append(e.startsWith(".") || e.startsWith("'") ? "\\&" + e : e);
        }
        return b.toString();
    }

    /** roff escapes: backslash, and '-' as a real minus so options copy and search correctly. */
    static String escape(String s) {
        return s.replace("\\", "\\e").replace("-", "\\-");
    }
}
