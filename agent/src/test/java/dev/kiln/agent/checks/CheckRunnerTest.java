package dev.kiln.agent.checks;

import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.spec.NodeSpec;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckRunnerTest {
    private final InventoryDocument inv = CheckHarness.inventory(ServerPresets.PCIE_L40S);
    private final NodeSpec spec = CheckHarness.spec(ServerPresets.PCIE_L40S);

    private static Check check(String id, CheckBody body) {
        return new Check() {
            public String id() {
                return id;
            }

            public String description() {
                return id;
            }

            public List<CheckResult> run(CheckContext context) throws Exception {
                return body.run(context);
            }
        };
    }

    interface CheckBody {
        List<CheckResult> run(CheckContext c) throws Exception;
    }

    private CheckReport run(Duration timeout, Check... checks) {
        List<Check> all = new ArrayList<>(CheckRegistry.builtIn().all());
        all.addAll(List.of(checks));
        CheckRunner runner = new CheckRunner(new CheckRegistry(all), timeout);
        return runner.run(inv.node(), new CheckContext(inv, spec, CheckHarness.events(), CheckHarness.NOW),
                runner.select(List.of(), List.of(), Set.of()));
    }

    @Test
    void aThrowingCheckIsAnErrorForThatCheckOnly() {
        CheckReport r = run(Duration.ofSeconds(5), check("test.throws", c -> {
            throw new IllegalStateException("sensor on fire");
        }));
        assertThat(r.results()).filteredOn(x -> x.id().equals("test.throws")).singleElement().satisfies(x -> {
            assertThat(x.status()).isEqualTo(CheckStatus.ERROR);
            assertThat(x.message()).contains("IllegalStateException").contains("sensor on fire");
        });
        assertThat(r.results()).filteredOn(x -> !x.id().equals("test.throws"))
                .allMatch(x -> x.status() == CheckStatus.PASS || x.status() == CheckStatus.SKIP);
        assertThat(r.verdict()).isEqualTo(CheckStatus.ERROR);
        assertThat(r.results()).extracting(CheckResult::id).containsAll(CheckRegistry.builtIn().ids());
    }

    @Test
    void aHungCheckTimesOutAsAnErrorAndTheReportCompletes() {
        long t0 = System.nanoTime();
        CheckReport r = run(Duration.ofMillis(200), check("test.hangs", c -> {
            Thread.sleep(60_000);
            return List.of();
        }));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
        assertThat(r.results()).filteredOn(x -> x.id().equals("test.hangs")).singleElement().satisfies(x -> {
            assertThat(x.status()).isEqualTo(CheckStatus.ERROR);
            assertThat(x.message()).contains("did not finish within 200 ms");
        });
    }

    @Test
    void aCheckWithNoResultIsAnError() {
        CheckReport r = run(Duration.ofSeconds(5), check("test.silent", c -> List.of()));
        assertThat(r.results()).filteredOn(x -> x.id().equals("test.silent")).singleElement()
                .satisfies(x -> assertThat(x.status()).isEqualTo(CheckStatus.ERROR));
    }

    @Test
    void selectionHonoursOnlySkipAndTheSpec() {
        CheckRunner runner = CheckRunner.standard();
        assertThat(runner.select(List.of("gpu.count", "gpu.mig"), List.of(), Set.of()))
                .extracting(Check::id).containsExactly("gpu.count", "gpu.mig");
        assertThat(runner.select(List.of(), List.of("gpu.mig"), Set.of("gpu.processes")))
                .extracting(Check::id).doesNotContain("gpu.mig", "gpu.processes").contains("gpu.count");
        assertThatThrownBy(() -> runner.select(List.of("gpu.nope"), List.of("also.bad"), Set.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gpu.nope").hasMessageContaining("also.bad");
    }

    @Test
    void resultsCarryTheirCheckDurationAndTheReportItsSpec() {
        CheckReport r = run(Duration.ofSeconds(5), check("test.slow", c -> {
            Thread.sleep(50);
            return List.of(new CheckResult("whatever", CheckStatus.PASS, null, null, "x", "x", "ok", null, 0));
        }));
        assertThat(r.results()).filteredOn(x -> x.id().equals("test.slow")).singleElement()
                .satisfies(x -> assertThat(x.durationMs()).isGreaterThanOrEqualTo(50));
        assertThat(r.spec()).isEqualTo("pcie-l40s");
        assertThat(r.kind()).isEqualTo(CheckReport.KIND);
    }
}
