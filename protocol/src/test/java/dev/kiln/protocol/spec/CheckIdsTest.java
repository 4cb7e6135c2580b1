package dev.kiln.protocol.spec;

import org.junit.jupiter.api.Test;

import java.util.HashSet;

import static org.assertj.core.api.Assertions.assertThat;

class CheckIdsTest {

    @Test
    void everyIdOfTheIssueOnceAndDotted() {
        // The issue's 23 ids plus gpu.recovery.action (NVML's recovery-action field).
        assertThat(CheckIds.ALL).hasSize(24).doesNotHaveDuplicates()
                .allSatisfy(id -> assertThat(id).matches("[a-z][a-z0-9]*(\\.[a-z][a-z0-9]*)+"));
        assertThat(new HashSet<>(CheckIds.ALL)).contains(CheckIds.GPU_PCIE_LINK, CheckIds.GPU_LOST, CheckIds.HOST_CPU);
        assertThat(CheckIds.isKnown("gpu.nvlink.links")).isTrue();
        assertThat(CheckIds.isKnown("gpu.nvlink")).isFalse();
        assertThat(CheckIds.isKnown(null)).isFalse();
    }

    @Test
    void suggestsTheNearestId() {
        assertThat(CheckIds.suggest("gpu.pcie")).contains("gpu.pcie.link");
        assertThat(CheckIds.suggest("gpu.ecc.uncorectable")).contains("gpu.ecc.uncorrectable");
        assertThat(CheckIds.suggest("GPU.MIG")).contains("gpu.mig");
        assertThat(CheckIds.suggest("disk.smart")).isEmpty();
    }
}
