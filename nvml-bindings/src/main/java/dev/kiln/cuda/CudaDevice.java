package dev.kiln.cuda;

import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import dev.kiln.cuda.raw.CudaSymbols;

import java.util.Locale;

/**
 * One CUDA device and what burn-in needs to size its work. {@link #pciBusId()} is normalised to NVML's
 * form ({@code 00000000:18:00.0}, upper case, 8-digit domain) so the two views of a GPU can be matched.
 */
public final class CudaDevice {
    /** CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT. */
    static final int ATTR_MULTIPROCESSOR_COUNT = 16;
    /** CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR. */
    static final int ATTR_CC_MAJOR = 75;
    static final int ATTR_CC_MINOR = 76;

    private final CudaSession session;
    private final CudaCalls calls;
    private final int ordinal;
    private final int handle;
    private final String name;
    private final String pciBusId;
    private final ComputeCapability computeCapability;
    private final int smCount;
    private final long totalMemory;

    private CudaDevice(CudaSession session, CudaCalls calls, int ordinal, int handle, String name, String pciBusId,
                       ComputeCapability cc, int smCount, long totalMemory) {
        this.session = session;
        this.calls = calls;
        this.ordinal = ordinal;
        this.handle = handle;
        this.name = name;
        this.pciBusId = pciBusId;
        this.computeCapability = cc;
        this.smCount = smCount;
        this.totalMemory = totalMemory;
    }

    static CudaDevice read(CudaSession session, CudaCalls calls, int ordinal, int handle) {
        byte[] name = new byte[256];
        calls.check("cuDeviceGetName", calls.lib().cuDeviceGetName(name, name.length, handle));
        byte[] bus = new byte[32];
        calls.check("cuDeviceGetPCIBusId", calls.lib().cuDeviceGetPCIBusId(bus, bus.length, handle));
        int major = attribute(calls, ATTR_CC_MAJOR, handle);
        int minor = attribute(calls, ATTR_CC_MINOR, handle);
        int sms = attribute(calls, ATTR_MULTIPROCESSOR_COUNT, handle);
        LongByReference total = new LongByReference();
        calls.check("cuDeviceTotalMem_v2", calls.lib().cuDeviceTotalMem_v2(total, handle));
        return new CudaDevice(session, calls, ordinal, handle, Native.toString(name),
                normalizeBusId(Native.toString(bus)), new ComputeCapability(major, minor), sms, total.getValue());
    }

    private static int attribute(CudaCalls calls, int attr, int dev) {
        IntByReference v = new IntByReference();
        calls.check("cuDeviceGetAttribute(" + attr + ")", calls.lib().cuDeviceGetAttribute(v, attr, dev));
        return v.getValue();
    }

    /** {@code 0000:18:00.0} (CUDA) -> {@code 00000000:18:00.0} (NVML); upper-case hex. */
    public static String normalizeBusId(String id) {
        String s = id.trim().toUpperCase(Locale.ROOT);
        int colon = s.indexOf(':');
        if (colon >= 0 && colon < 8 && s.indexOf(':', colon + 1) > 0) {
            s = "0".repeat(8 - colon) + s;
        }
        return s;
    }

    public int ordinal() {
        return ordinal;
    }

    public String name() {
        return name;
    }

    public String pciBusId() {
        return pciBusId;
    }

    public ComputeCapability computeCapability() {
        return computeCapability;
    }

    public int smCount() {
        return smCount;
    }

    public long totalMemory() {
        return totalMemory;
    }

    /**
     * True when the driver exports everything copies between GPUs need ({@link CudaSymbols#PEER}); every current
     * driver does, but they are optional so that a driver without them still runs the single-GPU burn-in.
     */
    public boolean driverSupportsPeerCopies() {
        return calls.binding().symbols().containsAll(CudaSymbols.PEER);
    }

    /**
     * Whether this device can map {@code peer}'s memory ({@code cuDeviceCanAccessPeer}): NVLink/NVSwitch, or a PCIe
     * path that allows peer-to-peer. Often false between GPUs under different CPU sockets; false for the device
     * itself. Access may differ by direction: ask both devices.
     *
     * @throws UnsupportedOperationException when the driver does not export the symbol
     * @throws IllegalArgumentException      when {@code peer} comes from another driver binding
     */
    public boolean canAccessPeer(CudaDevice peer) {
        session.ensureOpen();
        if (peer.calls.binding() != calls.binding()) {
            throw new IllegalArgumentException(peer + " belongs to another CUDA driver binding than " + this);
        }
        if (peer.handle == handle) {
            return false;
        }
        calls.require("cuDeviceCanAccessPeer");
        IntByReference can = new IntByReference();
        calls.check("cuDeviceCanAccessPeer(CUDA " + ordinal + " -> CUDA " + peer.ordinal + ")",
                calls.lib().cuDeviceCanAccessPeer(can, handle, peer.handle));
        return can.getValue() != 0;
    }

    /** Retains the device's primary context and makes it current on the calling thread. */
    public CudaContext retainPrimaryContext() {
        session.ensureOpen();
        return CudaContext.retain(calls, this, handle);
    }

    @Override
    public String toString() {
        return "CUDA " + ordinal + " " + name + " " + pciBusId + " cc " + computeCapability + ", " + smCount + " SMs, "
                + totalMemory + " B";
    }
}
