/*
 * A fake libcuda (driver API) for the JNA binding's tests: one GPU by default (fakeCudaSetDeviceCount: up to 8, an
 * HGX's bus ids), "device memory" is host malloc, kernels do not run. Built by FakeCudaLibraryTest with `gcc -shared -fPIC` into a temporary directory and loaded through
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
 *   - fakeCudaRealData(1) (for tests whose data comes from elsewhere, e.g. fake_cublaslt.c's real GEMM):
 *     compare_f32 really compares its two buffers (as compare.cu does: |a - ref| > tol or NaN, NaNs counted
 *     separately) before adding the injected counts, and fma_stress / mma_bf16_stress write zeros to their output
 *     (identical repeats), so only a wrong result written by someone else shows up as a mismatch.
 *   - One primary context per device. Allocations, streams and events belong to the context current when they were
 *     made (one current context for the process, unlike the driver's per-thread one: tests call from one thread);
 *     none current -> INVALID_CONTEXT (201). cuEventRecord on a stream of another context, or cuEventElapsedTime
 *     across contexts -> INVALID_HANDLE (400).
 *   - Peers: cuDeviceCanAccessPeer answers per fakeCudaSetPeerAccess (default: every pair of distinct devices);
 *     cuCtxEnablePeerAccess (current context -> peer) answers 217 where not allowed, 704 when already enabled;
 *     cuCtxDisablePeerAccess 705 when not enabled; a primary context's last release drops its mappings.
 *     cuMemcpyPeerAsync checks that dst and src lie inside allocations of dstContext and srcContext (INVALID_VALUE
 *     otherwise, so swapped arguments fail), memmoves, and counts copies per (source, destination) device;
 *     fakeCudaFailPeerCopy(src, dst, rc) fails every copy between those devices. cuStreamWaitEvent is counted.
 *
 * Compile with -DFAKE_WITHOUT_DTOD for a library that lacks one REQUIRED symbol, -DFAKE_WITHOUT_PEER for one without
 * the optional peer-copy symbols.
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
static int live_allocs, live_host, live_streams, live_events, live_modules;

#define MAX_DEV 8
static int device_count = 1;
static const char *const BUS_IDS[MAX_DEV] = {
    "0000:18:00.0", "0000:2A:00.0", "0000:3A:00.0", "0000:5D:00.0",
    "0000:9A:00.0", "0000:AB:00.0", "0000:BA:00.0", "0000:DB:00.0",
};
struct ctx { int device; };
static struct ctx contexts[MAX_DEV] = {{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}};
static struct ctx *current;
static int retained[MAX_DEV];
static int peer_blocked[MAX_DEV][MAX_DEV];  /* 1: cuDeviceCanAccessPeer says no */
static int peer_on[MAX_DEV][MAX_DEV];       /* [from][to]: context `from` may access `to`'s memory */
static unsigned long long peer_copies[MAX_DEV][MAX_DEV], peer_bytes[MAX_DEV][MAX_DEV];
static unsigned long long peer_copies_unmapped, stream_waits;
static int fail_peer_src = -1, fail_peer_dst = -1, fail_peer_rc;

/* device memory: which context each allocation belongs to */
struct alloc { uintptr_t base; size_t size; struct ctx *ctx; };
#define MAX_ALLOCS 4096
static struct alloc allocs[MAX_ALLOCS];
/* streams and events remember their context */
struct handle { struct ctx *ctx; };

static struct ctx *ctx_of(void *c) {
    for (int i = 0; i < MAX_DEV; i++) if (c == &contexts[i]) return &contexts[i];
    return NULL;
}
static int retained_total(void) { int n = 0; for (int i = 0; i < MAX_DEV; i++) n += retained[i]; return n; }
static int peer_mappings(void) {
    int n = 0;
    for (int i = 0; i < MAX_DEV; i++) for (int j = 0; j < MAX_DEV; j++) n += peer_on[i][j];
    return n;
}
/* the allocation of `ctx` holding [p, p + n), or NULL */
static __attribute__((unused)) struct alloc *alloc_in(struct ctx *ctx, uintptr_t p, size_t n) {
    for (int i = 0; i < MAX_ALLOCS; i++) {
        struct alloc *a = &allocs[i];
        if (a->base && a->ctx == ctx && p >= a->base && p + n <= a->base + a->size) return a;
    }
    return NULL;
}
/* fakeCudaReset's part for devices and peers: one device, every pair allowed, no injected failure, counters 0 */
static void reset_devices(void) {
    device_count = 1;
    memset(peer_blocked, 0, sizeof peer_blocked);
    memset(peer_copies, 0, sizeof peer_copies); memset(peer_bytes, 0, sizeof peer_bytes);
    peer_copies_unmapped = 0; stream_waits = 0;
    fail_peer_src = fail_peer_dst = -1; fail_peer_rc = 0;
}
static unsigned long long compare_diffs, compare_nans;
static unsigned long long verify_errors;
static int real_data;
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
    case 101: return "CUDA_ERROR_INVALID_DEVICE";
    case 201: return "CUDA_ERROR_INVALID_CONTEXT";
    case 217: return "CUDA_ERROR_PEER_ACCESS_UNSUPPORTED";
    case 218: return "CUDA_ERROR_INVALID_PTX";
    case 220: return "CUDA_ERROR_NVLINK_UNCORRECTABLE";
    case 222: return "CUDA_ERROR_UNSUPPORTED_PTX_VERSION";
    case 400: return "CUDA_ERROR_INVALID_HANDLE";
    case 500: return "CUDA_ERROR_NOT_FOUND";
    case 700: return "CUDA_ERROR_ILLEGAL_ADDRESS";
    case 704: return "CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED";
    case 705: return "CUDA_ERROR_PEER_ACCESS_NOT_ENABLED";
    case 719: return "CUDA_ERROR_LAUNCH_FAILED";
    default: return NULL;
    }
}
EXPORT CUresult cuGetErrorName(CUresult e, const char **p) { *p = name_of(e); return *p ? 0 : 1; }
EXPORT CUresult cuGetErrorString(CUresult e, const char **p) {
    switch (e) {
    case 2: *p = "out of memory"; return 0;
    case 218: *p = "a PTX JIT compilation failed"; return 0;
    case 220: *p = "an uncorrectable NVLink error was detected during the execution"; return 0;
    case 719: *p = "unspecified launch failure"; return 0;
    case 700: *p = "an illegal memory access was encountered"; return 0;
    default: *p = name_of(e) ? "fake description" : NULL; return *p ? 0 : 1;
    }
}

#define DEVICE_GUARD(d) do { if ((d) < 0 || (d) >= device_count) return 101; } while (0)

EXPORT CUresult cuDeviceGetCount(int *n) { if (!initialized) return 3; *n = device_count; return 0; }
EXPORT CUresult cuDeviceGet(CUdevice *d, int ordinal) { DEVICE_GUARD(ordinal); *d = ordinal; return 0; }
/* every device the same model, as in an HGX; the bus ids tell them apart */
EXPORT CUresult cuDeviceGetName(char *name, int len, CUdevice d) {
    DEVICE_GUARD(d); strncpy(name, "Fake H100 80GB HBM3", (size_t)len); name[len - 1] = 0; return 0;
}
EXPORT CUresult cuDeviceGetPCIBusId(char *id, int len, CUdevice d) {
    DEVICE_GUARD(d); strncpy(id, BUS_IDS[d], (size_t)len); id[len - 1] = 0; return 0;
}
EXPORT CUresult cuDeviceGetAttribute(int *pi, int attr, CUdevice d) {
    DEVICE_GUARD(d);
    switch (attr) {
    case 16: *pi = 132; return 0;  /* MULTIPROCESSOR_COUNT */
    case 75: *pi = 9; return 0;    /* COMPUTE_CAPABILITY_MAJOR */
    case 76: *pi = 0; return 0;    /* COMPUTE_CAPABILITY_MINOR */
    default: return 1;
    }
}
EXPORT CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice d) { DEVICE_GUARD(d); *bytes = FAKE_TOTAL; return 0; }

EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext *c, CUdevice d) {
    DEVICE_GUARD(d); STICKY_GUARD(); retained[d]++; *c = &contexts[d]; return 0;
}
EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) {
    DEVICE_GUARD(d);
    if (retained[d] == 0) return 201;
    if (--retained[d] == 0) { /* the context is destroyed, and with it every peer mapping from or to it */
        for (int i = 0; i < MAX_DEV; i++) { peer_on[d][i] = 0; peer_on[i][d] = 0; }
    }
    return 0;
}
EXPORT CUresult cuCtxSetCurrent(CUcontext c) {
    STICKY_GUARD();
    if (c != NULL && ctx_of(c) == NULL) return 201;
    current = (struct ctx *)c; return 0;
}
EXPORT CUresult cuCtxSynchronize(void) { STICKY_GUARD(); return current ? 0 : 201; }

#ifndef FAKE_WITHOUT_PEER
EXPORT CUresult cuDeviceCanAccessPeer(int *can, CUdevice d, CUdevice peer) {
    DEVICE_GUARD(d); DEVICE_GUARD(peer);
    *can = d != peer && !peer_blocked[d][peer]; return 0;
}
EXPORT CUresult cuCtxEnablePeerAccess(CUcontext peer, unsigned int flags) {
    STICKY_GUARD();
    struct ctx *p = ctx_of(peer);
    if (current == NULL || p == NULL) return 201;
    if (flags != 0) return 1;
    if (p == current) return 101;
    if (peer_blocked[current->device][p->device]) return 217;
    if (peer_on[current->device][p->device]) return 704;
    peer_on[current->device][p->device] = 1; return 0;
}
EXPORT CUresult cuCtxDisablePeerAccess(CUcontext peer) {
    STICKY_GUARD();
    struct ctx *p = ctx_of(peer);
    if (current == NULL || p == NULL) return 201;
    if (!peer_on[current->device][p->device]) return 705;
    peer_on[current->device][p->device] = 0; return 0;
}
#endif

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
        if (real_data) {
            const float *a = *(const float **)params[0], *ref = *(const float **)params[1];
            unsigned long long n = *(unsigned long long *)params[2];
            float tol = *(float *)params[3];
            for (unsigned long long i = 0; i < n; i++) {
                float x = a[i], d = a[i] - ref[i];
                if (x != x) { counts[1]++; counts[0]++; }
                else if (!((d < 0 ? -d : d) <= tol)) counts[0]++;
            }
        }
        counts[0] += compare_diffs; counts[1] += compare_nans;
    } else if (real_data && (strcmp(k->name, "fma_stress") == 0 || strcmp(k->name, "mma_bf16_stress") == 0)) {
        float *out = *(float **)params[0];
        unsigned long long n = *(unsigned long long *)params[1];   /* elements, or 256-element tiles for mma */
        memset(out, 0, (size_t)(strcmp(k->name, "mma_bf16_stress") == 0 ? n * 256 : n) * sizeof(float));
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
    if (current == NULL) return 201;
    if (fail_alloc) return fail_alloc;
    struct alloc *slot = NULL;
    for (int i = 0; i < MAX_ALLOCS && !slot; i++) if (!allocs[i].base) slot = &allocs[i];
    if (!slot) return 2;
    void *m = malloc(bytes);
    if (!m) return 2;
    slot->base = (uintptr_t)m; slot->size = bytes; slot->ctx = current;
    live_allocs++; *p = (CUdeviceptr)(uintptr_t)m; return 0;
}
EXPORT CUresult cuMemFree_v2(CUdeviceptr p) {
    STICKY_GUARD();
    for (int i = 0; i < MAX_ALLOCS; i++) {
        if (allocs[i].base == (uintptr_t)p) {
            allocs[i].base = 0; free((void *)(uintptr_t)p); live_allocs--; return 0;
        }
    }
    return 1;
}
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
#ifndef FAKE_WITHOUT_PEER
EXPORT CUresult cuMemcpyPeerAsync(CUdeviceptr dst, CUcontext dst_ctx, CUdeviceptr src, CUcontext src_ctx, size_t n,
                                  CUstream s) {
    (void)s;
    STICKY_GUARD();
    struct ctx *dc = ctx_of(dst_ctx), *sc = ctx_of(src_ctx);
    if (dc == NULL || sc == NULL) return 201;
    if (alloc_in(dc, (uintptr_t)dst, n) == NULL || alloc_in(sc, (uintptr_t)src, n) == NULL) return 1;
    int from = sc->device, to = dc->device;
    if (fail_peer_rc && from == fail_peer_src && to == fail_peer_dst) {
        if (fail_peer_rc == 700 || fail_peer_rc == 719) sticky = fail_peer_rc;
        return fail_peer_rc;
    }
    if (from != to && !peer_on[from][to] && !peer_on[to][from]) peer_copies_unmapped++;
    memmove((void *)(uintptr_t)dst, (void *)(uintptr_t)src, n);
    peer_copies[from][to]++; peer_bytes[from][to] += n;
    return 0;
}
#endif
EXPORT CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void *h, size_t n, CUstream s) { (void)s; return cuMemcpyHtoD_v2(d, h, n); }
EXPORT CUresult cuMemcpyDtoHAsync_v2(void *h, CUdeviceptr d, size_t n, CUstream s) { (void)s; return cuMemcpyDtoH_v2(h, d, n); }
EXPORT CUresult cuMemHostAlloc(void **pp, size_t bytes, unsigned int flags) {
    (void)flags; STICKY_GUARD();
    *pp = malloc(bytes); if (!*pp) return 2; live_host++; return 0;
}
EXPORT CUresult cuMemFreeHost(void *p) { free(p); live_host--; return 0; }

static struct handle *new_handle(void) {
    struct handle *h = malloc(sizeof *h);
    if (h) h->ctx = current;
    return h;
}
EXPORT CUresult cuStreamCreate(CUstream *s, unsigned int flags) {
    (void)flags; STICKY_GUARD();
    if (current == NULL) return 201;
    *s = new_handle(); live_streams++; return 0;
}
EXPORT CUresult cuStreamSynchronize(CUstream s) { (void)s; STICKY_GUARD(); return 0; }
EXPORT CUresult cuStreamDestroy_v2(CUstream s) { free(s); live_streams--; return 0; }
#ifndef FAKE_WITHOUT_PEER
EXPORT CUresult cuStreamWaitEvent(CUstream s, CUevent e, unsigned int flags) {
    (void)s; STICKY_GUARD();
    if (e == NULL) return 400;
    if (flags != 0) return 1;
    stream_waits++; return 0;
}
#endif
EXPORT CUresult cuEventCreate(CUevent *e, unsigned int flags) {
    (void)flags; STICKY_GUARD();
    if (current == NULL) return 201;
    *e = new_handle(); live_events++; return 0;
}
EXPORT CUresult cuEventRecord(CUevent e, CUstream s) {
    STICKY_GUARD();
    struct ctx *owner = s ? ((struct handle *)s)->ctx : current;
    return ((struct handle *)e)->ctx == owner ? 0 : 400;
}
EXPORT CUresult cuEventSynchronize(CUevent e) { (void)e; STICKY_GUARD(); return 0; }
EXPORT CUresult cuEventElapsedTime(float *ms, CUevent a, CUevent b) {
    STICKY_GUARD();
    if (((struct handle *)a)->ctx != ((struct handle *)b)->ctx) return 400;
    *ms = 1.0f; return 0;
}
EXPORT CUresult cuEventDestroy_v2(CUevent e) { free(e); live_events--; return 0; }

/* ---- test control ---- */
/* Clears injected failures and counters, and goes back to one device with every peer pair allowed; leaves live
 * resources (allocations, contexts, peer mappings) alone: tests compare fakeCudaLiveResources with a baseline. */
EXPORT void fakeCudaReset(void) {
    reset_devices();
    sticky = 0; fail_alloc = 0; fail_launch_at = -1; fail_launch_rc = 0; launches = 0;
    compare_diffs = compare_nans = 0; verify_errors = 0; real_data = 0;
}
EXPORT void fakeCudaRealData(int on) { real_data = on; }
EXPORT void fakeCudaSetDeviceCount(int n) { device_count = n < 1 ? 1 : n > MAX_DEV ? MAX_DEV : n; }
/* what cuDeviceCanAccessPeer(dev, peer) answers, and whether cuCtxEnablePeerAccess allows it */
EXPORT void fakeCudaSetPeerAccess(int dev, int peer, int ok) { peer_blocked[dev][peer] = !ok; }
EXPORT void fakeCudaFailPeerCopy(int src, int dst, int rc) { fail_peer_src = src; fail_peer_dst = dst; fail_peer_rc = rc; }
EXPORT unsigned long long fakeCudaPeerCopies(int src, int dst) { return peer_copies[src][dst]; }
EXPORT unsigned long long fakeCudaPeerBytes(int src, int dst) { return peer_bytes[src][dst]; }
/* peer copies between two devices when neither had peer access to the other */
EXPORT unsigned long long fakeCudaPeerCopiesUnmapped(void) { return peer_copies_unmapped; }
EXPORT unsigned long long fakeCudaStreamWaits(void) { return stream_waits; }
EXPORT int fakeCudaPeerMappings(void) { return peer_mappings(); }
EXPORT int fakeCudaPeerEnabled(int from, int to) { return peer_on[from][to]; }
EXPORT void fakeCudaFailAlloc(int rc) { fail_alloc = rc; }
EXPORT void fakeCudaFailLaunch(int at, int rc) { fail_launch_at = at; fail_launch_rc = rc; }
EXPORT void fakeCudaSetCompareResult(unsigned long long diffs, unsigned long long nans) { compare_diffs = diffs; compare_nans = nans; }
EXPORT void fakeCudaSetVerifyErrors(unsigned long long n) { verify_errors = n; }
EXPORT int fakeCudaLaunches(void) { return launches; }
/* live allocations + host buffers + streams + events + modules + retained primary contexts + peer mappings */
EXPORT int fakeCudaLiveResources(void) {
    return live_allocs + live_host + live_streams + live_events + live_modules + retained_total() + peer_mappings();
}
EXPORT int fakeCudaRetained(void) { return retained_total(); }
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
