package dev.kiln.cuda;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/** Page-locked host memory from {@code cuMemHostAlloc}, freed by {@link #close()}. */
public final class PinnedBuffer implements AutoCloseable {
    private final CudaCalls calls;
    private final Pointer pointer;
    private final long bytes;
    private boolean closed;

    private PinnedBuffer(CudaCalls calls, Pointer pointer, long bytes) {
        this.calls = calls;
        this.pointer = pointer;
        this.bytes = bytes;
    }

    static PinnedBuffer allocate(CudaCalls calls, long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("allocation size must be positive: " + bytes);
        }
        PointerByReference p = new PointerByReference();
        calls.check("cuMemHostAlloc(" + bytes + " B)", calls.lib().cuMemHostAlloc(p, bytes, 0));
        return new PinnedBuffer(calls, p.getValue(), bytes);
    }

    /** The host pointer; valid until {@link #close()}. */
    public Pointer pointer() {
        if (closed) {
            throw new IllegalStateException("pinned buffer is freed");
        }
        return pointer;
    }

    public long bytes() {
        return bytes;
    }

    /** Asynchronous host-to-device copy of {@code byteCount} bytes on {@code stream}. */
    public void copyToDeviceAsync(DeviceBuffer dst, long byteCount, CudaStream stream) {
        calls.check("cuMemcpyHtoDAsync_v2",
                calls.lib().cuMemcpyHtoDAsync_v2(dst.address(), pointer(), byteCount, stream.handle()));
    }

    /** Asynchronous device-to-host copy of {@code byteCount} bytes on {@code stream}. */
    public void copyFromDeviceAsync(DeviceBuffer src, long byteCount, CudaStream stream) {
        calls.check("cuMemcpyDtoHAsync_v2",
                calls.lib().cuMemcpyDtoHAsync_v2(pointer(), src.address(), byteCount, stream.handle()));
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            calls.check("cuMemFreeHost", calls.lib().cuMemFreeHost(pointer));
        }
    }
}
