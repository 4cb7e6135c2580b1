package dev.kiln.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kiln.cli.fanout.FanOut;
import dev.kiln.cli.fleet.Fleet;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.cli.fleet.SpecRef;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.check.CheckRequest;
import dev.kiln.protocol.spec.CheckIds;
import dev.kiln.protocol.spec.SpecFileException;
import dev.kiln.protocol.spec.SpecProblem;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;

/** {@code kiln check}: every selected node against its golden spec, one verdict per node, then the findings. */
@Command(name = "check", mixinStandardHelpOptions = true,
        header = "Check the selected nodes against their golden spec: verdict per node, then every finding.",
        description = {"Sends POST /v1/checks to every selected node. Each node is checked against --spec if given, "
                + "else the spec the fleet file gives it (node, rack or defaults 'spec:'), else the agent's own "
                + "default (a simulated agent uses its preset's built-in spec; a real agent without one answers "
                + "400, shown on that node). kiln reads the spec here (a built-in name or a spec file) and sends "
                + "it inline, so the file you edited is the one the nodes are judged by.",
                "",
                "The table has one row per node: spec, verdict (worst result: ERROR > FAIL > WARN > PASS) and "
                + "counts. Then every finding that is not a PASS, each naming the node, the GPU (index, serial, "
                + "PCI bus id) or other subject, the check id, observed vs expected and what to do. SKIPs are "
                + "counted but listed only with --show-skips or -v. -o json prints each node's full report "
                + "(docs/schema/checks.schema.json) with its spec and verdict.",
                "",
                "Checks: a node whose verdict is FAIL or ERROR fails (exit 3). ERROR means a check could not run; "
                + "it is never counted as a pass. WARN alone exits 0."})
final class CheckCommand implements Callable<Integer> {
    /** A check reads the hardware and runs every check: slower than an inventory read. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    @Spec
    CommandSpec spec;

    @Mixin
    FleetOptions fleetOptions;

    @Mixin
    FanOutOptions fanOutOptions;

    @Mixin
    OutputOptions outputOptions;

    @Option(names = "--spec", paramLabel = "SPEC",
            description = "Check every selected node against this spec: a built-in name (kiln spec list) or a "
                    + "spec file. Overrides the fleet file's 'spec:'.")
    String specOption;

    @Option(names = "--only", paramLabel = "ID", split = ",",
            description = "Run only these checks (dotted ids such as gpu.pcie.link); repeatable or comma-separated.")
    List<String> only = new ArrayList<>();

    @Option(names = "--skip", paramLabel = "ID", split = ",",
            description = "Do not run these checks; repeatable or comma-separated.")
    List<String> skip = new ArrayList<>();

    @Option(names = "--show-skips", description = "List SKIP findings too (each with its reason); -v does as well.")
    boolean showSkips;

    @Override
    public Integer call() throws InterruptedException {
        requireKnown("--only", only);
        requireKnown("--skip", skip);
        Fleet fleet = fleetOptions.load();
        List<FleetNode> nodes = fleetOptions.select(fleet);
        SpecRef override = specOption == null ? null : resolve(spec.commandLine(), specOption);
        Function<FleetNode, SpecRef> specs = n -> override != null ? override : n.spec();
        boolean verbose = KilnCommand.verbose(spec);
        CheckOutput output = new CheckOutput(outputOptions.format(), spec.commandLine().getOut(), specs,
                showSkips || verbose);
        try (FanOut fanOut = FanOut.start()) {
            FleetQuery.run(fanOut, nodes, request(nodes, specs, only, skip), Agents.CHECK_REPORT,
                    fanOutOptions.timeout(fleet, DEFAULT_TIMEOUT), fanOutOptions.maxInFlight(), output,
                    spec.commandLine().getErr(), verbose);
        }
        output.finish(spec.commandLine().getErr());
        return output.tally.exitCode();
    }

    /**
     * {@code POST /v1/checks} with each node's spec inline (or none: the agent's default). Each distinct
     * spec is serialised once, here, so the fan-out only hands out bytes.
     */
    static FanOut.Request request(List<FleetNode> nodes, Function<FleetNode, SpecRef> specs, List<String> only,
                                  List<String> skip) {
        Map<SpecRef, byte[]> bodies = new IdentityHashMap<>();
        byte[] noSpec = body(new CheckRequest(null, null, List.copyOf(only), List.copyOf(skip)));
        for (FleetNode n : nodes) {
            SpecRef s = specs.apply(n);
            if (s != null) {
                bodies.computeIfAbsent(s, x -> body(new CheckRequest(null, x.spec(), List.copyOf(only),
                        List.copyOf(skip))));
            }
        }
        return FanOut.Request.postJson(Agents.CHECKS_PATH, n -> {
            SpecRef s = specs.apply(n);
            return s == null ? noSpec : bodies.get(s);
        });
    }

    private static byte[] body(CheckRequest request) {
        try {
            return KilnJson.mapper().writeValueAsBytes(request);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code --spec}: a built-in name, else a file relative to the working directory; any problem is exit 2. */
    static SpecRef resolve(CommandLine cmd, String value) {
        try {
            return SpecRef.resolve(value, Path.of("").toAbsolutePath());
        } catch (SpecRef.NotFound e) {
            throw new CommandLine.ParameterException(cmd, "--spec: " + e.getMessage());
        } catch (SpecFileException e) {
            int more = (int) e.problems().stream().filter(SpecProblem::isError).count() - 1;
            throw new CommandLine.ParameterException(cmd, "--spec: " + e.getMessage()
                    + (more > 0 ? " (" + more + " more error" + (more == 1 ? "" : "s") + ": run 'kiln spec lint "
                    + value + "')" : ""));
        }
    }

    /** Unknown check ids are a usage error with the nearest known id, before anything is sent. */
    private void requireKnown(String option, List<String> ids) {
        for (String id : ids) {
            if (!CheckIds.isKnown(id)) {
                String hint = CheckIds.suggest(id).map(s -> "; did you mean '" + s + "'?").orElse("");
                throw new CommandLine.ParameterException(spec.commandLine(), "unknown check id '" + id + "' in "
                        + option + hint + " (check ids: " + String.join(", ", CheckIds.ALL) + ")");
            }
        }
    }
}
