package dev.kiln.nvml;

/** Whether a GPU answered. Anything but {@link #OK} is a finding, with the action to take. */
public enum GpuState {
    OK("none"),
    /** NVML_ERROR_GPU_IS_LOST: fell off the bus (often Xid 79). */
    LOST("GPU fell off the bus: reset the GPU or reboot the node; reseat or RMA if it recurs"),
    /** NVML_ERROR_RESET_REQUIRED. */
    RESET_REQUIRED("reset the GPU (stop kiln-agent and other NVML clients, then nvidia-smi -r -i <bus id>) or reboot the node"),
    /**
     * NVML counts the GPU but will not open it (e.g. INSUFFICIENT_POWER when an auxiliary power
     * cable is unplugged, IRQ_ISSUE, NO_PERMISSION): the error says which.
     */
    UNREACHABLE("NVML cannot open this GPU: check its power cables and seating, then dmesg; reboot if it persists");

    private final String action;

    GpuState(String action) {
        this.action = action;
    }

    public String recommendedAction() {
        return action;
    }
}
