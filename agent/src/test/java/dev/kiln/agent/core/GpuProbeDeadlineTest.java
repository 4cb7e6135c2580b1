package dev.kiln.agent.core;

import dev.kiln.nvml.raw.NvmlBinding;
import dev.kiln.nvml.raw.NvmlLibrary;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.nvml.sim.SimulatedServer;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

/** A hung NVML call (a sick GPU) must not hang the agent: the reading says NVML is not answering. */
class GpuProbeDeadlineTest {
    @Test
    void aHungNvmlCallBecomesANotAnsweringReadingAndLaterCallsReturnAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        NvmlBinding sim = new SimulatedServer("n1", ServerPresets.HGX_H100).binding();
        NvmlLibrary real = sim.library();
        NvmlLibrary hanging = (NvmlLibrary) Proxy.newProxyInstance(NvmlLibrary.class.getClassLoader(),
                new Class<?>[]{NvmlLibrary.class}, (proxy, method, args) -> {
                    if (method.getName().equals("nvmlDeviceGetCount_v2")) {
                        release.await();
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        GpuProbe probe = GpuProbe.of(new NvmlBinding(hanging, sim.symbols(), sim.description(), true))
                .withDeadline(Duration.ofSeconds(2));
        try {
            long t0 = System.nanoTime();
            GpuProbe.GpuSummary first = probe.summary();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            assertThat(first.status().available()).isFalse();
            assertThat(first.status().reason()).contains("did not answer within");
            assertThat(first.errors()).extracting(e -> e.code()).containsExactly("NVML_TIMEOUT");

            long t1 = System.nanoTime();
            GpuProbe.GpuReading second = probe.read();
            // Queued behind the hung call it would wait out the 2 s deadline; the margin absorbs a loaded machine.
            assertThat(Duration.ofNanos(System.nanoTime() - t1)).as("no second thread queues behind a hung call")
                    .isLessThan(Duration.ofMillis(1500));
            assertThat(second.status().reason()).contains("has not answered an earlier call");
            assertThat(second.gpus()).isEmpty();
        } finally {
            release.countDown();
        }
        // Once NVML answers again, so does the probe.
        GpuProbe.GpuSummary after = null;
        for (int i = 0; i < 200 && (after == null || !after.status().available()); i++) {
            Thread.sleep(50);
            after = probe.summary();
        }
        assertThat(after.status().available()).isTrue();
        assertThat(after.count()).isEqualTo(8);
        probe.close();
    }
}
