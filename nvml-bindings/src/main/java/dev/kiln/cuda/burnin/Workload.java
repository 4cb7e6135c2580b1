package dev.kiln.cuda.burnin;

import dev.kiln.cuda.CudaDevice;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One burn-in test on one GPU. {@code run} never throws for GPU trouble: allocation, launch and sticky errors come
 * back as {@link Outcome#ERROR} with a {@link WorkloadError}. It returns within about one kernel's time after
 * {@code cancelled} turns true or {@code budget} is spent. It retains the device's primary context and makes it
 * current on the calling thread; call it from one thread per GPU.
 */
public interface Workload {
    /** The stable id, e.g. {@code burnin.compute}. */
    String id();

    WorkloadResult run(CudaDevice device, Duration budget, BooleanSupplier cancelled, Consumer<Progress> progress);

    /** The four workloads with default settings, in the order a burn-in runs them. */
    static List<Workload> defaults() {
        return List.of(new PcieBandwidth(), new HbmBandwidth(), new MemoryTest(), new ComputeStress());
    }

    /** The default-configured workload with this id (also accepts the short names pcie, hbm, memory, compute). */
    static Optional<Workload> byId(String id) {
        return defaults().stream()
                .filter(w -> w.id().equals(id) || w.id().equals("burnin." + id) || (id.equals("hbm")
                        && w.id().equals(HbmBandwidth.ID)))
                .findFirst();
    }
}
