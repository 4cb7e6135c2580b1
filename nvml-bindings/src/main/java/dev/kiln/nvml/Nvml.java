package dev.kiln.nvml;

import dev.kiln.nvml.raw.NvmlBinding;
import dev.kiln.nvml.raw.NvmlLoader;

import java.util.function.Function;

/** Entry point: find the real NVML, and run work inside one session that always shuts down. */
public final class Nvml {
    private Nvml() {
    }

    /** The driver's NVML, loaded lazily once per process; {@link NvmlLoader.Unavailable} says why not. */
    public static NvmlLoader.Result system() {
        return NvmlLoader.system();
    }

    /** Opens a session, applies {@code work}, and shuts NVML down even when {@code work} throws. */
    public static <T> T withSession(NvmlBinding binding, Function<NvmlSession, T> work) {
        try (NvmlSession session = NvmlSession.open(binding)) {
            return work.apply(session);
        }
    }
}
