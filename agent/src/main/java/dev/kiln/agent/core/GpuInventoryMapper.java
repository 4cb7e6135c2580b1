package dev.kiln.agent.core;

import dev.kiln.nvml.ClockEventReason;
import dev.kiln.nvml.GpuSnapshot;
import dev.kiln.nvml.GpuState;
import dev.kiln.nvml.RecoveryAction;
import dev.kiln.protocol.ErrorEntry;
import dev.kiln.protocol.GpuInventory;

import java.util.List;
import java.util.Locale;

/** NVML's typed snapshot -> the wire record. Pure; the one place wire names for GPU fields are chosen. */
public final class GpuInventoryMapper {
    private GpuInventoryMapper() {
    }

    public static GpuInventory toWire(GpuSnapshot s) {
        return new GpuInventory(
                s.index(),
                state(s.state()),
                recommendedAction(s),
                s.name().orElse(null),
                s.uuid().orElse(null),
                s.serial().orElse(null),
                s.boardPartNumber().orElse(null),
                s.vbiosVersion().orElse(null),
                s.inforomImageVersion().orElse(null),
                s.pci().map(p -> new GpuInventory.Pci(p.busId(), p.domain(), p.bus(), p.device(), hex(p.pciDeviceId()),
                        hex(p.pciSubsystemId()))).orElse(null),
                s.minorNumber().orElse(null),
                s.architecture().map(a -> a.name().toLowerCase(Locale.ROOT)).orElse(null),
                s.computeCapability().map(Object::toString).orElse(null),
                s.memory().map(m -> m.totalBytes()).orElse(null),
                s.memory().map(m -> m.usedBytes()).orElse(null),
                s.memory().map(m -> m.freeBytes()).orElse(null),
                s.memory().flatMap(m -> m.reservedBytes()).orElse(null),
                s.temperatures().gpuCelsius().orElse(null),
                s.temperatures().slowdownCelsius().orElse(null),
                s.temperatures().shutdownCelsius().orElse(null),
                s.temperatures().memoryMaxCelsius().orElse(null),
                s.temperatures().gpuMaxCelsius().orElse(null),
                s.power().usageMilliwatts().orElse(null),
                s.power().limitMilliwatts().orElse(null),
                s.power().enforcedLimitMilliwatts().orElse(null),
                s.power().defaultLimitMilliwatts().orElse(null),
                s.power().totalEnergyMillijoules().orElse(null),
                s.clocks().smMhz().orElse(null),
                s.clocks().memoryMhz().orElse(null),
                s.clocks().smMaxMhz().orElse(null),
                s.clocks().memoryMaxMhz().orElse(null),
                s.clocks().eventReasons().stream().map(ClockEventReason::id).toList(),
                s.utilization().map(u -> u.gpuPercent()).orElse(null),
                s.utilization().map(u -> u.memoryPercent()).orElse(null),
                s.ecc().map(e -> new GpuInventory.Ecc(e.enabled(), e.pendingEnabled(),
                        e.volatileCorrected().orElse(null), e.volatileUncorrected().orElse(null),
                        e.aggregateCorrected().orElse(null), e.aggregateUncorrected().orElse(null))).orElse(null),
                s.remappedRows().map(r -> new GpuInventory.RemappedRows(r.correctable(), r.uncorrectable(),
                        r.pending(), r.failureOccurred())).orElse(null),
                new GpuInventory.Pcie(s.pcie().currentGeneration().orElse(null), s.pcie().currentWidth().orElse(null),
                        s.pcie().maxGeneration().orElse(null), s.pcie().maxWidth().orElse(null),
                        s.pcie().gpuMaxGeneration().orElse(null), s.pcie().replayCounter().orElse(null)),
                s.nvlinks().stream().map(l -> new GpuInventory.NvLink(l.link(), l.active(),
                        l.remotePciBusId().orElse(null))).toList(),
                s.persistenceMode().orElse(null),
                s.migMode().map(m -> new GpuInventory.Mig(m.current(), m.pending())).orElse(null),
                s.computeProcesses().map(ps -> ps.stream().map(p -> new GpuInventory.Process(p.pid(),
                        p.usedMemoryBytes().orElse(null))).toList()).orElse(null),
                s.recoveryAction().map(RecoveryAction::wireName).orElse(null));
    }

    /** What to do: the state's action for a lost GPU, else the driver's own recovery recommendation, else null. */
    static String recommendedAction(GpuSnapshot s) {
        if (s.state() == GpuState.UNREACHABLE && s.errors().stream()
                .anyMatch(e -> e.result() == dev.kiln.nvml.NvmlReturn.ERROR_INSUFFICIENT_POWER)) {
            return "NVML reports insufficient power: connect the GPU's auxiliary power cables and check the PSU";
        }
        if (s.state() != GpuState.OK) {
            return s.state().recommendedAction();
        }
        return s.recoveryAction().filter(a -> a != RecoveryAction.NONE).map(RecoveryAction::recommendedAction).orElse(null);
    }

    public static List<ErrorEntry> errors(GpuSnapshot s) {
        return s.errors().stream().map(e -> new ErrorEntry("gpu", s.index(), e.field(), e.result().name(),
                e.message())).toList();
    }

    static String state(GpuState state) {
        return switch (state) {
            case OK -> GpuInventory.STATE_OK;
            case LOST -> GpuInventory.STATE_LOST;
            case RESET_REQUIRED -> GpuInventory.STATE_RESET_REQUIRED;
            case UNREACHABLE -> GpuInventory.STATE_UNREACHABLE;
        };
    }

    /** 0x233010DE, as nvidia-smi prints PCI ids. */
    static String hex(int id) {
        return String.format("0x%08X", id);
    }
}
