package dev.kiln.nvml;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** Collects a {@link GpuSnapshot}: records each failed reading, stops at a lost GPU. */
final class SnapshotReader {
    private final GpuDevice device;
    private final List<ReadError> errors = new ArrayList<>();
    private GpuState state = GpuState.OK;

    SnapshotReader(GpuDevice device) {
        this.device = device;
    }

    private <T> T read(String field, Supplier<T> reader, T whenFailed) {
        if (state != GpuState.OK) {
            return whenFailed;
        }
        try {
            return reader.get();
        } catch (GpuUnavailableException e) {
            state = e.state();
            errors.add(ReadError.of(field, e));
            return whenFailed;
        } catch (NvmlException e) {
            errors.add(ReadError.of(field, e));
            return whenFailed;
        }
    }

    GpuSnapshot read() {
        Optional<String> name = read("name", device::name, Optional.empty());
        Optional<String> uuid = read("uuid", device::uuid, Optional.empty());
        Optional<String> serial = read("serial", device::serial, Optional.empty());
        Optional<String> part = read("boardPartNumber", device::boardPartNumber, Optional.empty());
        Optional<String> vbios = read("vbiosVersion", device::vbiosVersion, Optional.empty());
        Optional<String> inforom = read("inforomImageVersion", device::inforomImageVersion, Optional.empty());
        Optional<PciInfo> pci = read("pci", device::pciInfo, Optional.empty());
        Optional<Integer> minor = read("minorNumber", device::minorNumber, Optional.empty());
        Optional<Architecture> arch = read("architecture", device::architecture, Optional.empty());
        Optional<ComputeCapability> cc = read("computeCapability", device::computeCapability, Optional.empty());
        Optional<MemoryInfo> memory = read("memory", device::memory, Optional.empty());
        Temperatures temps = read("temperatures", device::temperatures, Temperatures.NONE);
        PowerInfo power = read("power", device::power, PowerInfo.NONE);
        ClockInfo clocks = read("clocks", device::clocks, ClockInfo.NONE);
        Optional<Utilization> util = read("utilization", device::utilization, Optional.empty());
        Optional<EccInfo> ecc = read("ecc", device::ecc, Optional.empty());
        Optional<RemappedRows> remap = read("remappedRows", device::remappedRows, Optional.empty());
        Optional<RecoveryAction> recovery = read("recoveryAction", device::recoveryAction, Optional.empty());
        PcieLink pcie = read("pcie", device::pcie, PcieLink.NONE);
        List<NvLink> nvlinks = read("nvlinks", device::nvlinks, List.of());
        Optional<Boolean> persistence = read("persistenceMode", device::persistenceMode, Optional.empty());
        Optional<MigMode> mig = read("migMode", device::migMode, Optional.empty());
        Optional<List<ComputeProcess>> procs = read("computeProcesses", device::computeProcesses, Optional.empty());
        return new GpuSnapshot(device.index(), state, name, uuid, serial, part, vbios, inforom, pci, minor, arch, cc,
                memory, temps, power, clocks, util, ecc, remap, pcie, nvlinks, persistence, mig, procs, recovery, errors);
    }
}
