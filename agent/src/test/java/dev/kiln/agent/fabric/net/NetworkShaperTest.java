package dev.kiln.agent.fabric.net;

import dev.kiln.nvml.sim.Fault;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class NetworkShaperTest {
    @Test
    void noNetworkFaultIsNone() {
        assertThat(NetworkShaper.of(List.of())).isSameAs(NetworkShaper.NONE);
        assertThat(NetworkShaper.of(List.of(new Fault.GpuMissing(3)))).isSameAs(NetworkShaper.NONE);
        assertThat(NetworkShaper.NONE.flow().isFree()).isTrue();
        assertThat(NetworkShaper.NONE.flow().sendDelayNanos(1 << 30)).isZero();
        assertThat(NetworkShaper.NONE.pingDelayNanos()).isZero();
    }

    @Test
    void slowNicIsATokenBucketAtItsRate() {
        NetworkShaper s = NetworkShaper.of(List.of(new Fault.NicSlow(0.2), new Fault.NicSlow(0.5)));
        assertThat(s.nicGbps()).hasValue(0.2); // the slower one wins
        NetworkShaper.Flow f = s.flow();
        // 25 MB at 0.2 Gbit/s (25 MB/s) is a second of traffic, less the 2.6 ms burst allowance
        long delay = f.sendDelayNanos(25_000_000);
        assertThat(delay / 1e9).isCloseTo(1.0, within(0.01));
        // the receive direction has its own budget
        assertThat(f.receiveDelayNanos(64 * 1024)).isZero();
        // and the node's budget is shared by its connections (less the time the assertions above took)
        assertThat(s.flow().sendDelayNanos(1) / 1e9).isBetween(0.8, 1.0);
    }

    @Test
    void lossyNicFollowsTheMathisBoundPerConnection() {
        NetworkShaper s = NetworkShaper.of(List.of(new Fault.NicLossy(1)));
        // 1448 B * 8 / 200 us * sqrt(3/2) / sqrt(0.01)
        assertThat(s.perFlowGbps().orElseThrow()).isCloseTo(0.7094, within(0.001));
        assertThat(s.nicGbps()).isEmpty();
        NetworkShaper.Flow a = s.flow();
        NetworkShaper.Flow b = s.flow();
        long bytes = (long) (0.7094e9 / 8); // one second at the per-flow bound
        assertThat(a.sendDelayNanos(bytes) / 1e9).isCloseTo(1.0, within(0.01));
        assertThat(b.sendDelayNanos(64 * 1024)).as("another connection has its own bound").isLessThan(1_000_000);
        assertThat(s.toString()).contains("1.00 % loss");
    }

    @Test
    void lossyNicDelaysThatFractionOfPingsRepeatably() {
        NetworkShaper a = NetworkShaper.of(List.of(new Fault.NicLossy(5)), 42);
        NetworkShaper b = NetworkShaper.of(List.of(new Fault.NicLossy(5)), 42);
        int delayed = 0;
        for (int i = 0; i < 10_000; i++) {
            long d = a.pingDelayNanos();
            assertThat(d).isEqualTo(b.pingDelayNanos());
            if (d > 0) {
                assertThat(d).isEqualTo(NetworkShaper.RTO_MILLIS * 1_000_000L);
                delayed++;
            }
        }
        assertThat(delayed).isBetween(400, 600);
    }
}
