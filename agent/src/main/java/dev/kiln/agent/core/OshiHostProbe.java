package dev.kiln.agent.core;

import dev.kiln.protocol.ErrorEntry;
import dev.kiln.protocol.HostInventory;
import oshi.SystemInfo;
import oshi.hardware.CentralProcessor;
import oshi.hardware.ComputerSystem;
import oshi.hardware.HWDiskStore;
import oshi.hardware.HardwareAbstractionLayer;
import oshi.hardware.NetworkIF;
import oshi.software.os.OperatingSystem;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/** The real host, through OSHI. Each part is read separately so one failure does not hide the rest. */
public final class OshiHostProbe implements HostProbe {
    private final SystemInfo si = new SystemInfo();

    @Override
    public HostReading read() {
        List<ErrorEntry> errors = new ArrayList<>();
        HardwareAbstractionLayer hal = si.getHardware();
        OperatingSystem os = si.getOperatingSystem();
        String hostname = part("hostname", errors, () -> os.getNetworkParams().getHostName());
        ComputerSystem cs = part("computerSystem", errors, hal::getComputerSystem);
        String osName = part("os", errors, () -> os.getFamily() + " " + os.getVersionInfo().getVersion());
        String kernel = part("kernel", errors, () -> os.getVersionInfo().getBuildNumber());
        HostInventory.Cpu cpu = part("cpu", errors, () -> {
            CentralProcessor p = hal.getProcessor();
            return new HostInventory.Cpu(p.getProcessorIdentifier().getName().trim(), p.getPhysicalPackageCount(),
                    p.getPhysicalProcessorCount(), p.getLogicalProcessorCount());
        });
        Long memory = part("memory", errors, () -> hal.getMemory().getTotal());
        List<HostInventory.Disk> disks = part("disks", errors, () -> hal.getDiskStores().stream()
                .map(OshiHostProbe::disk).toList());
        List<HostInventory.Nic> nics = part("nics", errors, () -> hal.getNetworkIFs(false).stream()
                .map(OshiHostProbe::nic).toList());
        HostInventory host = new HostInventory(hostname,
                cs == null ? null : blankToNull(cs.getManufacturer()),
                cs == null ? null : blankToNull(cs.getModel()),
                cs == null ? null : blankToNull(cs.getSerialNumber()),
                osName, kernel,
                cpu == null ? new HostInventory.Cpu(null, null, null, null) : cpu,
                memory, disks == null ? List.of() : disks, nics == null ? List.of() : nics);
        return new HostReading(host, List.copyOf(errors));
    }

    private static HostInventory.Disk disk(HWDiskStore d) {
        return new HostInventory.Disk(d.getName(), blankToNull(d.getModel()), blankToNull(d.getSerial()),
                d.getSize() > 0 ? d.getSize() : null);
    }

    private static HostInventory.Nic nic(NetworkIF n) {
        long speed = n.getSpeed();
        // Linux reports -1 (as unsigned: huge) or 0 for links without a speed.
        Long bps = speed > 0 && speed < 10_000_000_000_000L ? speed : null;
        return new HostInventory.Nic(n.getName(), blankToNull(n.getMacaddr()), bps, Arrays.asList(n.getIPv4addr()),
                n.getMTU() > 0 ? (int) n.getMTU() : null, n.getIfOperStatus() == NetworkIF.IfOperStatus.UP);
    }

    private static <T> T part(String field, List<ErrorEntry> errors, Supplier<T> reader) {
        try {
            return reader.get();
        } catch (RuntimeException | LinkageError e) {
            errors.add(new ErrorEntry("host", null, field, "READ_FAILED", field + ": " + e));
            return null;
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() || "unknown".equalsIgnoreCase(s.trim()) ? null : s.trim();
    }
}
