package dev.kiln.cuda.blas.raw;

import com.sun.jna.Structure;

/**
 * {@code cublasLtMatmulHeuristicResult_t}, 96 bytes: {@code cublasLtMatmulAlgo_t algo} ({@code uint64_t data[8]},
 * opaque, at offset 0 so a pointer to this structure is a pointer to its algorithm), {@code size_t workspaceSize},
 * {@code cublasStatus_t state}, {@code float wavesCount}, {@code int reserved[4]}. Stays inside the typed layer.
 */
@Structure.FieldOrder({"algo", "workspaceSize", "state", "wavesCount", "reserved"})
public final class HeuristicResult extends Structure {
    public static final int SIZE = 96;

    public long[] algo = new long[8];
    public long workspaceSize;
    public int state;
    public float wavesCount;
    public int[] reserved = new int[4];
}
