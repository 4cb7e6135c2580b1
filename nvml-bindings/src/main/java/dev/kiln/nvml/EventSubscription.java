package dev.kiln.nvml;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.kiln.nvml.raw.DeviceHandle;
import dev.kiln.nvml.raw.EventSetHandle;
import dev.kiln.nvml.raw.NvmlEventData;
import dev.kiln.nvml.raw.NvmlLibrary;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One NVML event set with every GPU registered for the supported subset of the requested types.
 * A type a GPU or driver does not support is a capability ({@link #registrations()} says what each
 * GPU got), never an error; a subscription with nothing registered is {@linkplain #active() inactive}
 * and says why. Opened by {@link NvmlSession#subscribeEvents(Set)}; closed with the session at the latest.
 *
 * <p>Thread-safe: {@link #poll(int)} and {@link #close()} are serialized, so poll with short timeouts.
 */
public final class EventSubscription implements AutoCloseable {
    private static final long NO_INSTANCE = 0xFFFF_FFFFL;
    static final List<String> SYMBOLS = List.of("nvmlEventSetCreate", "nvmlDeviceRegisterEvents",
            "nvmlEventSetWait_v2", "nvmlEventSetFree");

    /**
     * What one GPU is registered for.
     *
     * @param types   the types registered (empty when none could be)
     * @param problem why some requested types are not registered (unsupported, GPU lost, an error), if any
     */
    public record Registration(int gpuIndex, Optional<String> uuid, Optional<String> pciBusId,
                               Set<NvmlEventType> types, Optional<String> problem) {
        public Registration {
            types = Set.copyOf(types);
        }
    }

    private record Identity(int index, Optional<String> uuid, Optional<String> busId) {
    }

    private final NvmlSession session;
    private final NvmlCalls calls;
    private final NvmlLibrary lib;
    private final Map<Long, Identity> byHandle = new HashMap<>();
    private final List<Registration> registrations = new ArrayList<>();
    private NvmlEventData data;     // reused by every poll (polls are serialized): no native allocation per poll
    private EventSetHandle set;
    private String reason;
    private boolean closed;

    private EventSubscription(NvmlSession session, NvmlCalls calls) {
        this.session = session;
        this.calls = calls;
        this.lib = calls.binding().library();
    }

    /** Creates the set and registers every GPU; throws {@link NvmlException} only when the set cannot be created. */
    static EventSubscription open(NvmlSession session, NvmlCalls calls, Set<NvmlEventType> wanted) {
        EventSubscription s = new EventSubscription(session, calls);
        s.init(wanted.isEmpty() ? EnumSet.noneOf(NvmlEventType.class) : EnumSet.copyOf(wanted));
        return s;
    }

    private void init(EnumSet<NvmlEventType> wanted) {
        List<String> missing = SYMBOLS.stream().filter(sym -> !calls.has(sym)).toList();
        if (!missing.isEmpty()) {
            reason = "this driver does not export " + missing + ": no NVML event watching";
            return;
        }
        if (wanted.isEmpty()) {
            reason = "no event types requested";
            return;
        }
        PointerByReference ref = new PointerByReference();
        int rc = lib.nvmlEventSetCreate(ref);
        if (!calls.check("nvmlEventSetCreate", rc)) {
            reason = "NVML event sets are not supported on this platform";
            return;
        }
        set = new EventSetHandle(ref.getValue());
        int count;
        try {
            count = session.deviceCount();
            for (int i = 0; i < count; i++) {
                registrations.add(register(i, wanted));
            }
        } catch (RuntimeException e) {
            free();
            throw e;
        }
        if (registrations.stream().allMatch(r -> r.types().isEmpty())) {
            reason = count == 0 ? "NVML reports no GPUs to watch"
                    : "no GPU supports any of the event types " + wanted;
            free();
        }
    }

    private Registration register(int index, EnumSet<NvmlEventType> wanted) {
        GpuDevice device;
        try {
            device = session.device(index);
        } catch (NvmlException e) {
            return new Registration(index, Optional.empty(), Optional.empty(), Set.of(), Optional.of(problem(e)));
        }
        Optional<String> uuid = Optional.empty();
        Optional<String> busId = Optional.empty();
        try {
            uuid = device.uuid();
            busId = device.pciInfo().map(PciInfo::busId);
        } catch (NvmlException e) {
            // Named by index only; registration below says whether the GPU answers at all.
        }
        DeviceHandle handle = device.handle();
        List<String> problems = new ArrayList<>();
        EnumSet<NvmlEventType> candidates = EnumSet.copyOf(wanted);
        try {
            if (calls.has("nvmlDeviceGetSupportedEventTypes")) {
                LongByReference supported = new LongByReference();
                if (calls.check("nvmlDeviceGetSupportedEventTypes",
                        lib.nvmlDeviceGetSupportedEventTypes(handle, supported))) {
                    candidates.retainAll(NvmlEventType.decode(supported.getValue()));
                }
            }
            EnumSet<NvmlEventType> registered = EnumSet.noneOf(NvmlEventType.class);
            if (!candidates.isEmpty()) {
                if (calls.check("nvmlDeviceRegisterEvents",
                        lib.nvmlDeviceRegisterEvents(handle, NvmlEventType.maskOf(candidates), set))) {
                    registered.addAll(candidates);
                } else {
                    // Some driver refused the whole mask: find the types it does take, one by one.
                    for (NvmlEventType t : candidates) {
                        if (calls.check("nvmlDeviceRegisterEvents", lib.nvmlDeviceRegisterEvents(handle, t.mask(), set))) {
                            registered.add(t);
                        }
                    }
                }
            }
            EnumSet<NvmlEventType> unsupported = EnumSet.copyOf(wanted);
            unsupported.removeAll(registered);
            if (!unsupported.isEmpty()) {
                problems.add("not supported: " + unsupported);
            }
            if (!registered.isEmpty()) {
                byHandle.put(Pointer.nativeValue(handle.getPointer()), new Identity(index, uuid, busId));
            }
            return new Registration(index, uuid, busId, registered,
                    problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems)));
        } catch (NvmlException e) {
            return new Registration(index, uuid, busId, Set.of(), Optional.of(problem(e)));
        }
    }

    private static String problem(NvmlException e) {
        return e instanceof GpuUnavailableException g
                ? "GPU unavailable (" + g.result().name() + "): not watched" : e.getMessage();
    }

    /** True when at least one GPU is registered for at least one type. */
    public synchronized boolean active() {
        return set != null && !closed;
    }

    /** Why the subscription is inactive, or empty when it is active. */
    public synchronized Optional<String> reason() {
        if (closed) {
            return Optional.of("event subscription closed");
        }
        return Optional.ofNullable(reason);
    }

    /** One entry per GPU NVML counted, in index order. */
    public List<Registration> registrations() {
        return List.copyOf(registrations);
    }

    /**
     * The next event, waiting at most {@code timeoutMs} milliseconds (0: do not wait); empty on
     * timeout or when the subscription is inactive. Throws {@link GpuUnavailableException} when NVML
     * answers the wait with GPU_IS_LOST, {@link NvmlException} for other failures.
     */
    public synchronized Optional<NvmlEvent> poll(int timeoutMs) {
        if (timeoutMs < 0) {
            throw new IllegalArgumentException("timeoutMs must be >= 0, got " + timeoutMs);
        }
        if (set == null || closed) {
            return Optional.empty();
        }
        session.ensureOpen();
        if (data == null) {
            data = new NvmlEventData();
        }
        int rc = lib.nvmlEventSetWait_v2(set, data, timeoutMs);
        if (NvmlReturn.of(rc) == NvmlReturn.ERROR_TIMEOUT) {
            return Optional.empty();
        }
        if (!calls.check("nvmlEventSetWait_v2", rc)) {
            return Optional.empty();
        }
        long key = data.device == null || data.device.getPointer() == null ? 0
                : Pointer.nativeValue(data.device.getPointer());
        Identity id = byHandle.getOrDefault(key, new Identity(-1, Optional.empty(), Optional.empty()));
        return Optional.of(new NvmlEvent(id.index(), id.uuid(), id.busId(), data.eventType, data.eventData,
                instance(data.gpuInstanceId), instance(data.computeInstanceId)));
    }

    private static Optional<Integer> instance(int raw) {
        return Integer.toUnsignedLong(raw) == NO_INSTANCE ? Optional.empty() : Optional.of(raw);
    }

    private void free() {
        if (set != null) {
            lib.nvmlEventSetFree(set);
            set = null;
        }
    }

    /** Frees the event set; idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            if (!session.isClosed()) {
                free();
            }
            set = null;
            session.forget(this);
        }
    }
}
