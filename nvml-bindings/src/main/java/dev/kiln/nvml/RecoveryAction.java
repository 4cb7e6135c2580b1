package dev.kiln.nvml;

/**
 * {@code nvmlDeviceGpuRecoveryAction_t}: the driver's own recommendation for a GPU, read from field
 * {@code NVML_FI_DEV_GET_GPU_RECOVERY_ACTION} (230) and delivered with recovery-action events.
 * {@link #wireName()} is the stable lower_snake identifier used on the wire.
 */
public enum RecoveryAction {
    NONE(0, "none", "none"),
    GPU_RESET(1, "gpu_reset", "reset the GPU once its work and NVML clients (kiln-agent too) are stopped: nvidia-smi -r -i <bus id>"),
    NODE_REBOOT(2, "node_reboot", "reboot the node"),
    DRAIN_P2P(3, "drain_p2p", "stop peer-to-peer (NVLink/PCIe P2P) work on this GPU"),
    DRAIN_AND_RESET(4, "drain_and_reset", "drain the GPU's work, then reset the GPU"),
    RECOVER_IMEX_DOMAIN(5, "recover_imex_domain", "recover the node's IMEX domain"),
    /** A value this build does not know (a newer driver); the raw code is not kept. */
    UNKNOWN(-1, "unknown", "see the driver's documentation for this recovery action");

    private final int code;
    private final String wireName;
    private final String recommendedAction;

    RecoveryAction(int code, String wireName, String recommendedAction) {
        this.code = code;
        this.wireName = wireName;
        this.recommendedAction = recommendedAction;
    }

    public int code() {
        return code;
    }

    public String wireName() {
        return wireName;
    }

    /** What an operator should do, in words. */
    public String recommendedAction() {
        return recommendedAction;
    }

    public static RecoveryAction of(long code) {
        for (RecoveryAction a : values()) {
            if (a != UNKNOWN && a.code == code) {
                return a;
            }
        }
        return UNKNOWN;
    }

    /** By {@link #wireName()}; throws IllegalArgumentException naming the accepted values. */
    public static RecoveryAction ofWireName(String name) {
        for (RecoveryAction a : values()) {
            if (a.wireName.equals(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown recovery action '" + name + "'; expected one of "
                + java.util.Arrays.stream(values()).filter(a -> a != UNKNOWN).map(RecoveryAction::wireName).toList());
    }
}
