package dev.kiln.nvml;

import dev.kiln.nvml.raw.NvmlAbiExpected;
import dev.kiln.nvml.raw.NvmlAbiReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class NvmlReturnTest {

    /** NVML_ERROR_GPU_IS_LOST -> ERROR_GPU_IS_LOST, NVML_SUCCESS -> SUCCESS. */
    private static String enumName(String nvmlName) {
        return nvmlName.substring("NVML_".length());
    }

    private static void assertCodes(Map<String, Integer> codes, String source) {
        codes.forEach((nvmlName, code) -> {
            NvmlReturn r = NvmlReturn.valueOf(enumName(nvmlName));
            assertThat(r.code()).as("%s per %s", nvmlName, source).isEqualTo(code);
            assertThat(NvmlReturn.of(code)).as("NvmlReturn.of(%s)", code).isEqualTo(r);
        });
        Set<String> known = Arrays.stream(NvmlReturn.values()).filter(r -> r != NvmlReturn.UNRECOGNIZED)
                .map(r -> "NVML_" + r.name()).collect(Collectors.toSet());
        assertThat(codes.keySet()).as("every NvmlReturn (but UNRECOGNIZED) is in %s, and only those", source)
                .containsExactlyInAnyOrderElementsOf(known);
    }

    @Test
    void codesMatchHardCodedTable() {
        assertCodes(NvmlAbiExpected.RETURN_CODES, "the hard-coded table");
    }

    @Test
    void codesMatchReferenceFile() {
        Optional<NvmlAbiReference> ref = NvmlAbiReference.load();
        assumeTrue(ref.isPresent(), "nvml-abi.md not found; only the hard-coded table is checked");
        assertThat(ref.get().returnCodes()).isEqualTo(NvmlAbiExpected.RETURN_CODES);
        assertCodes(ref.get().returnCodes(), "nvml-abi.md");
    }

    @ParameterizedTest
    @ValueSource(ints = {31, 32, 100, 998, 1000, -1, -2, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void unknownCodesAreUnrecognized(int code) {
        assertThat(NvmlReturn.of(code)).isEqualTo(NvmlReturn.UNRECOGNIZED);
    }

    @Test
    void knownEdgesAreNotUnrecognized() {
        assertThat(NvmlReturn.of(0)).isEqualTo(NvmlReturn.SUCCESS);
        assertThat(NvmlReturn.of(30)).isEqualTo(NvmlReturn.ERROR_RESET_TYPE_NOT_SUPPORTED);
        assertThat(NvmlReturn.of(999)).isEqualTo(NvmlReturn.ERROR_UNKNOWN);
    }

    @Test
    void onlyLostAndResetRequiredMeanGpuUnavailable() {
        assertThat(Arrays.stream(NvmlReturn.values()).filter(NvmlReturn::gpuUnavailable))
                .containsExactlyInAnyOrder(NvmlReturn.ERROR_GPU_IS_LOST, NvmlReturn.ERROR_RESET_REQUIRED);
    }

    @Test
    void exceptionKeepsTheRawCodeOfAnUnknownResult() {
        NvmlException e = new NvmlException("nvmlDeviceGetFoo", 4711, "newer driver");
        assertThat(e.result()).isEqualTo(NvmlReturn.UNRECOGNIZED);
        assertThat(e.rawCode()).isEqualTo(4711);
        assertThat(e.function()).isEqualTo("nvmlDeviceGetFoo");
        assertThat(e).hasMessage("nvmlDeviceGetFoo failed: UNRECOGNIZED (4711): newer driver");
    }

    @Test
    void unavailableExceptionMapsToGpuState() {
        assertThat(new GpuUnavailableException("f", 15, null).state()).isEqualTo(GpuState.LOST);
        assertThat(new GpuUnavailableException("f", 16, null).state()).isEqualTo(GpuState.RESET_REQUIRED);
        assertThat(new GpuUnavailableException("f", 15, null)).hasMessage("f failed: ERROR_GPU_IS_LOST (15)");
    }
}
