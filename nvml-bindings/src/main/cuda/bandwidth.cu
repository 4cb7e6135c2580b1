// Kiln burn-in HBM bandwidth: copy (reads n, writes n) and triad c = a + s*b (reads 2n, writes n), 16-byte accesses.
extern "C" __global__ void copy_f4(const float4 *__restrict__ src, float4 *__restrict__ dst, unsigned long long n4)
{
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += stride) {
        dst[i] = src[i];
    }
}

extern "C" __global__ void triad_f4(const float4 *__restrict__ a, const float4 *__restrict__ b, float4 *__restrict__ c,
                                    float s, unsigned long long n4)
{
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += stride) {
        float4 x = a[i], y = b[i];
        c[i] = make_float4(x.x + s * y.x, x.y + s * y.y, x.z + s * y.z, x.w + s * y.w);
    }
}
