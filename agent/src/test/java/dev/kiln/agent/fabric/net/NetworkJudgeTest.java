package dev.kiln.agent.fabric.net;

import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.NetworkResult;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class NetworkJudgeTest {
    private static NetworkResult r(String peer, double send, double receive, double p99) {
        return new NetworkResult("node-001", peer, "10.0.0.9:41000", send, receive, 40, p99, 1_000_000, 4, 1500);
    }

    @Test
    void healthyPairsHaveNoFindings() {
        List<NetworkResult> results = List.of(r("node-002", 9.4, 9.6, 80), r("node-003", 9.1, 9.8, 90),
                r("node-004", 9.7, 9.5, 85));
        assertThat(NetworkJudge.judge(results, NetworkJudge.Thresholds.DEFAULT)).isEmpty();
    }

    @Test
    void aPairBelowHalfTheMedianFails() {
        List<NetworkResult> results = List.of(r("node-002", 9.4, 9.6, 80), r("node-003", 9.1, 0.18, 90),
                r("node-004", 9.7, 9.5, 85));
        List<FabricFinding> f = NetworkJudge.judge(results, NetworkJudge.Thresholds.DEFAULT);
        assertThat(f).singleElement().satisfies(x -> {
            assertThat(x.test()).isEqualTo(FabricTestIds.NETWORK);
            assertThat(x.severity()).isEqualTo(FabricFinding.FAIL);
            assertThat(x.subject()).isEqualTo("node-pair");
            assertThat(x.ends()).containsExactly("node-001", "node-003");
            assertThat(x.observed()).contains("node-001 -> node-003 9.10 Gbit/s", "node-003 -> node-001 0.18 Gbit/s");
            // median of the slower directions 9.4, 0.18, 9.5 is 9.4
            assertThat(x.expected()).contains("at least 4.70 Gbit/s", "50 % of the median 9.40 Gbit/s");
            assertThat(x.culprit()).contains("node-003 -> node-001 the slower way");
            assertThat(x.action()).contains("ethtool");
        });
    }

    @Test
    void onePairAloneIsNotJudgedRelatively() {
        assertThat(NetworkJudge.judge(List.of(r("node-002", 0.1, 0.1, 80)), NetworkJudge.Thresholds.DEFAULT))
                .isEmpty();
    }

    @Test
    void anAbsoluteMinimumJudgesEveryPair() {
        NetworkJudge.Thresholds t = new NetworkJudge.Thresholds(25.0, 0.5, null, "spec hgx-h100");
        List<FabricFinding> f = NetworkJudge.judge(List.of(r("node-002", 24.0, 90, 80), r("node-003", 92, 91, 80)), t);
        assertThat(f).singleElement().satisfies(x -> {
            assertThat(x.ends()).containsExactly("node-001", "node-002");
            assertThat(x.expected()).isEqualTo("at least 25.0 Gbit/s each way (spec hgx-h100)");
        });
    }

    @Test
    void aLongLatencyTailWarns() {
        NetworkJudge.Thresholds t = new NetworkJudge.Thresholds(null, 0.5, 1000.0, "spec x");
        List<FabricFinding> f = NetworkJudge.judge(List.of(r("node-002", 9, 9, 20_500), r("node-003", 9, 9, 95)), t);
        assertThat(f).singleElement().satisfies(x -> {
            assertThat(x.severity()).isEqualTo(FabricFinding.WARN);
            assertThat(x.ends()).containsExactly("node-001", "node-002");
            assertThat(x.observed()).isEqualTo("round trip p99 20500 us (p50 40 us)");
            assertThat(x.expected()).isEqualTo("p99 at most 1000 us (spec x)");
        });
    }
}
