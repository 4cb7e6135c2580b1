package dev.kiln.nvml.sim;

import dev.kiln.nvml.EventSubscription;
import dev.kiln.nvml.GpuSnapshot;
import dev.kiln.nvml.Nvml;
import dev.kiln.nvml.NvmlEvent;
import dev.kiln.nvml.NvmlEventType;
import dev.kiln.nvml.NvmlSession;
import dev.kiln.nvml.RecoveryAction;
import dev.kiln.nvml.raw.NvmlConstants;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** NVML event sets and the recovery-action field, as the simulator answers them through the typed API. */
class SimulatedEventsTest {
    private static final Set<NvmlEventType> HEALTH_WITHOUT_STORMS;

    static {
        EnumSet<NvmlEventType> s = EnumSet.copyOf(NvmlEventType.HEALTH);
        s.remove(NvmlEventType.SINGLE_BIT_ECC_ERROR_STORM);
        HEALTH_WITHOUT_STORMS = Set.copyOf(s);
    }

    /** A GPU like the default but without single-bit ECC storm events. */
    private static final long NO_STORMS = SimGpu.DEFAULT_EVENT_TYPES & ~NvmlConstants.EVENT_TYPE_SINGLE_BIT_ECC_ERROR_STORM;

    private static SimulatedServer h100(Fault... faults) {
        return new SimulatedServer("node-ev", ServerPresets.HGX_H100, List.of(faults));
    }

    private interface Body {
        void run(NvmlSession session, EventSubscription sub) throws Exception;
    }

    private static void watch(SimulatedServer server, Body body) {
        Nvml.withSession(server.binding(), s -> {
            try (EventSubscription sub = s.subscribeEvents(NvmlEventType.HEALTH)) {
                body.run(s, sub);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return null;
        });
    }

    @Test
    void everyGpuIsRegisteredForEveryHealthTypeAsOnAnH200() {
        watch(h100(), (s, sub) -> {
            assertThat(sub.active()).isTrue();
            assertThat(sub.reason()).isEmpty();
            assertThat(sub.registrations()).hasSize(8).allSatisfy(r -> {
                assertThat(r.types()).isEqualTo(NvmlEventType.HEALTH);
                assertThat(r.problem()).isEmpty();
                assertThat(r.uuid()).isPresent();
            });
        });
    }

    @Test
    void typesAGpuDoesNotSupportAreLeftOutAndNamed() {
        SimulatedServer server = h100();
        server.slots().forEach(g -> g.setSupportedEventTypes(NO_STORMS));
        watch(server, (s, sub) -> {
            assertThat(sub.active()).isTrue();
            assertThat(sub.registrations()).allSatisfy(r -> {
                assertThat(r.types()).isEqualTo(HEALTH_WITHOUT_STORMS);
                assertThat(r.problem()).hasValueSatisfying(p -> assertThat(p).contains("not supported")
                        .contains("SINGLE_BIT_ECC_ERROR_STORM"));
            });
            server.injectEvent(1, NvmlConstants.EVENT_TYPE_SINGLE_BIT_ECC_ERROR_STORM, 0);
            assertThat(sub.poll(0)).isEmpty();
        });
    }

    @Test
    void injectedEventIsPolledWithTheGpusIdentity() {
        SimulatedServer server = h100();
        watch(server, (s, sub) -> {
            assertThat(sub.poll(0)).isEmpty();
            server.injectEvent(3, NvmlConstants.EVENT_TYPE_DOUBLE_BIT_ECC_ERROR, 0);
            NvmlEvent e = sub.poll(0).orElseThrow();
            assertThat(e.gpuIndex()).isEqualTo(3);
            assertThat(e.uuid()).contains(server.gpu(3).uuid());
            assertThat(e.pciBusId()).contains(server.gpu(3).busId());
            assertThat(e.type()).contains(NvmlEventType.DOUBLE_BIT_ECC_ERROR);
            assertThat(e.xid()).isEmpty();
            assertThat(e.gpuInstanceId()).as("0xFFFFFFFF outside MIG").isEmpty();
            assertThat(e.computeInstanceId()).isEmpty();
            assertThat(sub.poll(0)).isEmpty();
        });
    }

    @Test
    void eventsComeOutInOrder() {
        SimulatedServer server = h100();
        watch(server, (s, sub) -> {
            for (int code : new int[]{13, 31, 43, 79}) {
                server.injectEvent(code % 8, NvmlConstants.EVENT_TYPE_XID_CRITICAL_ERROR, code);
            }
            assertThat(List.of(sub.poll(0), sub.poll(0), sub.poll(0), sub.poll(0)))
                    .extracting(o -> o.orElseThrow().eventData()).containsExactly(13L, 31L, 43L, 79L);
            assertThat(sub.poll(0)).isEmpty();
        });
    }

    @Test
    void emptyWaitTimesOutAfterTheTimeoutAndNotMuchLater() {
        watch(h100(), (s, sub) -> {
            long start = System.nanoTime();
            assertThat(sub.poll(0)).isEmpty();
            assertThat(sub.poll(150)).isEmpty();
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertThat(ms).isBetween(140L, 3_000L);
            assertThatThrownBy(() -> sub.poll(-1)).isInstanceOf(IllegalArgumentException.class);
        });
    }

    @Test
    void blockedWaitWakesForAnEvent() {
        SimulatedServer server = h100();
        watch(server, (s, sub) -> {
            CompletableFuture<Void> later = CompletableFuture.runAsync(() -> server.injectEvent(0,
                    NvmlConstants.EVENT_TYPE_XID_CRITICAL_ERROR, 94), CompletableFuture.delayedExecutor(100,
                    TimeUnit.MILLISECONDS));
            long start = System.nanoTime();
            Optional<NvmlEvent> e = sub.poll(20_000);
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(10_000);
            assertThat(e.orElseThrow().xid()).contains(94L);
            later.join();
        });
    }

    @Test
    void typesNobodyRegisteredAreNotDelivered() {
        SimulatedServer server = h100();
        watch(server, (s, sub) -> {
            server.injectEvent(1, NvmlConstants.EVENT_TYPE_PSTATE, 0);  // supported, not asked for
            server.injectEvent(1, NvmlConstants.EVENT_TYPE_CLOCK, 0);
            assertThat(sub.poll(0)).isEmpty();
        });
        assertThatThrownBy(() -> server.injectEvent(0, 0x3L, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> server.injectEvent(8, 0x8L, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aGpuWithoutEventSupportIsACapabilityNotAnError() {
        SimulatedServer server = h100();
        server.gpu(1).setSupportedEventTypes(0);
        server.gpu(2).setSupportedEventTypes(NvmlConstants.EVENT_TYPE_XID_CRITICAL_ERROR);
        watch(server, (s, sub) -> {
            assertThat(sub.active()).isTrue();
            assertThat(sub.registrations().get(1).types()).isEmpty();
            assertThat(sub.registrations().get(1).problem()).hasValueSatisfying(p -> assertThat(p)
                    .contains("not supported"));
            assertThat(sub.registrations().get(2).types()).containsExactly(NvmlEventType.XID_CRITICAL_ERROR);
            server.injectEvent(1, NvmlConstants.EVENT_TYPE_XID_CRITICAL_ERROR, 13);
            server.injectEvent(2, NvmlConstants.EVENT_TYPE_DOUBLE_BIT_ECC_ERROR, 0);
            server.injectEvent(2, NvmlConstants.EVENT_TYPE_XID_CRITICAL_ERROR, 48);
            assertThat(sub.poll(0).orElseThrow().eventData()).isEqualTo(48L);
            assertThat(sub.poll(0)).isEmpty();
        });
    }

    @Test
    void noGpuSupportingAnyTypeLeavesAnInactiveSubscriptionThatSaysWhy() {
        SimulatedServer server = h100();
        server.slots().forEach(g -> g.setSupportedEventTypes(NvmlConstants.EVENT_TYPE_PSTATE));
        watch(server, (s, sub) -> {
            assertThat(sub.active()).isFalse();
            assertThat(sub.reason()).hasValueSatisfying(r -> assertThat(r).contains("no GPU supports"));
            assertThat(sub.poll(100)).isEmpty();
        });
    }

    @Test
    void olderDriverWithoutEventSymbolsLeavesAnInactiveSubscription() {
        SimulatedServer server = h100(new Fault.MissingSymbol(List.of("nvmlEventSetWait_v2"), Optional.empty()));
        watch(server, (s, sub) -> {
            assertThat(sub.active()).isFalse();
            assertThat(sub.reason()).hasValueSatisfying(r -> assertThat(r).contains("nvmlEventSetWait_v2"));
            assertThat(sub.registrations()).isEmpty();
            assertThat(sub.poll(0)).isEmpty();
        });
        // Without GetSupportedEventTypes the subscription still registers, learning support from refusals.
        SimulatedServer noProbe = h100(new Fault.MissingSymbol(List.of("nvmlDeviceGetSupportedEventTypes"),
                Optional.empty()));
        watch(noProbe, (s, sub) -> {
            assertThat(sub.active()).isTrue();
            assertThat(sub.registrations().get(0).types()).isEqualTo(NvmlEventType.HEALTH);
        });
    }

    @Test
    void aMissingGpuShiftsTheIndexEventsAreReportedWith() {
        SimulatedServer server = h100(new Fault.GpuMissing(3));
        watch(server, (s, sub) -> {
            assertThat(sub.registrations()).hasSize(7);
            server.injectEvent(4, NvmlConstants.EVENT_TYPE_XID_CRITICAL_ERROR, 74);
            NvmlEvent e = sub.poll(0).orElseThrow();
            assertThat(e.gpuIndex()).isEqualTo(3);
            assertThat(e.uuid()).contains(server.gpu(4).uuid());
        });
    }

    @Test
    void eventsRaisedBeforeAnyWatcherStartedAreHandedToTheFirstOne() {
        SimulatedServer server = h100();
        server.injectXid(0, 92);
        server.injectEvent(7, NvmlConstants.EVENT_TYPE_DRAM_RETIREMENT_FAILURE, 0);
        watch(server, (s, sub) -> {
            assertThat(sub.poll(0).orElseThrow().xid()).contains(92L);
            assertThat(sub.poll(0).orElseThrow().type()).contains(NvmlEventType.DRAM_RETIREMENT_FAILURE);
            assertThat(sub.poll(0)).isEmpty();
        });
        // Once a watcher has registered, events nobody listens for are gone, as with the driver.
        server.injectXid(0, 13);
        watch(server, (s, sub) -> assertThat(sub.poll(0)).isEmpty());
    }

    @Test
    void everySubscriptionReceivesEveryEvent() {
        SimulatedServer server = h100();
        Nvml.withSession(server.binding(), s -> {
            try (EventSubscription a = s.subscribeEvents(NvmlEventType.HEALTH);
                 EventSubscription b = s.subscribeEvents(Set.of(NvmlEventType.XID_CRITICAL_ERROR))) {
                server.injectXid(2, 13);
                server.injectEvent(2, NvmlConstants.EVENT_TYPE_DOUBLE_BIT_ECC_ERROR, 0);
                assertThat(a.poll(0).orElseThrow().xid()).contains(13L);
                assertThat(a.poll(0).orElseThrow().type()).contains(NvmlEventType.DOUBLE_BIT_ECC_ERROR);
                assertThat(b.poll(0).orElseThrow().xid()).contains(13L);
                assertThat(b.poll(0)).isEmpty();
            }
            return null;
        });
    }

    @Test
    void closingTheSessionClosesItsSubscriptions() {
        SimulatedServer server = h100();
        EventSubscription sub;
        try (NvmlSession s = NvmlSession.open(server.binding())) {
            sub = s.subscribeEvents(NvmlEventType.HEALTH);
            assertThat(sub.active()).isTrue();
        }
        assertThat(sub.active()).isFalse();
        assertThat(sub.reason()).hasValueSatisfying(r -> assertThat(r).contains("closed"));
        assertThat(sub.poll(0)).isEmpty();
        sub.close(); // idempotent
    }

    @Test
    void aGpuLostAfterRegistrationStillNamesItsEvents() {
        SimulatedServer server = h100();
        watch(server, (s, sub) -> {
            server.injectXid(4, 79);
            assertThat(server.gpu(4).isLost()).isTrue();
            NvmlEvent e = sub.poll(0).orElseThrow();
            assertThat(e.gpuIndex()).isEqualTo(4);
            assertThat(e.uuid()).contains(server.gpu(4).uuid());
            assertThat(e.xid()).contains(79L);
        });
    }

    // --- recovery action (field 230) ---------------------------------------------------------

    @Test
    void recoveryActionIsReadThroughFieldValues() {
        SimulatedServer server = h100();
        server.setRecoveryAction(2, RecoveryAction.NODE_REBOOT);
        Nvml.withSession(server.binding(), s -> {
            assertThat(s.device(2).recoveryAction()).contains(RecoveryAction.NODE_REBOOT);
            assertThat(s.device(0).recoveryAction()).contains(RecoveryAction.NONE);
            GpuSnapshot snap = s.device(2).snapshot();
            assertThat(snap.recoveryAction()).contains(RecoveryAction.NODE_REBOOT);
            assertThat(snap.errors()).isEmpty();
            return null;
        });
        assertThatThrownBy(() -> server.setRecoveryAction(0, RecoveryAction.UNKNOWN))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void recoveryActionIsAbsentOnADriverWithoutFieldValues() {
        SimulatedServer server = h100(new Fault.MissingSymbol(List.of("nvmlDeviceGetFieldValues"), Optional.empty()),
                new Fault.DriverRecoveryAction(0, RecoveryAction.GPU_RESET));
        GpuSnapshot snap = Nvml.withSession(server.binding(), s -> s.device(0).snapshot());
        assertThat(snap.recoveryAction()).isEmpty();
        assertThat(snap.errors()).isEmpty();
    }

    @Test
    void memoryTemperatureIsReadThroughFieldValues() {
        SimulatedServer server = h100();
        Nvml.withSession(server.binding(), s -> {
            int core = s.device(1).temperatureCelsius().orElseThrow();
            assertThat(s.device(1).memoryTemperatureCelsius())
                    .contains(core + SimulatedNvml.MEMORY_TEMPERATURE_OFFSET);
            return null;
        });
        SimulatedServer old = h100(new Fault.MissingSymbol(List.of("nvmlDeviceGetFieldValues"), Optional.empty()));
        Optional<Integer> none = Nvml.withSession(old.binding(), s -> s.device(1).memoryTemperatureCelsius());
        assertThat(none).isEmpty();
    }

    @Test
    void recoveryActionCodesMapBothWays() {
        assertThat(RecoveryAction.of(0)).isEqualTo(RecoveryAction.NONE);
        assertThat(RecoveryAction.of(5)).isEqualTo(RecoveryAction.RECOVER_IMEX_DOMAIN);
        assertThat(RecoveryAction.of(6)).isEqualTo(RecoveryAction.UNKNOWN);
        assertThat(RecoveryAction.of(-1)).isEqualTo(RecoveryAction.UNKNOWN);
        for (RecoveryAction a : RecoveryAction.values()) {
            assertThat(RecoveryAction.ofWireName(a.wireName())).isEqualTo(a);
            assertThat(a.wireName()).matches("[a-z][a-z0-9_]*");
        }
        assertThatThrownBy(() -> RecoveryAction.ofWireName("reboot")).hasMessageContaining("gpu_reset");
    }
}
