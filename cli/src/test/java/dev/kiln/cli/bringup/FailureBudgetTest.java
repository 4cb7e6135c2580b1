package dev.kiln.cli.bringup;

import dev.kiln.cli.ExitCodes;
import dev.kiln.cli.UsageException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class FailureBudgetTest {

    @Test
    void maxFailuresAllowsNAndHaltsAtTheNextOne() {
        FailureBudget b = new FailureBudget(2, null, 100);
        for (int i = 0; i < 20; i++) {
            b.started("n" + i);
        }
        assertThat(b.failed("n0")).isEmpty();
        b.passed("n1");
        assertThat(b.failed("n2")).isEmpty();
        assertThat(b.failed("n3")).hasValueSatisfying(h -> {
            assertThat(h.failures()).isEqualTo(3);
            assertThat(h.failedNodes()).containsExactly("n0", "n2", "n3");
            assertThat(h.reason()).contains("3 nodes failed, more than --max-failures 2").contains("n0, n2, n3");
            assertThat(h.exitCode()).isEqualTo(ExitCodes.ROLLOUT_HALTED).isEqualTo(5);
        });
        assertThat(b.halted()).isTrue();
        b.passed("n4");
        assertThat(b.halt()).isPresent(); // sticky
    }

    @Test
    void zeroHaltsAtTheFirstFailure() {
        FailureBudget b = new FailureBudget(0, null, 5);
        b.started("a");
        assertThat(b.failed("a")).isPresent();
    }

    @Test
    void rateIsJudgedOverNodesStartedOnceTheMinimumSampleHasStarted() {
        FailureBudget b = new FailureBudget(null, 20.0, 1000);
        assertThat(b.minSample()).isEqualTo(10);
        // Early failures (unreachable nodes fail in seconds) before the sample: no verdict yet.
        b.started("a");
        b.started("b");
        assertThat(b.failed("a")).isEmpty();
        assertThat(b.failed("b")).isEmpty();
        for (int i = 0; i < 18; i++) {
            b.started("ok" + i); // at 10 started: 2 failed = 20%, not more; then 20 started, 10%
        }
        assertThat(b.halted()).isFalse();
        for (String n : new String[] {"c", "d"}) {
            b.started(n);
            assertThat(b.failed(n)).isEmpty(); // 3 of 21, 4 of 22
        }
        b.started("e");
        assertThat(b.failed("e")).hasValueSatisfying(h -> {
            assertThat(h.started()).isEqualTo(23);
            assertThat(h.reason()).contains("5 of 23 nodes started failed (21.7%), more than --max-failure-rate 20%");
        });
    }

    @Test
    void rateHaltsAsSoonAsTheSampleIsReachedWhenFailuresAlreadyExceedIt() {
        FailureBudget b = new FailureBudget(null, 20.0, 500);
        for (int i = 0; i < 9; i++) {
            b.started("n" + i);
            b.failed("n" + i);
        }
        assertThat(b.halted()).isFalse(); // 9 started < 10
        b.started("n9");
        assertThat(b.halted()).isTrue();
    }

    @Test
    void aSmallRolloutIsJudgedOnTheWholeOfIt() {
        FailureBudget b = new FailureBudget(null, 30.0, 4);
        assertThat(b.minSample()).isEqualTo(4);
        b.started("a");
        b.started("b");
        b.started("c");
        b.started("d");
        assertThat(b.failed("a")).isEmpty(); // 25%
        assertThat(b.failed("b")).isPresent(); // 50%
    }

    @Test
    void eitherLimitHaltsNeitherNever() {
        FailureBudget both = new FailureBudget(5, 50.0, 100);
        for (int i = 0; i < 10; i++) {
            both.started("n" + i);
        }
        for (int i = 0; i < 6; i++) {
            both.failed("n" + i);
        }
        assertThat(both.halt()).hasValueSatisfying(h -> assertThat(h.reason()).contains("--max-failures 5"));
        FailureBudget none = FailureBudget.unlimited(10);
        for (int i = 0; i < 10; i++) {
            none.started("n" + i);
            none.failed("n" + i);
        }
        assertThat(none.halted()).isFalse();
    }

    @Test
    void parsesRates() {
        assertThat(FailureBudget.parseRate("5%")).isEqualTo(5.0);
        assertThat(FailureBudget.parseRate("2.5 %")).isCloseTo(2.5, within(1e-9));
        assertThat(FailureBudget.parseRate("0")).isZero();
        assertThatThrownBy(() -> FailureBudget.parseRate("five")).isInstanceOf(UsageException.class)
                .hasMessageContaining("--max-failure-rate");
        assertThatThrownBy(() -> FailureBudget.parseRate("100%")).hasMessageContaining("below 100%");
        assertThatThrownBy(() -> FailureBudget.parseRate("-3%")).isInstanceOf(UsageException.class);
        assertThatThrownBy(() -> new FailureBudget(-1, null, 3)).isInstanceOf(IllegalArgumentException.class);
    }
}
