package dev.kiln.cuda;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/**
 * A synchronisation-only event ({@code cuEventCreate} with {@code CU_EVENT_DISABLE_TIMING}), destroyed by
 * {@link #close()}: {@link #record} it on one stream and let another stream {@link CudaStream#waitFor wait} for it,
 * across devices too. For GPU-side timing use {@link CudaTimer}.
 */
public final class CudaEvent implements AutoCloseable {
    /** CU_EVENT_DISABLE_TIMING: cheaper to record and wait on; cuEventElapsedTime refuses such an event. */
    static final int DISABLE_TIMING = 0x2;

    private final CudaCalls calls;
    private final Pointer handle;
    private boolean closed;

    private CudaEvent(CudaCalls calls, Pointer handle) {
        this.calls = calls;
        this.handle = handle;
    }

    static CudaEvent create(CudaCalls calls) {
        PointerByReference p = new PointerByReference();
        calls.check("cuEventCreate", calls.lib().cuEventCreate(p, DISABLE_TIMING));
        return new CudaEvent(calls, p.getValue());
    }

    Pointer handle() {
        if (closed) {
            throw new IllegalStateException("event is destroyed");
        }
        return handle;
    }

    /** Records the event on {@code stream} (which must belong to the event's context; null: the default stream). */
    public void record(CudaStream stream) {
        calls.check("cuEventRecord", calls.lib().cuEventRecord(handle(), stream == null ? null : stream.handle()));
    }

    /** Waits on the host until the work before the last {@link #record} has completed. */
    public void synchronize() {
        calls.check("cuEventSynchronize", calls.lib().cuEventSynchronize(handle()));
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            calls.check("cuEventDestroy_v2", calls.lib().cuEventDestroy_v2(handle));
        }
    }
}
