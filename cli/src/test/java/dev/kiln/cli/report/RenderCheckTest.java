package dev.kiln.cli.report;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The "done": the HTML report of a synthetic 200-node rollout with faults, opened in headless Chromium by
 * {@code tools/report/render-check.sh}, renders without errors. Skipped, with the reason, where no Chromium is
 * installed (Debian: {@code apt-get install chromium}); {@code CHROMIUM=/path} picks another binary.
 */
class RenderCheckTest {

    @Test
    void theSyntheticFleetRendersInHeadlessChromium() throws Exception {
        Optional<String> browser = chromium();
        assumeTrue(browser.isPresent(), "no Chromium on PATH (chromium, chromium-browser, google-chrome) and CHROMIUM "
                + "not set: apt-get install chromium to run the headless render check");
        Path script = Path.of("..", "tools", "report", "render-check.sh").toAbsolutePath().normalize();
        assumeTrue(Files.isExecutable(script), "no " + script + " (not run from the cli module of a checkout)");

        Path out = Path.of("target", "report-check").toAbsolutePath();
        Files.createDirectories(out);
        Path html = out.resolve("report.html");
        HtmlReport.write(SyntheticReport.fleet(200, 7), html);
        Run r = run(script, browser.get(), out, html);
        assertThat(r.exit).as("render-check exit code; its output:\n" + r.log).isZero();
        assertThat(r.log).contains("render-check: OK");
        assertThat(out.resolve("screenshot.png")).isNotEmptyFile();
        assertThat(out.resolve("report.pdf")).isNotEmptyFile();
        System.out.println(r.log.strip());
    }

    @Test
    void theCheckFailsOnAReportThatLoadsSomethingOrIsMalformed() throws Exception {
        Optional<String> browser = chromium();
        assumeTrue(browser.isPresent(), "no Chromium on PATH and CHROMIUM not set");
        Path script = Path.of("..", "tools", "report", "render-check.sh").toAbsolutePath().normalize();
        assumeTrue(Files.isExecutable(script), "no " + script);
        Path out = Path.of("target", "report-check-negative").toAbsolutePath();
        Files.createDirectories(out);
        String good = HtmlReport.render(SyntheticReport.fleet(20, 7));

        Path loads = out.resolve("loads.html");
        Files.writeString(loads, good.replace("<section id=\"rma\">",
                "<img src=\"https://example.invalid/x.png\"/><section id=\"rma\">"));
        Run r = run(script, browser.get(), out.resolve("loads"), loads);
        assertThat(r.exit).as(r.log).isEqualTo(1);
        assertThat(r.log).contains("browser console messages").contains("example.invalid");

        Path broken = out.resolve("broken.html");
        Files.writeString(broken, good.replace("<section id=\"attention\">",
                "<table><tr><td><div>unclosed</td></tr></table><section id=\"attention\">"));
        r = run(script, browser.get(), out.resolve("broken"), broken);
        assertThat(r.exit).as(r.log).isEqualTo(1);
        assertThat(r.log).contains("not well-formed");
    }

    private record Run(int exit, String log) {
    }

    private static Run run(Path script, String browser, Path out, Path html) throws Exception {
        Path log = Files.createDirectories(out).resolve("render-check.txt");
        ProcessBuilder pb = new ProcessBuilder(script.toString(), "--out", out.toString(), html.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("CHROMIUM", browser);
        Process p = pb.start();
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("render-check did not finish in 10 minutes");
        }
        return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    static Optional<String> chromium() {
        String env = System.getenv("CHROMIUM");
        if (env != null && !env.isBlank()) {
            return Files.isExecutable(Path.of(env)) ? Optional.of(env) : Optional.empty();
        }
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of(path.split(File.pathSeparator)).filter(d -> !d.isEmpty())
                .flatMap(d -> List.of("chromium", "chromium-browser", "google-chrome").stream()
                        .map(n -> Path.of(d, n)))
                .filter(Files::isExecutable).map(Path::toString).findFirst();
    }
}
