package dev.kiln.agent.metrics;

import dev.kiln.agent.core.NodeAgent;
import dev.kiln.protocol.spec.BuiltinSpecs;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pipes a faulty simulated node's {@code /metrics} text through Prometheus's own linter,
 * {@code promtool check metrics} (Debian package {@code prometheus}; {@code tools/metrics/promtool-check.sh}
 * does the same by hand). Skipped, with the reason, where promtool is not installed.
 *
 * <p>promtool exits 1 on a parse error and 3 on lint problems. Kiln's own {@code kiln_*} metrics must be
 * lint-clean. The {@code DCGM_FI_*} families keep dcgm-exporter's exact names and labels for dashboard
 * compatibility, and dcgm-exporter's output draws the same three lint remarks (a counter without
 * {@code _total}, {@code modelName} in camelCase, {@code COUNTER} in a counter's name): those, and only
 * those, are accepted for them.
 */
class PromtoolCheckTest {
    private static final Pattern DCGM_REMARK = Pattern.compile("DCGM_FI_[A-Z_]+ (counter metrics should have \"_total\" "
            + "suffix|label names should be written in 'snake_case' not 'camelCase'|metric name should not include "
            + "type 'counter')");

    record Result(int exit, String output) {
    }

    static Optional<Path> promtool() {
        String env = System.getenv("PROMTOOL");
        if (env != null && Files.isExecutable(Path.of(env))) {
            return Optional.of(Path.of(env));
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        return Stream.concat(Stream.of(path.split(java.io.File.pathSeparator)), Stream.of("/usr/bin", "/usr/local/bin"))
                .filter(d -> !d.isBlank()).map(d -> Path.of(d, "promtool")).filter(Files::isExecutable).findFirst();
    }

    static Result check(Path promtool, String metrics) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // the exit code says what matters
            }
        });
        reader.start();
        try (OutputStream stdin = p.getOutputStream()) {
            stdin.write(metrics.getBytes(StandardCharsets.UTF_8));
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("promtool did not finish within 60 s");
        }
        reader.join(5_000);
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void promtoolAcceptsTheMetricsOfAFaultyNode() throws Exception {
        Optional<Path> promtool = promtool();
        Assumptions.assumeTrue(promtool.isPresent(), "promtool not installed (apt-get install prometheus, or set "
                + "PROMTOOL=/path/to/promtool); the format itself is checked by PrometheusMetricsTest");
        String text;
        try (NodeAgent agent = PrometheusMetricsTest.faultyAgent()) {
            agent.check(BuiltinSpecs.get("hgx-h100"), List.of(), List.of());
            text = PrometheusMetrics.scrape(agent);
        }
        assertThat(text).contains("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", "DCGM_FI_DEV_XID_ERRORS", "kiln_check_status");

        Result all = check(promtool.get(), text);
        assertThat(all.exit()).as("promtool exit (0 clean, 3 lint remarks, 1 parse error): %s", all.output())
                .isIn(0, 3);
        List<String> unexpected = new ArrayList<>();
        for (String line : all.output().lines().toList()) {
            if (!line.isBlank() && !DCGM_REMARK.matcher(line).matches()) {
                unexpected.add(line);
            }
        }
        assertThat(unexpected).as("promtool remarks beyond dcgm-exporter's own naming").isEmpty();

        Result kiln = check(promtool.get(), onlyKiln(text));
        assertThat(kiln.output()).as("kiln_* metrics are lint-clean").isBlank();
        assertThat(kiln.exit()).isZero();

        Result broken = check(promtool.get(), "# TYPE x gauge\nx{a=\"unterminated} 1\n");
        assertThat(broken.exit()).as("a broken exposition fails, so the passes above mean something").isEqualTo(1);
    }

    /** The kiln_* families only (HELP, TYPE and samples). */
    static String onlyKiln(String text) {
        StringBuilder b = new StringBuilder();
        for (String line : text.split("\n")) {
            String name = line.startsWith("# ") ? line.split(" ")[2] : line.split("[{ ]")[0];
            if (name.startsWith("kiln_")) {
                b.append(line).append('\n');
            }
        }
        return b.toString();
    }
}
