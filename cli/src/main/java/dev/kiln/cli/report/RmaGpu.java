package dev.kiln.cli.report;

import java.util.List;
import java.util.Objects;

/**
 * A GPU to send back, named every way a technician or a vendor's RMA form asks for it.
 *
 * @param serial  the board serial (what the RMA form wants); null when the GPU could not be read
 * @param reasons why, one sentence each, e.g. "burnin.memory: 12 mismatches at 0x7f3a00001000"
 */
public record RmaGpu(int index, String serial, String uuid, String pciBusId, List<String> reasons) {
    public RmaGpu {
        reasons = reasons == null ? List.of() : List.copyOf(reasons);
        reasons.forEach(r -> Objects.requireNonNull(r, "reason"));
    }
}
