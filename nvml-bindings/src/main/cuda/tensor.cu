// Kiln burn-in: tensor-core stress with WMMA (mma.sync) BF16 inputs and FP32 accumulate, sm_80+.
// Each warp builds its A/B fragments in registers from its lane id (no input buffer, identical for every
// warp), runs `iters` rounds of 4 independent 16x16x16 MMAs and stores the summed 16x16 FP32 tile to
// its slot position. Values are small multiples of 1/64 so every product and sum is exact in FP32:
// repeats must be bit-identical. FLOPs per launch = tiles * iters * 4 * 2 * 16*16*16.
#include <mma.h>
#include <cuda_bf16.h>
using namespace nvcuda;

extern "C" __global__ void mma_bf16_stress(float *out, unsigned long long tiles, int iters)
{
    const int lane = threadIdx.x & 31;
    const unsigned long long warp = ((unsigned long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    const unsigned long long warps = ((unsigned long long)gridDim.x * blockDim.x) >> 5;

    wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> a;
    wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> b;
    for (int t = 0; t < a.num_elements; t++) {
        a.x[t] = __float2bfloat16((float)(((lane * 7 + t * 3) % 17) - 8) * (1.0f / 64.0f));
    }
    for (int t = 0; t < b.num_elements; t++) {
        b.x[t] = __float2bfloat16((float)(((lane * 5 + t * 11) % 13) - 6) * (1.0f / 64.0f));
    }
    for (unsigned long long tile = warp; tile < tiles; tile += warps) {
        wmma::fragment<wmma::accumulator, 16, 16, 16, float> c0, c1, c2, c3;
        wmma::fill_fragment(c0, 0.0f);
        wmma::fill_fragment(c1, 0.0f);
        wmma::fill_fragment(c2, 0.0f);
        wmma::fill_fragment(c3, 0.0f);
        for (int k = 0; k < iters; k++) {
            wmma::mma_sync(c0, a, b, c0);
            wmma::mma_sync(c1, a, b, c1);
            wmma::mma_sync(c2, a, b, c2);
            wmma::mma_sync(c3, a, b, c3);
        }
        for (int t = 0; t < c0.num_elements; t++) {
            c0.x[t] = (c0.x[t] + c1.x[t]) + (c2.x[t] + c3.x[t]);
        }
        wmma::store_matrix_sync(out + tile * 256, c0, 16, wmma::mem_row_major);
    }
}
