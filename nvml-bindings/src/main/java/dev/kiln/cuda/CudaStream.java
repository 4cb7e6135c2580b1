package dev.kiln.cuda;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/** A stream from {@code cuStreamCreate} (flags 0), destroyed by {@link #close()}. */
public final class CudaStream implements AutoCloseable {
    private final CudaCalls calls;
    private final Pointer handle;
    private boolean closed;

    private CudaStream(CudaCalls calls, Pointer handle) {
        this.calls = calls;
        this.handle = handle;
    }

    static CudaStream create(CudaCalls calls) {
        PointerByReference p = new PointerByReference();
        calls.check("cuStreamCreate", calls.lib().cuStreamCreate(p, 0));
        return new CudaStream(calls, p.getValue());
    }

    Pointer handle() {
        if (closed) {
            throw new IllegalStateException("stream is destroyed");
        }
        return handle;
    }

    /**
     * Makes later work on this stream wait until {@code event} completes ({@code cuStreamWaitEvent}, flags 0), on the
     * GPU, without blocking the host; the event may belong to another context or device.
     */
    public void waitFor(CudaEvent event) {
        calls.require("cuStreamWaitEvent");
        calls.check("cuStreamWaitEvent", calls.lib().cuStreamWaitEvent(handle(), event.handle(), 0));
    }

    /** Waits for the stream; a launch failure in it surfaces here as a {@link CudaException}. */
    public void synchronize() {
        calls.check("cuStreamSynchronize", calls.lib().cuStreamSynchronize(handle()));
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            calls.check("cuStreamDestroy_v2", calls.lib().cuStreamDestroy_v2(handle));
        }
    }
}
