package dev.kiln.agent.events;

import dev.kiln.nvml.NvmlEvent;
import dev.kiln.nvml.NvmlEventType;
import dev.kiln.nvml.RecoveryAction;
import dev.kiln.protocol.event.GpuEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class EventPolicyTest {
    private static final Instant T = Instant.parse("2025-03-14T09:26:53Z");

    private static GpuEvent judge(NvmlEventType type, long data) {
        return judge(type.mask(), data);
    }

    private static GpuEvent judge(long type, long data) {
        return EventPolicy.toGpuEvent(new NvmlEvent(2, Optional.of("GPU-x"), Optional.of("00000000:3A:00.0"), type,
                data, Optional.empty(), Optional.empty()), T, "boot-1");
    }

    @ParameterizedTest(name = "Xid {0} is {1}")
    @CsvSource({"48,fail", "64,fail", "74,fail", "79,fail", "92,fail", "95,fail", "63,warn", "94,warn",
            "13,info", "31,info", "43,info", "119,info"})
    void xidSeverityFollowsTheFieldFacts(long xid, String severity) {
        GpuEvent e = judge(NvmlEventType.XID_CRITICAL_ERROR, xid);
        assertThat(e.type()).isEqualTo("xid");
        assertThat(e.code()).isEqualTo(xid);
        assertThat(e.severity()).isEqualTo(severity);
        assertThat(e.description()).startsWith("Xid " + xid);
    }

    @Test
    void xidDescriptionsSayWhatToDo() {
        assertThat(judge(NvmlEventType.XID_CRITICAL_ERROR, 79).description()).contains("fell off the bus");
        assertThat(judge(NvmlEventType.XID_CRITICAL_ERROR, 48).description()).contains("reset the GPU");
        assertThat(judge(NvmlEventType.XID_CRITICAL_ERROR, 13).description()).contains("Xid catalog");
    }

    @Test
    void otherEventTypesHaveTheirWireTypeAndSeverity() {
        assertThat(judge(NvmlEventType.DOUBLE_BIT_ECC_ERROR, 0)).extracting(GpuEvent::type, GpuEvent::severity,
                GpuEvent::code).containsExactly("ecc_double_bit", "fail", null);
        assertThat(judge(NvmlEventType.SINGLE_BIT_ECC_ERROR_STORM, 0)).extracting(GpuEvent::type, GpuEvent::severity)
                .containsExactly("ecc_single_bit_storm", "warn");
        assertThat(judge(NvmlEventType.DRAM_RETIREMENT_EVENT, 0)).extracting(GpuEvent::type, GpuEvent::severity)
                .containsExactly("remap", "warn");
        assertThat(judge(NvmlEventType.DRAM_RETIREMENT_FAILURE, 0)).extracting(GpuEvent::type, GpuEvent::severity)
                .containsExactly("remap_failure", "fail");
        assertThat(judge(NvmlEventType.GPU_UNAVAILABLE_ERROR, 0)).extracting(GpuEvent::type, GpuEvent::severity)
                .containsExactly("gpu_unavailable", "fail");
        assertThat(judge(NvmlEventType.P_STATE, 0)).extracting(GpuEvent::type, GpuEvent::severity)
                .containsExactly("other", "info");
        assertThat(judge(0x1_0000_0000L, 7)).extracting(GpuEvent::type, GpuEvent::severity)
                .containsExactly("other", "info");
    }

    @Test
    void recoveryActionFailsUnlessNone() {
        GpuEvent reset = judge(NvmlEventType.GPU_RECOVERY_ACTION, RecoveryAction.GPU_RESET.code());
        assertThat(reset.type()).isEqualTo("recovery_action");
        assertThat(reset.code()).isEqualTo(1L);
        assertThat(reset.severity()).isEqualTo("fail");
        assertThat(reset.description()).contains("gpu_reset");
        GpuEvent none = judge(NvmlEventType.GPU_RECOVERY_ACTION, 0);
        assertThat(none.severity()).isEqualTo("info");
        assertThat(judge(NvmlEventType.GPU_RECOVERY_ACTION, 42).severity()).as("unknown action").isEqualTo("fail");
    }

    @Test
    void identityAndTimeAreCarriedOver() {
        GpuEvent e = judge(NvmlEventType.XID_CRITICAL_ERROR, 79);
        assertThat(e.time()).isEqualTo(T);
        assertThat(e.bootId()).isEqualTo("boot-1");
        assertThat(e.gpuIndex()).isEqualTo(2);
        assertThat(e.uuid()).isEqualTo("GPU-x");
        assertThat(e.pciBusId()).isEqualTo("00000000:3A:00.0");
    }
}
