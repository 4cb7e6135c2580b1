package dev.kiln.agent.fabric.net;

import java.nio.file.Path;
import java.util.Objects;

/** Port counters under {@code <sysfsRoot>/class/infiniband} ({@code /sys} on a real node). */
public final class SysfsIbCounterSource implements IbCounterSource {
    private final Path sysfsRoot;

    public SysfsIbCounterSource(Path sysfsRoot) {
        this.sysfsRoot = Objects.requireNonNull(sysfsRoot, "sysfsRoot");
    }

    @Override
    public IbCounters.Snapshot read() {
        return IbCounters.read(sysfsRoot);
    }

    @Override
    public String toString() {
        return "sysfs " + sysfsRoot;
    }
}
