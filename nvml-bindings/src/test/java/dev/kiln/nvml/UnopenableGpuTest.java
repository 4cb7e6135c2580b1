package dev.kiln.nvml;

import dev.kiln.nvml.raw.NvmlBinding;
import dev.kiln.nvml.raw.NvmlLibrary;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.nvml.sim.SimulatedServer;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A GPU NVML counts but will not open (e.g. INSUFFICIENT_POWER) is a finding, never a healthy GPU. */
class UnopenableGpuTest {
    private static NvmlBinding refusingHandle(int index, int code) {
        NvmlBinding sim = new SimulatedServer("n1", ServerPresets.HGX_H100).binding();
        NvmlLibrary real = sim.library();
        NvmlLibrary wrapped = (NvmlLibrary) Proxy.newProxyInstance(NvmlLibrary.class.getClassLoader(),
                new Class<?>[]{NvmlLibrary.class}, (proxy, method, args) -> {
                    if (method.getName().equals("nvmlDeviceGetHandleByIndex_v2") && (int) args[0] == index) {
                        return code;
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return new NvmlBinding(wrapped, sim.symbols(), sim.description(), true);
    }

    @Test
    void insufficientPowerOnAHandleIsUnreachableWithTheReason() {
        try (NvmlSession s = NvmlSession.open(refusingHandle(3, NvmlReturn.ERROR_INSUFFICIENT_POWER.code()))) {
            List<GpuSnapshot> all = s.snapshotAll();
            assertThat(all).hasSize(8);
            GpuSnapshot g3 = all.get(3);
            assertThat(g3.state()).isEqualTo(GpuState.UNREACHABLE);
            assertThat(g3.errors()).singleElement().satisfies(e -> {
                assertThat(e.result()).isEqualTo(NvmlReturn.ERROR_INSUFFICIENT_POWER);
                assertThat(e.function()).isEqualTo("nvmlDeviceGetHandleByIndex_v2");
            });
            assertThat(all).filteredOn(g -> g.index() != 3).allMatch(g -> g.state() == GpuState.OK);
            assertThat(GpuState.UNREACHABLE.recommendedAction()).contains("power");
        }
    }

    @Test
    void lostStaysLost() {
        try (NvmlSession s = NvmlSession.open(refusingHandle(1, NvmlReturn.ERROR_GPU_IS_LOST.code()))) {
            assertThat(s.snapshotAll().get(1).state()).isEqualTo(GpuState.LOST);
        }
    }
}
