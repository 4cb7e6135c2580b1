package dev.kiln.cuda;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;

/**
 * Device memory from {@code cuMemAlloc_v2} in one context, freed by {@link #close()}. Passes to kernels as its 64-bit
 * address.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final CudaCalls calls;
    private final CudaContext context;
    private final long address;
    private final long bytes;
    private boolean closed;

    private DeviceBuffer(CudaCalls calls, CudaContext context, long address, long bytes) {
        this.calls = calls;
        this.context = context;
        this.address = address;
        this.bytes = bytes;
    }

    /** Allocates in the current context, which the caller says is {@code context}. */
    static DeviceBuffer allocate(CudaCalls calls, CudaContext context, long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("allocation size must be positive: " + bytes);
        }
        LongByReference p = new LongByReference();
        calls.check("cuMemAlloc_v2(" + bytes + " B)", calls.lib().cuMemAlloc_v2(p, bytes));
        return new DeviceBuffer(calls, context, p.getValue(), bytes);
    }

    /** The device address ({@code CUdeviceptr}). */
    public long address() {
        return address;
    }

    public long bytes() {
        return bytes;
    }

    /** The context (and so the GPU) this memory belongs to. */
    public CudaContext context() {
        return context;
    }

    /** Sets every 32-bit word to {@code value} ({@code cuMemsetD32_v2}, ordered on the default stream). */
    public void fill32(int value) {
        ensureOpen();
        calls.check("cuMemsetD32_v2", calls.lib().cuMemsetD32_v2(address, value, bytes / 4));
    }

    public void copyFromHost(Pointer src, long byteCount) {
        ensureOpen();
        checkRange(byteCount);
        calls.check("cuMemcpyHtoD_v2", calls.lib().cuMemcpyHtoD_v2(address, src, byteCount));
    }

    public void copyToHost(Pointer dst, long byteCount) {
        ensureOpen();
        checkRange(byteCount);
        calls.check("cuMemcpyDtoH_v2", calls.lib().cuMemcpyDtoH_v2(dst, address, byteCount));
    }

    /** Copies {@code byteCount} bytes from {@code src} into this buffer on the device. */
    public void copyFrom(DeviceBuffer src, long byteCount) {
        ensureOpen();
        checkRange(byteCount);
        calls.check("cuMemcpyDtoD_v2", calls.lib().cuMemcpyDtoD_v2(address, src.address(), byteCount));
    }

    /**
     * Queues a copy of {@code byteCount} bytes from {@code src}, memory of another GPU's context (or of this one), into
     * this buffer on {@code stream} ({@code cuMemcpyPeerAsync}), and returns; wait on the stream or an event. With
     * peer access enabled between the two contexts the copy engines move the data over NVLink or PCIe directly, else
     * the driver stages it through host memory. The stream may belong to either GPU's context.
     */
    public void copyFromPeerAsync(DeviceBuffer src, long byteCount, CudaStream stream) {
        ensureOpen();
        src.ensureOpen();
        checkRange(byteCount);
        src.checkRange(byteCount);
        calls.require("cuMemcpyPeerAsync");
        calls.check("cuMemcpyPeerAsync(CUDA " + src.context.device().ordinal() + " -> CUDA "
                        + context.device().ordinal() + ")",
                calls.lib().cuMemcpyPeerAsync(address, context.handle(), src.address, src.context.handle(), byteCount,
                        stream.handle()));
    }

    /** Reads the first {@code n} 64-bit words (small result buffers: counters, mismatch records). */
    public long[] readLongs(int n) {
        if (n == 0) {
            return new long[0];
        }
        Memory m = new Memory(8L * n);
        copyToHost(m, 8L * n);
        return m.getLongArray(0, n);
    }

    /** Reads the first {@code n} floats. */
    public float[] readFloats(int n) {
        if (n == 0) {
            return new float[0];
        }
        Memory m = new Memory(4L * n);
        copyToHost(m, 4L * n);
        return m.getFloatArray(0, n);
    }

    private void checkRange(long byteCount) {
        if (byteCount < 0 || byteCount > bytes) {
            throw new IllegalArgumentException(byteCount + " B outside a buffer of " + bytes + " B");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("device buffer 0x" + Long.toHexString(address) + " is freed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            calls.check("cuMemFree_v2", calls.lib().cuMemFree_v2(address));
        }
    }
}
