package dev.kiln.protocol.burnin;

import java.util.List;

/** Stable ids of the burn-in tests, in the order a burn-in runs them by default. */
public final class BurninTestIds {
    private BurninTestIds() {
    }

    public static final String COMPUTE = "burnin.compute";
    public static final String MEMORY = "burnin.memory";
    public static final String HBM_BANDWIDTH = "burnin.hbm-bandwidth";
    public static final String PCIE = "burnin.pcie";

    /** Bandwidth first (short, cool GPU), then memory, then the long hot compute stress. */
    public static final List<String> DEFAULT_ORDER = List.of(PCIE, HBM_BANDWIDTH, MEMORY, COMPUTE);
}
