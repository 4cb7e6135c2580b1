// Kiln burn-in oracle (the gpu-burn/DCGM method): repeat identical work and compare. Counts elements of
// `a` that differ from `ref` by more than `tol` (absolute) into counts[0] and NaNs in `a` into counts[1].
// A NaN also counts as a difference.
extern "C" __global__ void compare_f32(const float *a, const float *ref, unsigned long long n, float tol,
                                       unsigned long long *counts)
{
    unsigned long long diff = 0, nans = 0;
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        float x = a[i];
        float r = ref[i];
        if (x != x) {
            nans++;
            diff++;
        } else if (!(fabsf(x - r) <= tol)) {
            diff++;
        }
    }
    if (diff) atomicAdd(&counts[0], diff);
    if (nans) atomicAdd(&counts[1], nans);
}
