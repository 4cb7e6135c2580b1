package dev.kiln.nvml;

/** NVML's names for how two GPUs (or a GPU and a device) connect; values are {@code nvmlGpuTopologyLevel_t}. */
public final class GpuTopology {
    private GpuTopology() {
    }

    /** The closest common ancestor of two GPUs in the PCIe tree, from nearest to farthest. */
    public enum Level {
        /** The same board (multi-GPU boards). */
        INTERNAL(0),
        /** One PCIe switch between them. */
        SINGLE(10),
        /** Several PCIe switches, no host bridge. */
        MULTIPLE(20),
        /** The same host bridge. */
        HOSTBRIDGE(30),
        /** The same NUMA node (CPU socket), across host bridges. */
        NODE(40),
        /** Across CPU sockets (the SMP interconnect). */
        SYSTEM(50),
        UNKNOWN(-1);

        private final int code;

        Level(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Level of(int code) {
            for (Level l : values()) {
                if (l.code == code) {
                    return l;
                }
            }
            return UNKNOWN;
        }
    }

    /** What a P2P status question asks ({@code nvmlGpuP2PCapsIndex_t}). */
    public enum P2pCapability {
        READ(0), WRITE(1), NVLINK(2), ATOMICS(3), PCI(4);

        private final int code;

        P2pCapability(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    /** NVML's answer ({@code nvmlGpuP2PStatus_t}); wire names are lower case. */
    public enum P2pStatus {
        OK, CHIPSET_NOT_SUPPORTED, GPU_NOT_SUPPORTED, IOH_TOPOLOGY_NOT_SUPPORTED, DISABLED_BY_REGKEY, NOT_SUPPORTED,
        UNKNOWN;

        public static P2pStatus of(int code) {
            P2pStatus[] v = values();
            return code >= 0 && code < v.length ? v[code] : UNKNOWN;
        }

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** NVLink error counters ({@code nvmlNvLinkErrorCounter_t}), with the names Kiln reports them by. */
    public enum NvLinkCounter {
        REPLAY(0, "replay"), RECOVERY(1, "recovery"), CRC_FLIT(2, "crc_flit"), CRC_DATA(3, "crc_data"),
        ECC_DATA(4, "ecc_data");

        private final int code;
        private final String wireName;

        NvLinkCounter(int code, String wireName) {
            this.code = code;
            this.wireName = wireName;
        }

        public int code() {
            return code;
        }

        public String wireName() {
            return wireName;
        }
    }
}
