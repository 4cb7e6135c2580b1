// Kiln burn-in memory test over 32-bit words (cuda_memtest / DCGM memtest style).
// kind 0: constant `param` (moving inversions use it and its complement)
// kind 1: walking ones, word i holds 1 << ((i + param) & 31)
// kind 2: seeded random, word i holds a counter-based hash of (i, seed) (no state: any word can be recomputed)
// pattern_verify records up to maxRecs mismatches as {device address, expected, actual} triples and counts all
// of them in errCount; with invert != 0 it then writes ~expected (the moving-inversions read-write pass).
__device__ __forceinline__ unsigned int mix32(unsigned int h)
{
    h ^= h >> 16; h *= 0x85ebca6bu;
    h ^= h >> 13; h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

__device__ __forceinline__ unsigned int pattern_value(unsigned long long i, int kind, unsigned int param,
                                                      unsigned int seed)
{
    if (kind == 0) return param;
    if (kind == 1) return 1u << ((unsigned int)(i + param) & 31u);
    return mix32((unsigned int)i ^ mix32((unsigned int)(i >> 32) ^ seed ^ 0x9e3779b9u));
}

extern "C" __global__ void pattern_write(unsigned int *p, unsigned long long n, int kind, unsigned int param,
                                         unsigned int seed)
{
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        p[i] = pattern_value(i, kind, param, seed);
    }
}

extern "C" __global__ void pattern_verify(unsigned int *p, unsigned long long n, int kind, unsigned int param,
                                          unsigned int seed, int invert, unsigned long long *errCount,
                                          unsigned long long *recs, int maxRecs)
{
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        unsigned int expected = pattern_value(i, kind, param, seed);
        unsigned int actual = p[i];
        if (actual != expected) {
            unsigned long long slot = atomicAdd(errCount, 1ull);
            if (slot < (unsigned long long)maxRecs) {
                recs[slot * 3 + 0] = (unsigned long long)(p + i);
                recs[slot * 3 + 1] = expected;
                recs[slot * 3 + 2] = actual;
            }
        }
        if (invert) {
            p[i] = ~expected;
        }
    }
}
