package dev.kiln.nvml;

import java.util.Optional;

/** One NVLink of a GPU: whether it is up, and the PCI bus id of the far end (an NVSwitch or a GPU). */
public record NvLink(int link, boolean active, Optional<String> remotePciBusId) {
}
