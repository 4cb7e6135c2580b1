package dev.kiln.cli.bringup;

import dev.kiln.cli.db.AttemptState;
import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricTestIds;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which failed GPU-fabric stages {@code kiln bringup} repeats before failing the node: those whose every failing
 * finding is a measured figure (a repeat may not reproduce a dip), not a fault a repeat cannot undo.
 */
class PerformanceRepeatTest {
    private static final FabricFinding P2P_SLOW = FabricFinding.performance(FabricTestIds.P2P, FabricFinding.FAIL,
            "gpu-pair", List.of("GPU 0", "GPU 1"), "120 GB/s", "at least 335 GB/s", "the path", "rerun");
    private static final FabricFinding RDMA_SLOW = FabricFinding.performance(FabricTestIds.RDMA, FabricFinding.FAIL,
            "port", List.of("mlx5_0 port 1", "peer mlx5_0 port 1"), "RDMA write 180 Gbit/s average",
            "at least 360 Gbit/s (spec site)", "a port below rate", "check both ports");
    private static final FabricFinding NCCL_SLOW = FabricFinding.performance(FabricTestIds.NCCL, FabricFinding.FAIL,
            "node", List.of("node-001"), "best bus bandwidth 210 GB/s", "at least 400 GB/s bus bandwidth",
            "slow interconnect", "check fabric.nvlink");
    private static final FabricFinding PORT_ERRORS = new FabricFinding(FabricTestIds.RDMA, FabricFinding.FAIL, "port",
            List.of("mlx5_3 port 1"), "symbol_error +300 during the test", "no link errors during the test",
            "the cable", "reseat");
    private static final FabricFinding NCCL_WRONG = new FabricFinding(FabricTestIds.NCCL, FabricFinding.FAIL, "node",
            List.of("node-001"), "4 wrong result(s)", "0 wrong results", "wrong data", "burn in");
    private static final FabricFinding LINK_DOWN = new FabricFinding(FabricTestIds.NVLINK, FabricFinding.FAIL,
            "nvlink", List.of("GPU 3 link 7"), "link down", "18 links up", "the link", "reseat");
    private static final FabricFinding SLOW_WARNING = FabricFinding.performance(FabricTestIds.P2P, FabricFinding.WARN,
            "gpu-pair", List.of("GPU 2", "GPU 3"), "330 GB/s", "at least 335 GB/s", "the path", "rerun");

    private static StageOutcome failed(FabricFinding... findings) {
        return new StageOutcome(AttemptState.FAILED, "FAIL", "fabric job FAILED", null, List.of(findings), List.of(),
                List.of(), List.of(), false);
    }

    @Test
    void bandwidthAndLatencyFiguresOfEveryTestAreConfirmedByARepeat() {
        assertThat(BringupEngine.performanceOnly(failed(P2P_SLOW))).isTrue();
        assertThat(BringupEngine.performanceOnly(failed(RDMA_SLOW))).as("ib_write_bw below its minimum").isTrue();
        assertThat(BringupEngine.performanceOnly(failed(NCCL_SLOW))).as("all_reduce_perf busbw below").isTrue();
        assertThat(BringupEngine.performanceOnly(failed(P2P_SLOW, RDMA_SLOW, NCCL_SLOW, SLOW_WARNING))).isTrue();
    }

    @Test
    void faultsARepeatCannotUndoFailTheNodeAtOnce() {
        assertThat(BringupEngine.performanceOnly(failed(PORT_ERRORS))).as("rising port counters").isFalse();
        assertThat(BringupEngine.performanceOnly(failed(NCCL_WRONG))).as("wrong all-reduce data").isFalse();
        assertThat(BringupEngine.performanceOnly(failed(LINK_DOWN))).isFalse();
        assertThat(BringupEngine.performanceOnly(failed(P2P_SLOW, LINK_DOWN))).as("one real fault among dips")
                .isFalse();
        assertThat(BringupEngine.performanceOnly(failed())).as("a failure without findings").isFalse();
        assertThat(BringupEngine.performanceOnly(failed(SLOW_WARNING))).as("only a warning: nothing failing")
                .isFalse();
    }
}
