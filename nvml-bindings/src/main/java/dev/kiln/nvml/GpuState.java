package dev.kiln.nvml;

/** Whether a GPU answered. Anything but {@link #OK} is a finding, with the action to take. */
public enum GpuState {
    OK("none"),
    /** NVML_ERROR_GPU_IS_LOST: fell off the bus (often Xid 79). */
    LOST("GPU fell off the bus: reset the GPU or reboot the node; reseat or RMA if it recurs"),
    /** NVML_ERROR_RESET_REQUIRED. */
    RESET_REQUIRED("reset the GPU (nvidia-smi -r) or reboot the node");

    private final String action;

    GpuState(String action) {
        this.action = action;
    }

    public String recommendedAction() {
        return action;
    }
}
