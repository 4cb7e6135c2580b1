package dev.kiln.cli;

import dev.kiln.cli.fanout.FanOut;
import dev.kiln.cli.fanout.NodeResult;
import dev.kiln.cli.fleet.Fleet;
import dev.kiln.cli.fleet.FleetFile;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.cli.output.Table;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.spec.BuiltinSpecs;
import dev.kiln.protocol.spec.NodeSpec;
import dev.kiln.protocol.spec.SpecCapture;
import dev.kiln.protocol.spec.SpecFile;
import dev.kiln.protocol.spec.SpecLint;
import dev.kiln.protocol.spec.SpecProblem;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/** {@code kiln spec}: golden node specs: capture one from a good node, lint, show and list the built-ins. */
@Command(name = "spec", mixinStandardHelpOptions = true,
        header = "Work with golden node specs: capture, lint, show, list.",
        description = {"A spec file (YAML, docs/spec-file.md) says what one SKU of GPU server is supposed to be: "
                + "GPU count and model, VBIOS, PCIe and NVLink links, ECC, driver range, InfiniBand, host. "
                + "'kiln check' judges nodes against it; the fleet file says which spec each rack or node uses."},
        subcommands = {SpecCommand.Capture.class, SpecCommand.Lint.class, SpecCommand.Show.class,
                SpecCommand.ListSpecs.class})
final class SpecCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        cl.getErr().println("kiln spec: missing command (capture, lint, show or list)");
        cl.usage(cl.getErr());
        return ExitCodes.USAGE;
    }

    /** {@code kiln spec capture --node N}: a spec from a known-good node, by majority over its GPUs. */
    @Command(name = "capture", mixinStandardHelpOptions = true,
            header = "Write a spec from a known-good node's inventory.",
            description = {"Reads GET /v1/inventory (fresh) from one node and writes a spec of what it is: each "
                    + "expectation is what most of its GPUs (or ports) show, so one odd GPU does not become the "
                    + "golden value. Where GPUs disagreed, a warning on stderr (and a comment in the file) says "
                    + "which value was taken and what else was seen: look before you trust it.",
                    "",
                    "The YAML goes to stdout, or to FILE with -o. Then: 'kiln spec lint FILE', put 'spec: FILE' "
                    + "in the fleet file, 'kiln check'. Exit 4 when the node cannot be read; 3 when NVML is "
                    + "unavailable on it (nothing to capture)."})
    static final class Capture implements Callable<Integer> {
        /** What the spec format accepts as a name (docs/spec-file.md). */
        private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

        @Spec
        CommandSpec spec;

        @Option(names = "--fleet", paramLabel = "FILE", defaultValue = "fleet.yaml",
                description = "Fleet file (default: ./${DEFAULT-VALUE}).")
        Path fleetFile = Path.of("fleet.yaml");

        @Option(names = "--node", paramLabel = "NODE", required = true, description = "The known-good node to read.")
        String node;

        @Option(names = "--name", paramLabel = "NAME",
                description = "The spec's name (default: NODE-captured); letters, digits, '.', '_', '-'.")
        String name;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the spec here instead of stdout.")
        Path output;

        @Option(names = "--force", description = "Overwrite the -o file if it exists.")
        boolean force;

        @Option(names = "--insecure", description = "Do not verify the agent's TLS certificate or host name (warns).")
        boolean insecure;

        @Option(names = "--timeout", paramLabel = "DURATION", converter = FanOutOptions.DurationConverter.class,
                description = "Request timeout (default: the fleet file's defaults.timeoutMs, else 30s).")
        Duration timeout;

        @Override
        public Integer call() throws InterruptedException, IOException {
            PrintWriter err = spec.commandLine().getErr();
            String specName = name != null ? name : defaultName(node);
            if (!NAME.matcher(specName).matches()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--name '" + specName + "' is not a "
                        + "valid spec name: use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit");
            }
            if (output != null && Files.exists(output) && !force) {
                throw new CommandLine.ParameterException(spec.commandLine(), output + " already exists; pass --force "
                        + "to overwrite it, or choose another -o FILE");
            }
            Fleet loaded = FleetFile.load(fleetFile);
            if (insecure) {
                err.println("kiln: warning: --insecure: the agent's TLS certificate and host name are not verified; "
                        + "anyone between here and the agent can pose as it and read the bearer token");
                err.flush();
            }
            Fleet fleet = insecure ? loaded.insecure() : loaded;
            FleetNode target = fleet.nodes().stream().filter(n -> n.name().equals(node)).findFirst()
                    .orElseThrow(() -> new CommandLine.ParameterException(spec.commandLine(), "unknown node '" + node
                            + "': not in " + fleet.source() + " (" + fleet.nodes().size() + " nodes: "
                            + FleetOptions.abbreviate(fleet.nodes().stream().map(FleetNode::name).toList()) + ")"));
            List<NodeResult<InventoryDocument>> results = new ArrayList<>();
            try (FanOut fanOut = FanOut.start()) {
                FleetQuery.run(fanOut, List.of(target), Agents.INVENTORY_PATH + "?fresh=true", Agents.INVENTORY,
                        timeout != null ? timeout : fleet.timeout().orElse(CheckCommand.DEFAULT_TIMEOUT), 1,
                        results::add, err, KilnCommand.verbose(spec));
            }
            NodeResult<InventoryDocument> r = results.get(0);
            String qname = spec.qualifiedName();
            if (r.body() == null) {
                err.println(qname + ": " + node + ": " + (r.reachable() ? "error: " : "unreachable: ")
                        + r.error().message());
                err.flush();
                return ExitCodes.UNREACHABLE;
            }
            InventoryDocument inv = r.body();
            if (!inv.nvml().available()) {
                err.println(qname + ": " + node + ": NVML unavailable (" + Agents.orUnknown(inv.nvml().reason())
                        + "); there are no GPUs to capture a spec from");
                err.flush();
                return ExitCodes.CHECK_FAILED;
            }
            SpecCapture.Captured captured = SpecCapture.capture(specName, inv);
            String source = output == null ? "<captured>" : output.toString();
            String yaml = header(captured, node) + SpecFile.toYaml(captured.spec());
            List<SpecProblem> problems = SpecLint.lint(source, new StringReader(yaml));
            if (SpecLint.hasErrors(problems)) {
                throw new IllegalStateException("the captured spec does not parse: " + problems);
            }
            for (String d : captured.deviations()) {
                err.println(qname + ": warning: " + d);
            }
            if (output == null) {
                spec.commandLine().getOut().print(yaml);
                spec.commandLine().getOut().flush();
            } else {
                write(output, yaml);
            }
            NodeSpec.GpuSpec g = captured.spec().gpu();
            err.println(qname + ": " + (output == null ? "captured" : "wrote") + " spec '" + specName + "' ("
                    + g.count() + "x " + Agents.orUnknown(g.model()) + ") from " + node
                    + (output == null ? "" : " to " + output) + (captured.deviations().isEmpty() ? ""
                    : "; " + captured.deviations().size() + " warning" + (captured.deviations().size() == 1 ? "" : "s")
                    + " above: review the file before using it"));
            long unset = problems.stream().filter(p -> !p.isError()).count();
            if (unset > 0) {
                err.println(qname + ": 'kiln spec lint " + (output == null ? "FILE" : output) + "' has " + unset
                        + " note" + (unset == 1 ? "" : "s") + " on it (expectations not set, so their checks SKIP)");
            }
            err.flush();
            return ExitCodes.OK;
        }

        static String defaultName(String node) {
            String n = node.replaceAll("[^A-Za-z0-9._-]", "-");
            n = n.replaceFirst("^[^A-Za-z0-9]+", "");
            n = (n.isEmpty() ? "node" : n) + "-captured";
            return n.length() > 63 ? n.substring(0, 63) : n;
        }

        /** Comments on top of the file: where it came from, and every deviation, for the reviewer. */
        private static String header(SpecCapture.Captured c, String node) {
            StringBuilder b = new StringBuilder("# Captured by 'kiln spec capture --node ").append(node)
                    .append("'. Review it before checking other nodes against it (docs/spec-file.md).\n");
            for (String d : c.deviations()) {
                b.append("# warning: ").append(d.replace('\n', ' ')).append('\n');
            }
            return b.toString();
        }

        /** Through a temporary file in the same directory, so a half-written spec never appears. */
        private static void write(Path file, String text) throws IOException {
            Path abs = file.toAbsolutePath();
            Path dir = abs.getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            Path tmp = Files.createTempFile(dir, "." + abs.getFileName(), ".tmp");
            try {
                Files.writeString(tmp, text, StandardCharsets.UTF_8);
                try {
                    Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** {@code kiln spec lint FILE...}: every problem of each file, errors and warnings. */
    @Command(name = "lint", mixinStandardHelpOptions = true,
            header = "Report every problem of spec files, naming line and field.",
            description = {"Prints one line per problem on stdout: FILE:LINE: SEVERITY: FIELD: MESSAGE (no LINE "
                    + "when unknown, no FIELD when the problem is not about one field). Errors make a spec unusable; "
                    + "warnings mark a spec that parses but probably does not say what its author meant (an "
                    + "expectation left out, so its check will SKIP). Exit 2 when any file has an error; warnings "
                    + "alone exit 0."})
    static final class Lint implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "FILE", arity = "1..*", description = "Spec files to lint.")
        List<Path> files = new ArrayList<>();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            int errors = 0;
            int warnings = 0;
            for (Path f : files) {
                List<SpecProblem> problems = SpecLint.lint(f);
                for (SpecProblem p : problems) {
                    out.println(format(p));
                    if (p.isError()) {
                        errors++;
                    } else {
                        warnings++;
                    }
                }
            }
            out.flush();
            err.println(spec.qualifiedName() + ": " + files.size() + (files.size() == 1 ? " file: " : " files: ")
                    + errors + (errors == 1 ? " error, " : " errors, ") + warnings
                    + (warnings == 1 ? " warning" : " warnings"));
            err.flush();
            return errors > 0 ? ExitCodes.USAGE : ExitCodes.OK;
        }

        /** {@code h100.yaml:7: error: gpu.pcie.generation: field 'gpu.pcie.generation' must be ...}. */
        static String format(SpecProblem p) {
            StringBuilder b = new StringBuilder(p.source());
            if (p.line() > 0) {
                b.append(':').append(p.line());
            }
            b.append(": ").append(p.severity().name().toLowerCase(Locale.ROOT)).append(": ");
            if (p.field() != null) {
                b.append(p.field()).append(": ");
            }
            return b.append(p.message()).toString();
        }
    }

    /** {@code kiln spec show NAME}: a built-in spec's file, comments included. */
    @Command(name = "show", mixinStandardHelpOptions = true,
            header = "Print a built-in spec as a spec file.",
            description = {"The YAML of a built-in spec, comments included: a starting point for your own "
                    + "('kiln spec show hgx-h100 > my-sku.yaml'). 'kiln spec list' names them."})
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "A built-in spec: ${COMPLETION-CANDIDATES}.",
                completionCandidates = BuiltinNames.class)
        String name;

        @Override
        public Integer call() {
            if (BuiltinSpecs.find(name).isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "unknown built-in spec '" + name
                        + "'; built-in specs: " + String.join(", ", BuiltinSpecs.names()));
            }
            PrintWriter out = spec.commandLine().getOut();
            out.print(BuiltinSpecs.yaml(name));
            out.flush();
            return ExitCodes.OK;
        }
    }

    /** {@code kiln spec list}: the built-in specs. */
    @Command(name = "list", mixinStandardHelpOptions = true, header = "List the built-in specs.",
            description = {"One row per built-in spec (one per simulator preset): name, GPUs and description."})
    static final class ListSpecs implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Table t = new Table("NAME", "GPUS", "DESCRIPTION");
            for (String n : BuiltinSpecs.names()) {
                NodeSpec s = BuiltinSpecs.get(n);
                NodeSpec.GpuSpec g = s.gpu();
                t.add(n, g == null ? null : g.count() + "x " + g.model(), s.description());
            }
            t.print(spec.commandLine().getOut());
            return ExitCodes.OK;
        }
    }

    static final class BuiltinNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return BuiltinSpecs.names().iterator();
        }
    }
}
