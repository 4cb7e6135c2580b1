package dev.kiln.cli.bringup;

import dev.kiln.cli.db.AttemptState;
import dev.kiln.cli.fabric.FabricAttribution;
import dev.kiln.protocol.fabric.NetworkResult;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The network-fabric verdict of one node over the rollout's pairs (5 nodes, 2 racks, a 10 Gbit/s minimum). */
class NetworkJudgingTest {
    private static final Map<String, String> RACK = Map.of("n1", "r1", "n2", "r1", "n3", "r1", "n4", "r2", "n5", "r2");

    private static FabricAttribution.PairOutcome pair(String driver, String server, double gbps) {
        return FabricAttribution.PairOutcome.measured(driver, server, new NetworkResult(driver, server, "127.0.0.1",
                gbps, gbps, 50, 90, 1L << 30, 4, 1000));
    }

    private static FabricAttribution.Result attribute(FabricAttribution.PairOutcome... pairs) {
        return FabricAttribution.attribute(List.of(pairs), 10.0, "test minimum", RACK);
    }

    private static NetworkJudging.Decision judge(String node, FabricAttribution.Result a, boolean end) {
        return NetworkJudging.judge(node, a, Set.of(), (d, s) -> "job-" + d + "-" + s, end, "no peer left");
    }

    @Test
    void fineWithTwoPeersPasses() {
        var a = attribute(pair("n1", "n2", 40), pair("n3", "n1", 38));
        NetworkJudging.Decision d = judge("n1", a, false);
        assertThat(d.outcome().state()).isEqualTo(AttemptState.PASSED);
        assertThat(d.outcome().summary()).isEqualTo("fine with n2, n3");
        assertThat(d.note()).isNull();
        assertThat(d.outcome().evidence()).asString().contains("job-n1-n2", "job-n3-n1");
    }

    @Test
    void slowWithEveryPeerThatIsFineWithOthersFailsTheNode() {
        var a = attribute(pair("n5", "n1", 0.1), pair("n5", "n2", 0.1), pair("n1", "n2", 40), pair("n2", "n3", 40),
                pair("n1", "n3", 40));
        NetworkJudging.Decision d = judge("n5", a, false);
        assertThat(d.outcome().state()).isEqualTo(AttemptState.FAILED);
        assertThat(d.outcome().reasons()).singleElement().asString().startsWith("network-fabric: ").contains("n5");
        assertThat(d.outcome().actions()).isNotEmpty();
        // ... and its peers are not blamed for it.
        assertThat(judge("n1", a, false).outcome().state()).isEqualTo(AttemptState.PASSED);
    }

    @Test
    void oneGoodPeerWaitsUntilTheEndThenPassesSayingSo() {
        var a = attribute(pair("n1", "n2", 40));
        assertThat(judge("n1", a, false)).as("undecided: needs a second peer").isNull();
        NetworkJudging.Decision d = judge("n1", a, true);
        assertThat(d.outcome().state()).isEqualTo(AttemptState.PASSED);
        assertThat(d.note()).isEqualTo("network-fabric: tested against only 1 peer (n2), fewer than 2: no peer left");
    }

    @Test
    void noPeerAtAllIsASkipNotAPass() {
        NetworkJudging.Decision d = judge("n4", attribute(), true);
        assertThat(d.outcome().state()).isEqualTo(AttemptState.SKIPPED);
        assertThat(d.note()).isEqualTo("network-fabric: not tested: no peer; no peer left");
    }
}
