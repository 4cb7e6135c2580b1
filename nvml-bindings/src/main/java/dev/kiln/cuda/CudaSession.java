package dev.kiln.cuda;

import com.sun.jna.ptr.IntByReference;
import dev.kiln.cuda.raw.CudaBinding;
import dev.kiln.cuda.raw.CudaLoader;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The driver after {@code cuInit(0)}: its version and its devices. The driver API has no shutdown, so
 * {@link #close()} only ends this scope (devices and contexts from it must not be used afterwards).
 */
public final class CudaSession implements AutoCloseable {
    private final CudaCalls calls;
    private final int driverVersion;
    private volatile boolean closed;

    private CudaSession(CudaCalls calls, int driverVersion) {
        this.calls = calls;
        this.driverVersion = driverVersion;
    }

    /** Initializes the driver; throws {@link CudaException} (e.g. NO_DEVICE, 100) when it cannot. */
    public static CudaSession open(CudaBinding binding) {
        CudaCalls calls = new CudaCalls(binding);
        calls.check("cuInit", calls.lib().cuInit(0));
        IntByReference v = new IntByReference();
        calls.check("cuDriverGetVersion", calls.lib().cuDriverGetVersion(v));
        return new CudaSession(calls, v.getValue());
    }

    /**
     * Opens the system's driver ({@link CudaLoader#system()}); throws {@link IllegalStateException} with the
     * loader's reason when there is no usable libcuda.
     */
    public static CudaSession openSystem() {
        CudaLoader.Result r = CudaLoader.system();
        if (r instanceof CudaLoader.Loaded loaded) {
            return open(loaded.binding());
        }
        throw new IllegalStateException(((CudaLoader.Unavailable) r).reason());
    }

    /** The driver's CUDA version as an int, e.g. 13000 for CUDA 13.0. */
    public int driverVersion() {
        return driverVersion;
    }

    /** Optional symbols this driver exports. */
    public Set<String> capabilities() {
        return calls.binding().symbols();
    }

    public int deviceCount() {
        ensureOpen();
        IntByReference n = new IntByReference();
        calls.check("cuDeviceGetCount", calls.lib().cuDeviceGetCount(n));
        return n.getValue();
    }

    /** The device at CUDA ordinal {@code ordinal} (CUDA order may differ from NVML's: match by PCI bus id). */
    public CudaDevice device(int ordinal) {
        ensureOpen();
        IntByReference dev = new IntByReference();
        calls.check("cuDeviceGet", calls.lib().cuDeviceGet(dev, ordinal));
        return CudaDevice.read(this, calls, ordinal, dev.getValue());
    }

    public List<CudaDevice> devices() {
        int n = deviceCount();
        List<CudaDevice> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(device(i));
        }
        return List.copyOf(out);
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("CUDA session is closed");
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
