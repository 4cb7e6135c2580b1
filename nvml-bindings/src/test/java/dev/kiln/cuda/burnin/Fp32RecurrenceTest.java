package dev.kiln.cuda.burnin;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The FP32 stress kernel (src/main/cuda/compute.cu) must not forget errors: a 1-ulp fault early in a
 * chain has to reach the output, or repeat-and-compare cannot see it. This models one element of
 * the kernel on the CPU with the same single-rounding FMA (Math.fma on floats, IEEE like fmaf).
 */
class Fp32RecurrenceTest {
    /** One element of fma_stress, step for step (b = 1, c = +-2^-10, chains in [1, 2), XOR fold). */
    static float element(long i, int iters, int faultChain, int faultIter) {
        float s = 1.0f + (float) (i & 1023) * (1.0f / 2048.0f);
        float[] a = new float[8];
        for (int j = 0; j < 8; j++) {
            a[j] = s + j * 0.03125f;
        }
        float b = 1.0f;
        float c = 0.0009765625f;
        for (int k = 0; k < iters; k++) {
            float ck = (k & 1) == 0 ? c : -c;
            for (int j = 0; j < 8; j++) {
                a[j] = Math.fma(a[j], b, ck);
                if (j == faultChain && k == faultIter) {
                    a[j] = Math.nextUp(a[j]); // a single-bit (1 ulp) fault
                }
            }
        }
        int x = 0;
        for (float v : a) {
            x ^= Float.floatToRawIntBits(v);
        }
        x ^= x >>> 23;
        return Float.intBitsToFloat(0x3F800000 | (x & 0x007FFFFF));
    }

    @Test
    void aOneUlpFaultAtTheFirstIterationAlwaysReachesTheOutput() {
        int iters = 1003; // what the kernel calibrated to on an H200
        int seen = 0;
        int tried = 0;
        for (long i = 0; i < 1024; i += 37) {
            for (int chain = 0; chain < 8; chain++) {
                tried++;
                if (element(i, iters, chain, 0) != element(i, iters, -1, -1)) {
                    seen++;
                }
            }
        }
        assertThat(seen).as("faults visible in the output, of %d", tried).isEqualTo(tried);
    }

    @Test
    void theKernelSourceUsesTheNonContractingRecurrence() throws Exception {
        Path src = Path.of("src/main/cuda/compute.cu");
        String cu = Files.readString(src);
        assertThat(cu).contains("const float b = n > 0ull ? 1.0f : 0.5f;").contains("fmaf(a1, b, -c)")
                .contains("x ^= x >> 23;").doesNotContain("0.999f");
    }

    @Test
    void theOutputIsAlwaysAFiniteNormalFloat() {
        for (long i = 0; i < 1024; i += 7) {
            float v = element(i, 1003, -1, -1);
            assertThat(v).isBetween(1.0f, 2.0f);
            assertThat(element(i, 1003, -1, -1)).as("deterministic").isEqualTo(v);
        }
    }
}
