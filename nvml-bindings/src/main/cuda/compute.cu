// Kiln burn-in: FP32 FMA stress. Identical, deterministic work for every element of a result slot:
// element i starts from a seed that depends only on (i & 1023), runs `iters` rounds of 8 independent
// FMA chains (a = a*b + c converges towards c/(1-b), so values stay finite), and writes one float.
// Two launches over the same slot must produce bit-identical results; the compare kernel checks that.
// FLOPs per launch = n * iters * 8 chains * 2.
extern "C" __global__ void fma_stress(float *out, unsigned long long n, int iters)
{
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        float s = (float)(i & 1023u) * (1.0f / 1024.0f);
        float a0 = s, a1 = s + 0.1f, a2 = s + 0.2f, a3 = s + 0.3f;
        float a4 = s + 0.4f, a5 = s + 0.5f, a6 = s + 0.6f, a7 = s + 0.7f;
        const float b = 0.999f, c = 0.001f;
        for (int k = 0; k < iters; k++) {
            a0 = fmaf(a0, b, c); a1 = fmaf(a1, b, c); a2 = fmaf(a2, b, c); a3 = fmaf(a3, b, c);
            a4 = fmaf(a4, b, c); a5 = fmaf(a5, b, c); a6 = fmaf(a6, b, c); a7 = fmaf(a7, b, c);
        }
        out[i] = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    }
}
