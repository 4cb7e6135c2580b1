/*
 * A fake libcuda (driver API) for the JNA binding's tests: one GPU, "device memory" is host malloc, kernels do
 * not run. Built by FakeCudaLibraryTest with `gcc -shared -fPIC` into a temporary directory and loaded through
 * CudaLoader.load(path), so the real JNA proxy marshals every argument below.
 *
 * What it emulates:
 *   - cuGetErrorName/String for the codes Kiln names; unknown codes answer INVALID_VALUE with *pStr = NULL.
 *   - cuModuleLoadData rejects an image without ".target" as INVALID_PTX (218); cuModuleGetFunction knows the
 *     kernels of Kiln's PTX plus a test kernel `kiln_probe(ptr, ptr, u64, int, float)`.
 *   - cuLaunchKernel copies each argument's bytes (sizes from the kernel's known signature) into a record the
 *     test reads with fakeCudaLastLaunch*; compare_f32 "finds" fakeCudaSetCompareResult's counts and
 *     pattern_verify "finds" fakeCudaSetVerifyErrors' mismatches (written through the device pointers it got).
 *   - Injected failures: fakeCudaFailAlloc(rc) fails every cuMemAlloc_v2; fakeCudaFailLaunch(n, rc) makes launch
 *     number n (0-based, counted from the last reset) return rc; 700/719 then become sticky: every later call that
 *     touches the context returns the same code, as a real driver does.
 *   - cuEventElapsedTime answers 1.0 ms. cuEventElapsedTime_v2 is NOT exported (the capability probe must notice).
 *
 * Compile with -DFAKE_WITHOUT_DTOD for a library that lacks one REQUIRED symbol.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef void *CUcontext, *CUmodule, *CUfunction, *CUstream, *CUevent;

static int initialized;
static int sticky;
static int fail_alloc;
static int fail_launch_at = -1, fail_launch_rc;
static int launches;
static int live_allocs, live_host, live_streams, live_events, live_modules, retained;
static unsigned long long compare_diffs, compare_nans;
static unsigned long long verify_errors;
static const unsigned long long FAKE_FREE = 256ull << 20;
static const unsigned long long FAKE_TOTAL = 80ull << 30;

/* the last launch, as received */
static unsigned int last_grid[3], last_block[3], last_shared;
static void *last_stream;
static char last_kernel[64];
static unsigned char last_params[256];
static int last_params_len;

struct fn { char name[64]; int nparams; int sizes[12]; };
static const struct fn KERNELS[] = {
    {"kiln_probe", 5, {8, 8, 8, 4, 4}},
    {"fma_stress", 3, {8, 8, 4}},
    {"mma_bf16_stress", 3, {8, 8, 4}},
    {"compare_f32", 5, {8, 8, 8, 4, 8}},
    {"pattern_write", 5, {8, 8, 4, 4, 4}},
    {"pattern_verify", 9, {8, 8, 4, 4, 4, 4, 8, 8, 4}},
    {"copy_f4", 3, {8, 8, 8}},
    {"triad_f4", 5, {8, 8, 8, 4, 8}},
};
#define NKERNELS (int)(sizeof(KERNELS) / sizeof(KERNELS[0]))

#define STICKY_GUARD() do { if (sticky) return sticky; } while (0)

EXPORT CUresult cuInit(unsigned int flags) { (void)flags; initialized = 1; return 0; }
EXPORT CUresult cuDriverGetVersion(int *v) { *v = 13000; return 0; }

static const char *name_of(CUresult e) {
    switch (e) {
    case 0: return "CUDA_SUCCESS";
    case 1: return "CUDA_ERROR_INVALID_VALUE";
    case 2: return "CUDA_ERROR_OUT_OF_MEMORY";
    case 3: return "CUDA_ERROR_NOT_INITIALIZED";
    case 100: return "CUDA_ERROR_NO_DEVICE";
    case 218: return "CUDA_ERROR_INVALID_PTX";
    case 222: return "CUDA_ERROR_UNSUPPORTED_PTX_VERSION";
    case 500: return "CUDA_ERROR_NOT_FOUND";
    case 700: return "CUDA_ERROR_ILLEGAL_ADDRESS";
    case 719: return "CUDA_ERROR_LAUNCH_FAILED";
    default: return NULL;
    }
}
EXPORT CUresult cuGetErrorName(CUresult e, const char **p) { *p = name_of(e); return *p ? 0 : 1; }
EXPORT CUresult cuGetErrorString(CUresult e, const char **p) {
    switch (e) {
    case 2: *p = "out of memory"; return 0;
    case 218: *p = "a PTX JIT compilation failed"; return 0;
    case 719: *p = "unspecified launch failure"; return 0;
    case 700: *p = "an illegal memory access was encountered"; return 0;
    default: *p = name_of(e) ? "fake description" : NULL; return *p ? 0 : 1;
    }
}

EXPORT CUresult cuDeviceGetCount(int *n) { if (!initialized) return 3; *n = 1; return 0; }
EXPORT CUresult cuDeviceGet(CUdevice *d, int ordinal) { if (ordinal != 0) return 101; *d = 0; return 0; }
EXPORT CUresult cuDeviceGetName(char *name, int len, CUdevice d) {
    (void)d; strncpy(name, "Fake H100 80GB HBM3", (size_t)len); name[len - 1] = 0; return 0;
}
EXPORT CUresult cuDeviceGetPCIBusId(char *id, int len, CUdevice d) {
    (void)d; strncpy(id, "0000:18:00.0", (size_t)len); id[len - 1] = 0; return 0;
}
EXPORT CUresult cuDeviceGetAttribute(int *pi, int attr, CUdevice d) {
    (void)d;
    switch (attr) {
    case 16: *pi = 132; return 0;  /* MULTIPROCESSOR_COUNT */
    case 75: *pi = 9; return 0;    /* COMPUTE_CAPABILITY_MAJOR */
    case 76: *pi = 0; return 0;    /* COMPUTE_CAPABILITY_MINOR */
    default: return 1;
    }
}
EXPORT CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice d) { (void)d; *bytes = FAKE_TOTAL; return 0; }

static int ctx_token;
EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext *c, CUdevice d) { (void)d; STICKY_GUARD(); retained++; *c = &ctx_token; return 0; }
EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) { (void)d; retained--; return 0; }
EXPORT CUresult cuCtxSetCurrent(CUcontext c) { (void)c; STICKY_GUARD(); return 0; }
EXPORT CUresult cuCtxSynchronize(void) { STICKY_GUARD(); return 0; }

EXPORT CUresult cuModuleLoadData(CUmodule *m, const void *image) {
    STICKY_GUARD();
    if (image == NULL || strstr((const char *)image, ".target") == NULL) return 218;
    *m = malloc(1); live_modules++; return 0;
}
EXPORT CUresult cuModuleGetFunction(CUfunction *f, CUmodule m, const char *name) {
    (void)m; STICKY_GUARD();
    for (int i = 0; i < NKERNELS; i++) {
        if (strcmp(KERNELS[i].name, name) == 0) { *f = (void *)&KERNELS[i]; return 0; }
    }
    return 500;
}
EXPORT CUresult cuModuleUnload(CUmodule m) { free(m); live_modules--; return 0; }

EXPORT CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                               unsigned bz, unsigned shared, CUstream s, void **params, void **extra) {
    (void)extra;
    STICKY_GUARD();
    const struct fn *k = (const struct fn *)f;
    int n = launches++;
    last_grid[0] = gx; last_grid[1] = gy; last_grid[2] = gz;
    last_block[0] = bx; last_block[1] = by; last_block[2] = bz;
    last_shared = shared; last_stream = s;
    strncpy(last_kernel, k->name, sizeof last_kernel - 1);
    last_params_len = 0;
    for (int i = 0; i < k->nparams; i++) {
        memcpy(last_params + last_params_len, params[i], (size_t)k->sizes[i]);
        last_params_len += k->sizes[i];
    }
    if (n == fail_launch_at) {
        if (fail_launch_rc == 700 || fail_launch_rc == 719) sticky = fail_launch_rc;
        return fail_launch_rc;
    }
    if (strcmp(k->name, "compare_f32") == 0) {
        unsigned long long *counts = *(unsigned long long **)params[4];
        counts[0] += compare_diffs; counts[1] += compare_nans;
    } else if (strcmp(k->name, "pattern_verify") == 0 && verify_errors > 0) {
        unsigned int *p = *(unsigned int **)params[0];
        unsigned long long *count = *(unsigned long long **)params[6];
        unsigned long long *recs = *(unsigned long long **)params[7];
        int max = *(int *)params[8];
        for (unsigned long long e = 0; e < verify_errors; e++) {
            unsigned long long slot = (*count)++;
            if (slot < (unsigned long long)max) {
                recs[slot * 3] = (unsigned long long)(uintptr_t)(p + e * 1024);
                recs[slot * 3 + 1] = 0xFFFFFFFFull;
                recs[slot * 3 + 2] = 0xFFFFFFFFull ^ (1ull << (e % 32));
            }
        }
        verify_errors = 0; /* one bad launch */
    }
    return 0;
}

EXPORT CUresult cuMemGetInfo_v2(size_t *free_b, size_t *total) { STICKY_GUARD(); *free_b = FAKE_FREE; *total = FAKE_TOTAL; return 0; }
EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t bytes) {
    STICKY_GUARD();
    if (fail_alloc) return fail_alloc;
    void *m = malloc(bytes);
    if (!m) return 2;
    live_allocs++; *p = (CUdeviceptr)(uintptr_t)m; return 0;
}
EXPORT CUresult cuMemFree_v2(CUdeviceptr p) { STICKY_GUARD(); free((void *)(uintptr_t)p); live_allocs--; return 0; }
EXPORT CUresult cuMemsetD32_v2(CUdeviceptr d, unsigned int v, size_t n) {
    STICKY_GUARD();
    unsigned int *w = (unsigned int *)(uintptr_t)d;
    for (size_t i = 0; i < n; i++) w[i] = v;
    return 0;
}
EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void *h, size_t n) { STICKY_GUARD(); memcpy((void *)(uintptr_t)d, h, n); return 0; }
EXPORT CUresult cuMemcpyDtoH_v2(void *h, CUdeviceptr d, size_t n) { STICKY_GUARD(); memcpy(h, (void *)(uintptr_t)d, n); return 0; }
#ifndef FAKE_WITHOUT_DTOD
EXPORT CUresult cuMemcpyDtoD_v2(CUdeviceptr d, CUdeviceptr s, size_t n) { STICKY_GUARD(); memmove((void *)(uintptr_t)d, (void *)(uintptr_t)s, n); return 0; }
#endif
EXPORT CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void *h, size_t n, CUstream s) { (void)s; return cuMemcpyHtoD_v2(d, h, n); }
EXPORT CUresult cuMemcpyDtoHAsync_v2(void *h, CUdeviceptr d, size_t n, CUstream s) { (void)s; return cuMemcpyDtoH_v2(h, d, n); }
EXPORT CUresult cuMemHostAlloc(void **pp, size_t bytes, unsigned int flags) {
    (void)flags; STICKY_GUARD();
    *pp = malloc(bytes); if (!*pp) return 2; live_host++; return 0;
}
EXPORT CUresult cuMemFreeHost(void *p) { free(p); live_host--; return 0; }

EXPORT CUresult cuStreamCreate(CUstream *s, unsigned int flags) { (void)flags; STICKY_GUARD(); *s = malloc(1); live_streams++; return 0; }
EXPORT CUresult cuStreamSynchronize(CUstream s) { (void)s; STICKY_GUARD(); return 0; }
EXPORT CUresult cuStreamDestroy_v2(CUstream s) { free(s); live_streams--; return 0; }
EXPORT CUresult cuEventCreate(CUevent *e, unsigned int flags) { (void)flags; STICKY_GUARD(); *e = malloc(1); live_events++; return 0; }
EXPORT CUresult cuEventRecord(CUevent e, CUstream s) { (void)e; (void)s; STICKY_GUARD(); return 0; }
EXPORT CUresult cuEventSynchronize(CUevent e) { (void)e; STICKY_GUARD(); return 0; }
EXPORT CUresult cuEventElapsedTime(float *ms, CUevent a, CUevent b) { (void)a; (void)b; STICKY_GUARD(); *ms = 1.0f; return 0; }
EXPORT CUresult cuEventDestroy_v2(CUevent e) { free(e); live_events--; return 0; }

/* ---- test control ---- */
EXPORT void fakeCudaReset(void) {
    sticky = 0; fail_alloc = 0; fail_launch_at = -1; fail_launch_rc = 0; launches = 0;
    compare_diffs = compare_nans = 0; verify_errors = 0;
}
EXPORT void fakeCudaFailAlloc(int rc) { fail_alloc = rc; }
EXPORT void fakeCudaFailLaunch(int at, int rc) { fail_launch_at = at; fail_launch_rc = rc; }
EXPORT void fakeCudaSetCompareResult(unsigned long long diffs, unsigned long long nans) { compare_diffs = diffs; compare_nans = nans; }
EXPORT void fakeCudaSetVerifyErrors(unsigned long long n) { verify_errors = n; }
EXPORT int fakeCudaLaunches(void) { return launches; }
/* live allocations + host buffers + streams + events + modules + retained primary contexts */
EXPORT int fakeCudaLiveResources(void) { return live_allocs + live_host + live_streams + live_events + live_modules + retained; }
EXPORT int fakeCudaRetained(void) { return retained; }
EXPORT void fakeCudaLastLaunch(unsigned int *dims /* 7: grid xyz, block xyz, shared */, char *kernel, int len) {
    for (int i = 0; i < 3; i++) { dims[i] = last_grid[i]; dims[3 + i] = last_block[i]; }
    dims[6] = last_shared;
    strncpy(kernel, last_kernel, (size_t)len); kernel[len - 1] = 0;
}
EXPORT void *fakeCudaLastStream(void) { return last_stream; }
EXPORT int fakeCudaLastParams(unsigned char *out, int len) {
    int n = last_params_len < len ? last_params_len : len;
    memcpy(out, last_params, (size_t)n);
    return last_params_len;
}
