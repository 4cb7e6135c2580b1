/*
 * A fake libcublasLt for the cuBLASLt binding's tests. It works on fake_cuda.c's device memory model ("device
 * pointers" are host malloc addresses), so cublasLtMatmul does a real, small GEMM: BF16 x BF16 -> FP32, any
 * transposes, column-major, with alpha and beta. Built with `gcc -shared -fPIC` by FakeCublasLt.java and loaded
 * through CublasLtLoader.load(path), so the real JNA proxy marshals every argument.
 *
 * What it checks and records:
 *   - descriptors and layouts are real objects (malloc'd; a leak shows in fakeCublasLtLive());
 *   - cublasLtMatmul and cublasLtMatmulAlgoGetHeuristic check that the layouts agree with the transposes
 *     (op(A) is m x k, op(B) is k x n, C and D are m x n, ld >= rows: else INVALID_VALUE) and support only
 *     BF16 A/B, FP32 C/D, COMPUTE_32F and FP32 scale (else NOT_SUPPORTED), like the real library's table;
 *   - cublasLtMatmul needs an algorithm from the heuristic (data[0] == ALGO_TAG) and at least its workspace;
 *   - the last heuristic and matmul arguments are recorded for fakeCublasLtLast (indices LAST_* below).
 *
 * Injected faults (all counted from the last fakeCublasLtReset, matmul calls 0-based):
 *   fakeCublasLtCorrupt(call, index, nan): after matmul number `call`, D[index] gets its lowest mantissa bit
 *     flipped (nan = 0) or becomes NaN (nan = 1): a silent wrong result the workload's compare must catch;
 *   fakeCublasLtFailMatmul(call, status): matmul number `call` returns `status`, D untouched;
 *   fakeCublasLtFailCreate(status): cublasLtCreate returns `status`;
 *   fakeCublasLtNoAlgorithm(1): the heuristic succeeds with zero algorithms.
 *
 * -DFAKE_LT_OLD leaves out the optional cublasLtGetStatusName/String and cublasLtGetCudartVersion (an old
 * release); -DFAKE_LT_WITHOUT_MATMUL leaves out the required cublasLtMatmul.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef int cublasStatus_t;
enum { OK = 0, NOT_INITIALIZED = 1, INVALID_VALUE = 7, NOT_SUPPORTED = 15 };
enum { CUDA_R_32F = 0, CUDA_R_16BF = 14, COMPUTE_32F = 68 };
enum { DESC_TRANSA = 3, DESC_TRANSB = 4, PREF_MAX_WORKSPACE_BYTES = 1 };
static const uint64_t ALGO_TAG = 0x4b494c4e414c474full; /* "KILNALGO" */
static const size_t ALGO_WORKSPACE = 4u << 20;

typedef struct { int magic; } handle_t;
typedef struct { int compute, scale, transa, transb; } desc_t;
typedef struct { int type; uint64_t rows, cols; int64_t ld; } layout_t;
typedef struct { uint64_t max_workspace; } pref_t;
typedef struct { uint64_t data[8]; } algo_t;
typedef struct { algo_t algo; size_t workspaceSize; cublasStatus_t state; float wavesCount; int reserved[4]; } heuristic_t;

_Static_assert(sizeof(heuristic_t) == 96, "cublasLtMatmulHeuristicResult_t is 96 bytes");

static int live_handles, live_descs, live_layouts, live_prefs;
static int matmul_calls;
static int corrupt_at = -1, corrupt_nan;
static long long corrupt_index;
static int fail_at = -1, fail_status;
static int fail_create;
static int no_algorithm;

/* what the last calls received, for fakeCublasLtLast */
enum {
    LAST_M, LAST_N, LAST_K, LAST_TRANSA, LAST_TRANSB, LAST_COMPUTE, LAST_SCALE,
    LAST_A_TYPE, LAST_A_ROWS, LAST_A_COLS, LAST_A_LD,
    LAST_B_TYPE, LAST_B_ROWS, LAST_B_COLS, LAST_B_LD,
    LAST_C_TYPE, LAST_C_ROWS, LAST_C_COLS, LAST_C_LD,
    LAST_D_TYPE, LAST_D_ROWS, LAST_D_COLS, LAST_D_LD,
    LAST_PREF_WORKSPACE, LAST_REQUESTED_ALGOS, LAST_WORKSPACE_SIZE, LAST_WORKSPACE_PTR, LAST_STREAM,
    LAST_ALGO_TAG, LAST_ALPHA_BITS, LAST_BETA_BITS, LAST_C_EQUALS_D,
    LAST_COUNT
};
static long long last[LAST_COUNT];

EXPORT cublasStatus_t cublasLtCreate(handle_t **h) {
    if (fail_create) return fail_create;
    *h = malloc(sizeof **h); (*h)->magic = 0x4c74; live_handles++; return OK;
}
EXPORT cublasStatus_t cublasLtDestroy(handle_t *h) { if (!h) return NOT_INITIALIZED; free(h); live_handles--; return OK; }
EXPORT size_t cublasLtGetVersion(void) { return 120805; }

#ifndef FAKE_LT_OLD
EXPORT size_t cublasLtGetCudartVersion(void) { return 12080; }
EXPORT const char *cublasLtGetStatusName(cublasStatus_t s) {
    switch (s) {
    case 0: return "CUBLAS_STATUS_SUCCESS";
    case 1: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case 3: return "CUBLAS_STATUS_ALLOC_FAILED";
    case 7: return "CUBLAS_STATUS_INVALID_VALUE";
    case 8: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case 13: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case 14: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case 15: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "<unrecognized>";
    }
}
EXPORT const char *cublasLtGetStatusString(cublasStatus_t s) {
    return s == 13 ? "the GPU program failed to execute" : "fake status description";
}
#endif

EXPORT cublasStatus_t cublasLtMatmulDescCreate(desc_t **d, int compute, int scale) {
    *d = calloc(1, sizeof **d); (*d)->compute = compute; (*d)->scale = scale; live_descs++; return OK;
}
EXPORT cublasStatus_t cublasLtMatmulDescDestroy(desc_t *d) { free(d); live_descs--; return OK; }
EXPORT cublasStatus_t cublasLtMatmulDescSetAttribute(desc_t *d, int attr, const void *buf, size_t size) {
    if (!d || !buf) return INVALID_VALUE;
    if (attr == DESC_TRANSA || attr == DESC_TRANSB) {
        if (size != sizeof(int32_t)) return INVALID_VALUE;
        int32_t v; memcpy(&v, buf, sizeof v);
        if (v != 0 && v != 1) return INVALID_VALUE;
        if (attr == DESC_TRANSA) d->transa = v; else d->transb = v;
        return OK;
    }
    return INVALID_VALUE;
}

EXPORT cublasStatus_t cublasLtMatrixLayoutCreate(layout_t **l, int type, uint64_t rows, uint64_t cols, int64_t ld) {
    if (ld < (int64_t)rows) return INVALID_VALUE;
    *l = malloc(sizeof **l); (*l)->type = type; (*l)->rows = rows; (*l)->cols = cols; (*l)->ld = ld;
    live_layouts++; return OK;
}
EXPORT cublasStatus_t cublasLtMatrixLayoutDestroy(layout_t *l) { free(l); live_layouts--; return OK; }

EXPORT cublasStatus_t cublasLtMatmulPreferenceCreate(pref_t **p) { *p = calloc(1, sizeof **p); live_prefs++; return OK; }
EXPORT cublasStatus_t cublasLtMatmulPreferenceDestroy(pref_t *p) { free(p); live_prefs--; return OK; }
EXPORT cublasStatus_t cublasLtMatmulPreferenceSetAttribute(pref_t *p, int attr, const void *buf, size_t size) {
    if (!p || !buf || attr != PREF_MAX_WORKSPACE_BYTES || size != sizeof(uint64_t)) return INVALID_VALUE;
    memcpy(&p->max_workspace, buf, sizeof p->max_workspace);
    return OK;
}

static void record_layout(int at, const layout_t *l) {
    last[at] = l->type; last[at + 1] = (long long)l->rows; last[at + 2] = (long long)l->cols; last[at + 3] = l->ld;
}

/* Checks the operation and records it; answers m, n, k through the pointers. */
static cublasStatus_t validate(const desc_t *d, const layout_t *a, const layout_t *b, const layout_t *c,
                               const layout_t *dd, uint64_t *m, uint64_t *n, uint64_t *k) {
    if (!d || !a || !b || !c || !dd) return INVALID_VALUE;
    last[LAST_TRANSA] = d->transa; last[LAST_TRANSB] = d->transb;
    last[LAST_COMPUTE] = d->compute; last[LAST_SCALE] = d->scale;
    record_layout(LAST_A_TYPE, a); record_layout(LAST_B_TYPE, b);
    record_layout(LAST_C_TYPE, c); record_layout(LAST_D_TYPE, dd);
    uint64_t am = d->transa ? a->cols : a->rows, ak = d->transa ? a->rows : a->cols;
    uint64_t bk = d->transb ? b->cols : b->rows, bn = d->transb ? b->rows : b->cols;
    if (ak != bk || dd->rows != am || dd->cols != bn || c->rows != dd->rows || c->cols != dd->cols) return INVALID_VALUE;
    if (a->type != CUDA_R_16BF || b->type != CUDA_R_16BF || c->type != CUDA_R_32F || dd->type != CUDA_R_32F
        || d->compute != COMPUTE_32F || d->scale != CUDA_R_32F) return NOT_SUPPORTED;
    *m = am; *n = bn; *k = ak;
    last[LAST_M] = (long long)am; last[LAST_N] = (long long)bn; last[LAST_K] = (long long)ak;
    return OK;
}

EXPORT cublasStatus_t cublasLtMatmulAlgoGetHeuristic(handle_t *h, desc_t *d, layout_t *a, layout_t *b, layout_t *c,
                                                     layout_t *dd, pref_t *p, int requested, heuristic_t *results,
                                                     int *returned) {
    uint64_t m, n, k;
    if (!h || !p || !results || !returned || requested < 1) return INVALID_VALUE;
    last[LAST_PREF_WORKSPACE] = (long long)p->max_workspace;
    last[LAST_REQUESTED_ALGOS] = requested;
    cublasStatus_t st = validate(d, a, b, c, dd, &m, &n, &k);
    if (st != OK) return st;
    *returned = 0;
    if (no_algorithm) return OK;
    memset(&results[0], 0, sizeof results[0]);
    results[0].algo.data[0] = ALGO_TAG;
    results[0].algo.data[1] = m * n * k;
    results[0].workspaceSize = p->max_workspace < ALGO_WORKSPACE ? p->max_workspace : ALGO_WORKSPACE;
    results[0].state = OK;
    results[0].wavesCount = 1.5f;
    *returned = 1;
    return OK;
}

#ifndef FAKE_LT_WITHOUT_MATMUL
static float bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16; float f; memcpy(&f, &bits, sizeof f); return f;
}

EXPORT cublasStatus_t cublasLtMatmul(handle_t *h, desc_t *d, const float *alpha, const uint16_t *A, layout_t *a,
                                     const uint16_t *B, layout_t *b, const float *beta, const float *C, layout_t *c,
                                     float *D, layout_t *dd, const algo_t *algo, void *workspace, size_t wsSize,
                                     void *stream) {
    int call = matmul_calls++;
    uint64_t m, n, k;
    if (!h || !alpha || !beta || !A || !B || !D) return INVALID_VALUE;
    cublasStatus_t st = validate(d, a, b, c, dd, &m, &n, &k);
    if (st != OK) return st;
    last[LAST_WORKSPACE_SIZE] = (long long)wsSize;
    last[LAST_WORKSPACE_PTR] = (long long)(uintptr_t)workspace;
    last[LAST_STREAM] = (long long)(uintptr_t)stream;
    last[LAST_ALGO_TAG] = algo ? (long long)algo->data[0] : 0;
    uint32_t bits;
    memcpy(&bits, alpha, 4); last[LAST_ALPHA_BITS] = bits;
    memcpy(&bits, beta, 4); last[LAST_BETA_BITS] = bits;
    last[LAST_C_EQUALS_D] = (const void *)C == (const void *)D;
    if (!algo || algo->data[0] != ALGO_TAG) return INVALID_VALUE;
    uint64_t need = (uint64_t)last[LAST_PREF_WORKSPACE] < ALGO_WORKSPACE ? (uint64_t)last[LAST_PREF_WORKSPACE] : ALGO_WORKSPACE;
    if (wsSize < need || (need > 0 && !workspace)) return INVALID_VALUE;  /* less than the algorithm asked for */
    if (call == fail_at) return fail_status;
    float al = *alpha, be = *beta;
    for (uint64_t j = 0; j < n; j++) {
        for (uint64_t i = 0; i < m; i++) {
            float sum = 0.0f;
            for (uint64_t p = 0; p < k; p++) {
                float x = bf16_to_float(d->transa ? A[p + i * a->ld] : A[i + p * a->ld]);
                float y = bf16_to_float(d->transb ? B[j + p * b->ld] : B[p + j * b->ld]);
                sum += x * y;
            }
            float out = al * sum;
            if (be != 0.0f) out += be * C[i + j * c->ld];  /* beta = 0: C is not read, as in cuBLAS */
            D[i + j * dd->ld] = out;
        }
    }
    if (call == corrupt_at) {
        float *e = &D[corrupt_index];
        if (corrupt_nan) {
            uint32_t nan = 0x7fc00000u; memcpy(e, &nan, 4);
        } else {
            uint32_t v; memcpy(&v, e, 4); v ^= 1u; memcpy(e, &v, 4);
        }
    }
    return OK;
}
#endif

/* ---- test control ---- */
EXPORT void fakeCublasLtReset(void) {
    matmul_calls = 0; corrupt_at = -1; corrupt_index = 0; corrupt_nan = 0; fail_at = -1; fail_status = 0;
    fail_create = 0; no_algorithm = 0; memset(last, 0, sizeof last);
}
EXPORT void fakeCublasLtCorrupt(int call, long long index, int nan) { corrupt_at = call; corrupt_index = index; corrupt_nan = nan; }
EXPORT void fakeCublasLtFailMatmul(int call, int status) { fail_at = call; fail_status = status; }
EXPORT void fakeCublasLtFailCreate(int status) { fail_create = status; }
EXPORT void fakeCublasLtNoAlgorithm(int on) { no_algorithm = on; }
EXPORT int fakeCublasLtMatmulCalls(void) { return matmul_calls; }
/* live handles + descriptors + layouts + preferences */
EXPORT int fakeCublasLtLive(void) { return live_handles + live_descs + live_layouts + live_prefs; }
EXPORT int fakeCublasLtLast(long long *out, int len) {
    int n = len < LAST_COUNT ? len : LAST_COUNT;
    memcpy(out, last, (size_t)n * sizeof last[0]);
    return LAST_COUNT;
}
