package dev.kiln.cuda;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.FloatByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * GPU-side timing with two events. Uses {@code cuEventElapsedTime_v2} when the driver exports it
 * (CUDA 12.8+), else the v1 symbol every driver keeps.
 */
public final class CudaTimer implements AutoCloseable {
    private final CudaCalls calls;
    private final Pointer start;
    private final Pointer stop;
    private final boolean v2;
    private boolean closed;

    private CudaTimer(CudaCalls calls, Pointer start, Pointer stop) {
        this.calls = calls;
        this.start = start;
        this.stop = stop;
        this.v2 = calls.binding().has("cuEventElapsedTime_v2");
    }

    static CudaTimer create(CudaCalls calls) {
        PointerByReference a = new PointerByReference();
        calls.check("cuEventCreate", calls.lib().cuEventCreate(a, 0));
        PointerByReference b = new PointerByReference();
        int rc = calls.lib().cuEventCreate(b, 0);
        if (rc != 0) {
            calls.lib().cuEventDestroy_v2(a.getValue());
            calls.check("cuEventCreate", rc);
        }
        return new CudaTimer(calls, a.getValue(), b.getValue());
    }

    /** Records the start event on {@code stream} (null: the default stream). */
    public void start(CudaStream stream) {
        calls.check("cuEventRecord", calls.lib().cuEventRecord(start, stream == null ? null : stream.handle()));
    }

    public void stop(CudaStream stream) {
        calls.check("cuEventRecord", calls.lib().cuEventRecord(stop, stream == null ? null : stream.handle()));
    }

    /** Waits for the stop event and answers the GPU time between the two events in milliseconds. */
    public double elapsedMillis() {
        calls.check("cuEventSynchronize", calls.lib().cuEventSynchronize(stop));
        FloatByReference ms = new FloatByReference();
        if (v2) {
            calls.check("cuEventElapsedTime_v2", calls.lib().cuEventElapsedTime_v2(ms, start, stop));
        } else {
            calls.check("cuEventElapsedTime", calls.lib().cuEventElapsedTime(ms, start, stop));
        }
        return ms.getValue();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            int a = calls.lib().cuEventDestroy_v2(start);
            int b = calls.lib().cuEventDestroy_v2(stop);
            calls.check("cuEventDestroy_v2", a != 0 ? a : b);
        }
    }
}
