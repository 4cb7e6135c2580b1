package dev.kiln.cuda;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * A retained primary context ({@code cuDevicePrimaryCtxRetain} .. {@code cuDevicePrimaryCtxRelease_v2}), the
 * same context cudart and cuBLAS use. A CUDA context is current per thread: {@link #makeCurrent()} on the
 * thread that uses it (retaining makes it current on the retaining thread). Buffers, modules, streams and
 * timers made here must be closed before this context.
 */
public final class CudaContext implements AutoCloseable {
    private final CudaCalls calls;
    private final CudaDevice device;
    private final int handle;
    private final Pointer ctx;
    private boolean closed;

    private CudaContext(CudaCalls calls, CudaDevice device, int handle, Pointer ctx) {
        this.calls = calls;
        this.device = device;
        this.handle = handle;
        this.ctx = ctx;
    }

    static CudaContext retain(CudaCalls calls, CudaDevice device, int handle) {
        PointerByReference p = new PointerByReference();
        calls.check("cuDevicePrimaryCtxRetain", calls.lib().cuDevicePrimaryCtxRetain(p, handle));
        CudaContext c = new CudaContext(calls, device, handle, p.getValue());
        try {
            c.makeCurrent();
        } catch (CudaException e) {
            calls.lib().cuDevicePrimaryCtxRelease_v2(handle);
            throw e;
        }
        return c;
    }

    CudaCalls calls() {
        return calls;
    }

    /** The {@code CUcontext}. */
    Pointer handle() {
        ensureOpen();
        return ctx;
    }

    public CudaDevice device() {
        return device;
    }

    public void makeCurrent() {
        ensureOpen();
        calls.check("cuCtxSetCurrent", calls.lib().cuCtxSetCurrent(ctx));
    }

    /**
     * Lets this context read and write {@code peer}'s device memory ({@code cuCtxEnablePeerAccess}, flags 0), and
     * leaves this context current. Access is one way: enable it on both contexts for copies in both directions. It
     * lasts until {@link #disablePeerAccess} or until either primary context is destroyed (its last release).
     *
     * @return true when this call enabled it; false when it already was (PEER_ACCESS_ALREADY_ENABLED, 704, is no
     *         error), so a caller that restores the previous state disables only what it enabled
     * @throws CudaException                 e.g. PEER_ACCESS_UNSUPPORTED (217) where {@link CudaDevice#canAccessPeer}
     *                                       says no, TOO_MANY_PEERS (711)
     * @throws UnsupportedOperationException when the driver does not export the symbol
     */
    public boolean enablePeerAccess(CudaContext peer) {
        ensureOpen();
        Pointer p = peer.handle();
        calls.require("cuCtxEnablePeerAccess");
        makeCurrent();
        int rc = calls.lib().cuCtxEnablePeerAccess(p, 0);
        if (rc == CudaResult.ERROR_PEER_ACCESS_ALREADY_ENABLED.code()) {
            return false;
        }
        calls.check(peerCall("cuCtxEnablePeerAccess", peer), rc);
        return true;
    }

    /**
     * Ends this context's access to {@code peer}'s memory ({@code cuCtxDisablePeerAccess}) and leaves this context
     * current; PEER_ACCESS_NOT_ENABLED (705) when it was not enabled.
     */
    public void disablePeerAccess(CudaContext peer) {
        ensureOpen();
        Pointer p = peer.handle();
        calls.require("cuCtxDisablePeerAccess");
        makeCurrent();
        calls.check(peerCall("cuCtxDisablePeerAccess", peer), calls.lib().cuCtxDisablePeerAccess(p));
    }

    private String peerCall(String function, CudaContext peer) {
        return function + "(CUDA " + device.ordinal() + " -> CUDA " + peer.device.ordinal() + ")";
    }

    /** Waits for all work in this context; a sticky error of an earlier launch surfaces here. */
    public void synchronize() {
        ensureOpen();
        calls.check("cuCtxSynchronize", calls.lib().cuCtxSynchronize());
    }

    public MemInfo memInfo() {
        ensureOpen();
        LongByReference free = new LongByReference();
        LongByReference total = new LongByReference();
        calls.check("cuMemGetInfo_v2", calls.lib().cuMemGetInfo_v2(free, total));
        return new MemInfo(free.getValue(), total.getValue());
    }

    /** Allocates {@code bytes} of device memory; OUT_OF_MEMORY is a {@link CudaException}, never a null buffer. */
    public DeviceBuffer allocate(long bytes) {
        ensureOpen();
        return DeviceBuffer.allocate(calls, this, bytes);
    }

    /** Allocates page-locked host memory ({@code cuMemHostAlloc}, flags 0). */
    public PinnedBuffer allocatePinned(long bytes) {
        ensureOpen();
        return PinnedBuffer.allocate(calls, bytes);
    }

    /** Loads {@code dev/kiln/cuda/ptx/<name>.ptx} from the classpath. */
    public CudaModule loadModule(String name) {
        ensureOpen();
        return CudaModule.loadResource(calls, name);
    }

    /** Loads PTX text (NUL-terminated by JNA on the way in). */
    public CudaModule loadPtx(String label, String ptx) {
        ensureOpen();
        return CudaModule.load(calls, label, ptx);
    }

    public CudaStream createStream() {
        ensureOpen();
        return CudaStream.create(calls);
    }

    public CudaTimer createTimer() {
        ensureOpen();
        return CudaTimer.create(calls);
    }

    /** A synchronisation-only event (no timing) for ordering one stream after another, across devices too. */
    public CudaEvent createEvent() {
        ensureOpen();
        return CudaEvent.create(calls);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("CUDA context of device " + device.ordinal() + " is released");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            calls.check("cuDevicePrimaryCtxRelease_v2", calls.lib().cuDevicePrimaryCtxRelease_v2(handle));
        }
    }
}
