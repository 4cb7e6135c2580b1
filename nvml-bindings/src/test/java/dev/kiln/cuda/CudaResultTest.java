package dev.kiln.cuda;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CudaResultTest {
    @Test
    void mapsTheCodesBurnInCaresAbout() {
        assertThat(CudaResult.of(0)).isEqualTo(CudaResult.SUCCESS);
        assertThat(CudaResult.of(100)).isEqualTo(CudaResult.ERROR_NO_DEVICE);
        assertThat(CudaResult.of(214)).isEqualTo(CudaResult.ERROR_ECC_UNCORRECTABLE);
        assertThat(CudaResult.of(218)).isEqualTo(CudaResult.ERROR_INVALID_PTX);
        assertThat(CudaResult.of(220)).isEqualTo(CudaResult.ERROR_NVLINK_UNCORRECTABLE);
        assertThat(CudaResult.of(222)).isEqualTo(CudaResult.ERROR_UNSUPPORTED_PTX_VERSION);
        assertThat(CudaResult.of(700)).isEqualTo(CudaResult.ERROR_ILLEGAL_ADDRESS);
        assertThat(CudaResult.of(719)).isEqualTo(CudaResult.ERROR_LAUNCH_FAILED);
        assertThat(CudaResult.of(802)).isEqualTo(CudaResult.ERROR_SYSTEM_NOT_READY);
        assertThat(CudaResult.of(803)).isEqualTo(CudaResult.ERROR_SYSTEM_DRIVER_MISMATCH);
        assertThat(CudaResult.of(804)).isEqualTo(CudaResult.ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE);
        assertThat(CudaResult.of(999)).isEqualTo(CudaResult.ERROR_UNKNOWN);
        assertThat(CudaResult.of(12345)).isEqualTo(CudaResult.UNRECOGNIZED);
        assertThat(CudaResult.of(-1)).isEqualTo(CudaResult.UNRECOGNIZED);
    }

    @Test
    void stickyErrorsAreTheContextKillers() {
        assertThat(CudaResult.isSticky(700)).isTrue();
        assertThat(CudaResult.isSticky(719)).isTrue();
        assertThat(CudaResult.isSticky(2)).isFalse();
        assertThat(CudaResult.isSticky(218)).isFalse();
        assertThat(CudaResult.isHardwareSuspect(214)).isTrue();
        assertThat(new CudaException("cuLaunchKernel", 12345, null, null).errorName()).isEqualTo("UNRECOGNIZED");
    }

    @Test
    void busIdsAreNormalisedToNvmlsForm() {
        assertThat(CudaDevice.normalizeBusId("0000:18:00.0")).isEqualTo("00000000:18:00.0");
        assertThat(CudaDevice.normalizeBusId("0000:9a:00.0")).isEqualTo("00000000:9A:00.0");
        assertThat(CudaDevice.normalizeBusId("00000000:18:00.0")).isEqualTo("00000000:18:00.0");
    }
}
