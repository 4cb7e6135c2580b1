package dev.kiln.nvml;

import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.kiln.nvml.raw.DeviceHandle;
import dev.kiln.nvml.raw.NvmlBinding;
import dev.kiln.nvml.raw.NvmlConstants;
import dev.kiln.nvml.raw.NvmlLibrary;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One {@code nvmlInit_v2} .. {@code nvmlShutdown} scope. Devices obtained from it are only valid
 * until {@link #close()}. NVML reference-counts init/shutdown, so several sessions may be open at once.
 * Thread-safe: NVML calls are thread-safe and this class holds no mutable state besides "closed".
 */
public final class NvmlSession implements AutoCloseable {
    private final NvmlBinding binding;
    private final NvmlCalls calls;
    private final NvmlLibrary lib;
    private final List<EventSubscription> subscriptions = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private NvmlSession(NvmlBinding binding) {
        this.binding = binding;
        this.calls = new NvmlCalls(binding);
        this.lib = binding.library();
    }

    /** Initializes NVML; throws {@link NvmlException} (e.g. DRIVER_NOT_LOADED) when it cannot. */
    public static NvmlSession open(NvmlBinding binding) {
        NvmlSession s = new NvmlSession(binding);
        s.calls.require("nvmlInit_v2", s.lib.nvmlInit_v2());
        return s;
    }

    public NvmlBinding binding() {
        return binding;
    }

    /** Optional symbols this driver exports (a missing one means an older driver, not an error). */
    public Set<String> capabilities() {
        return binding.symbols();
    }

    boolean isClosed() {
        return closed;
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("NVML session is closed; device handles are no longer valid");
        }
    }

    public NvmlSystemInfo systemInfo() {
        ensureOpen();
        byte[] driver = new byte[NvmlConstants.SYSTEM_DRIVER_VERSION_BUFFER_SIZE];
        calls.require("nvmlSystemGetDriverVersion", lib.nvmlSystemGetDriverVersion(driver, driver.length));
        byte[] nvml = new byte[NvmlConstants.SYSTEM_NVML_VERSION_BUFFER_SIZE];
        calls.require("nvmlSystemGetNVMLVersion", lib.nvmlSystemGetNVMLVersion(nvml, nvml.length));
        Optional<Integer> cuda = Optional.empty();
        if (calls.has("nvmlSystemGetCudaDriverVersion_v2")) {
            IntByReference v = new IntByReference();
            if (calls.check("nvmlSystemGetCudaDriverVersion_v2", lib.nvmlSystemGetCudaDriverVersion_v2(v))) {
                cuda = Optional.of(v.getValue());
            }
        }
        return new NvmlSystemInfo(Native.toString(driver), Native.toString(nvml), cuda);
    }

    public int deviceCount() {
        ensureOpen();
        IntByReference count = new IntByReference();
        calls.require("nvmlDeviceGetCount_v2", lib.nvmlDeviceGetCount_v2(count));
        return count.getValue();
    }

    /** The GPU at NVML index {@code index}; throws {@link GpuUnavailableException} if it is lost. */
    public GpuDevice device(int index) {
        ensureOpen();
        PointerByReference ref = new PointerByReference();
        calls.require("nvmlDeviceGetHandleByIndex_v2", lib.nvmlDeviceGetHandleByIndex_v2(index, ref));
        return new GpuDevice(this, calls, new DeviceHandle(ref.getValue()), index);
    }

    /**
     * A snapshot of every GPU NVML counts. A GPU whose handle cannot be obtained still appears,
     * with its state and the error, so a count never silently shrinks.
     */
    public List<GpuSnapshot> snapshotAll() {
        int count = deviceCount();
        List<GpuSnapshot> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            try {
                out.add(device(i).snapshot());
            } catch (GpuUnavailableException e) {
                out.add(GpuSnapshot.unreachable(i, e.state(), ReadError.of("handle", e)));
            } catch (NvmlException e) {
                // Counted but not openable is a finding (power, IRQ, permission), never a healthy GPU.
                out.add(GpuSnapshot.unreachable(i, GpuState.UNREACHABLE, ReadError.of("handle", e)));
            }
        }
        return List.copyOf(out);
    }

    /**
     * Registers every GPU for the supported subset of {@code types} on one new event set (see
     * {@link NvmlEventType#HEALTH}). Unsupported types, GPUs and drivers make the subscription
     * partial or inactive, never an exception; only a failure to create the event set itself throws
     * {@link NvmlException}. The subscription is closed with this session at the latest.
     */
    public EventSubscription subscribeEvents(Set<NvmlEventType> types) {
        ensureOpen();
        EventSubscription s = EventSubscription.open(this, calls, types);
        subscriptions.add(s);
        return s;
    }

    void forget(EventSubscription s) {
        subscriptions.remove(s);
    }

    @Override
    public void close() {
        if (!closed) {
            for (EventSubscription s : subscriptions) {
                s.close();
            }
            closed = true;
            lib.nvmlShutdown();
        }
    }
}
