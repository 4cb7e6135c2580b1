// Kiln burn-in: FP32 FMA stress. Identical, deterministic work for every element of a result slot:
// element i runs `iters` FMAs on each of 8 independent chains and writes one float. Two launches over
// the same slot must produce bit-identical results; the compare kernel checks that.
//
// Designed so that no error is forgotten (repeat-and-compare only sees what reaches the output):
// - b is exactly 1.0 but read at run time (the compiler cannot fold the FMA into an add), and c = 2^-10
//   alternates in sign, so every chain stays inside [1, 2) where these FMAs are exact: a 1-ulp fault at
//   any iteration survives unchanged to the end (a contracting recurrence such as a*0.999 + 0.001 forgets
//   early errors, and sums of the chains would round a last-bit difference away);
// - the output folds the 8 chains' bit patterns with XOR (sign and exponent folded into the mantissa)
//   into a float in [1, 2): any single flipped bit in any chain changes the output, and the output is
//   never a NaN or a denormal.
// FLOPs per launch = n * iters * 8 chains * 2.
extern "C" __global__ void fma_stress(float *out, unsigned long long n, int iters)
{
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    const float b = n > 0ull ? 1.0f : 0.5f;   // 1.0 in practice, unknown to the compiler
    const float c = 0.0009765625f;            // 2^-10
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        float s = 1.0f + (float)(i & 1023u) * (1.0f / 2048.0f);   // [1, 1.5)
        float a0 = s, a1 = s + 0.03125f, a2 = s + 0.0625f, a3 = s + 0.09375f;
        float a4 = s + 0.125f, a5 = s + 0.15625f, a6 = s + 0.1875f, a7 = s + 0.21875f;
        int k = 0;
        for (; k + 1 < iters; k += 2) {
            a0 = fmaf(a0, b, c); a1 = fmaf(a1, b, c); a2 = fmaf(a2, b, c); a3 = fmaf(a3, b, c);
            a4 = fmaf(a4, b, c); a5 = fmaf(a5, b, c); a6 = fmaf(a6, b, c); a7 = fmaf(a7, b, c);
            a0 = fmaf(a0, b, -c); a1 = fmaf(a1, b, -c); a2 = fmaf(a2, b, -c); a3 = fmaf(a3, b, -c);
            a4 = fmaf(a4, b, -c); a5 = fmaf(a5, b, -c); a6 = fmaf(a6, b, -c); a7 = fmaf(a7, b, -c);
        }
        if (k < iters) {
            a0 = fmaf(a0, b, c); a1 = fmaf(a1, b, c); a2 = fmaf(a2, b, c); a3 = fmaf(a3, b, c);
            a4 = fmaf(a4, b, c); a5 = fmaf(a5, b, c); a6 = fmaf(a6, b, c); a7 = fmaf(a7, b, c);
        }
        unsigned int x = __float_as_uint(a0) ^ __float_as_uint(a1) ^ __float_as_uint(a2) ^ __float_as_uint(a3)
                       ^ __float_as_uint(a4) ^ __float_as_uint(a5) ^ __float_as_uint(a6) ^ __float_as_uint(a7);
        x ^= x >> 23;
        out[i] = __uint_as_float(0x3F800000u | (x & 0x007FFFFFu));
    }
}
