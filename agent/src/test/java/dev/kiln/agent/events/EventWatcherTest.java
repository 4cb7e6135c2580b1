package dev.kiln.agent.events;

import dev.kiln.agent.core.NodeAgent;
import dev.kiln.nvml.raw.NvmlBinding;
import dev.kiln.nvml.raw.NvmlConstants;
import dev.kiln.nvml.raw.NvmlLibrary;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.nvml.sim.SimGpu;
import dev.kiln.nvml.sim.SimulatedServer;
import dev.kiln.protocol.event.GpuEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

class EventWatcherTest {
    /** A poller whose rounds the tests run by hand (its interval is far longer than any test). */
    private EventPoller manual;

    @BeforeEach
    void poller() {
        manual = new EventPoller(Duration.ofHours(1));
    }

    @AfterEach
    void stopPoller() {
        manual.close();
    }

    static final class MutableClock extends Clock {
        Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private EventWatcher watch(SimulatedServer server, EventLog log, Clock clock) {
        return EventWatcher.start("node-w", server.binding(), null, log, clock, manual);
    }

    @Test
    void drainsInjectedEventsIntoTheLogWithTimeBootAndSeverity() {
        SimulatedServer server = new SimulatedServer("node-w", ServerPresets.HGX_H100);
        server.slots().forEach(g -> g.setSupportedEventTypes(SimGpu.DEFAULT_EVENT_TYPES
                & ~NvmlConstants.EVENT_TYPE_SINGLE_BIT_ECC_ERROR_STORM));
        MutableClock clock = new MutableClock(Instant.parse("2025-03-14T09:00:00Z"));
        EventLog log = EventLog.inMemory("boot-7");
        try (EventWatcher w = watch(server, log, clock)) {
            assertThat(w.watching()).isTrue();
            assertThat(manual.watcherCount()).isEqualTo(1);
            assertThat(w.reason()).contains("GPUs 0,1,2,3,4,5,6,7: not supported: [SINGLE_BIT_ECC_ERROR_STORM]");
            assertThat(w.registrations()).hasSize(8);

            assertThat(w.drain()).isZero();
            server.injectXid(5, 79);
            server.injectEvent(2, NvmlConstants.EVENT_TYPE_DOUBLE_BIT_ECC_ERROR, 0);
            clock.now = clock.now.plusSeconds(3);
            assertThat(w.drain()).isEqualTo(2);
            assertThat(log.all()).extracting(GpuEvent::gpuIndex, GpuEvent::type, GpuEvent::code, GpuEvent::severity)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(5, "xid", 79L, "fail"),
                            org.assertj.core.groups.Tuple.tuple(2, "ecc_double_bit", null, "fail"));
            GpuEvent first = log.all().get(0);
            assertThat(first.time()).isEqualTo(Instant.parse("2025-03-14T09:00:03Z"));
            assertThat(first.bootId()).isEqualTo("boot-7");
            assertThat(first.uuid()).isEqualTo(server.gpu(5).uuid());
            assertThat(first.pciBusId()).isEqualTo(server.gpu(5).busId());
        }
        assertThat(manual.watcherCount()).as("closed watchers leave the poller").isZero();
    }

    @Test
    void faultFileEventsFromBootAreSeenByAWatcherStartedLater() {
        SimulatedServer server = new SimulatedServer("node-w", ServerPresets.HGX_H100,
                List.of(new Fault.Xid(1, 48, Duration.ZERO), new Fault.DriverRecoveryAction(1,
                        dev.kiln.nvml.RecoveryAction.GPU_RESET)));
        EventLog log = EventLog.inMemory("b");
        try (EventWatcher w = watch(server, log, Clock.systemUTC())) {
            w.drain();
            assertThat(log.all()).extracting(GpuEvent::type, GpuEvent::code).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("xid", 48L),
                    org.assertj.core.groups.Tuple.tuple("recovery_action", 1L));
        }
    }

    @Test
    void withoutNvmlTheWatcherSaysWhyAndIsNeverPolled() {
        EventLog log = EventLog.inMemory("b");
        try (EventWatcher w = EventWatcher.start("n", null, "NVML library not found: libnvidia-ml.so.1", log,
                Clock.systemUTC(), manual)) {
            assertThat(w.watching()).isFalse();
            assertThat(w.reason()).contains("NVML library not found: libnvidia-ml.so.1");
            assertThat(manual.watcherCount()).isZero();
            assertThat(w.drain()).isZero();
        }
    }

    @Test
    void aDriverWithoutEventsIsReportedOnceAndNotRetried() {
        SimulatedServer server = new SimulatedServer("node-w", ServerPresets.HGX_H100,
                List.of(new Fault.MissingSymbol(List.of("nvmlEventSetCreate"), Optional.empty())));
        MutableClock clock = new MutableClock(Instant.parse("2025-03-14T09:00:00Z"));
        try (EventWatcher w = watch(server, EventLog.inMemory("b"), clock)) {
            assertThat(w.watching()).isFalse();
            assertThat(w.reason()).hasValueSatisfying(r -> assertThat(r).contains("nvmlEventSetCreate"));
            clock.now = clock.now.plus(Duration.ofHours(1));
            w.drain();
            assertThat(w.watching()).isFalse();
        }
    }

    /** The simulator's NVML, except that nvmlInit_v2 answers DRIVER_NOT_LOADED while {@code down} is set. */
    private static NvmlBinding flakyInit(SimulatedServer server, AtomicBoolean down) {
        NvmlBinding real = server.binding();
        NvmlLibrary lib = (NvmlLibrary) Proxy.newProxyInstance(NvmlLibrary.class.getClassLoader(),
                new Class<?>[]{NvmlLibrary.class}, (proxy, method, args) -> {
                    if (method.getName().equals("nvmlInit_v2") && down.get()) {
                        return 9;
                    }
                    try {
                        return method.invoke(real.library(), args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return new NvmlBinding(lib, real.symbols(), real.description(), true);
    }

    @Test
    void nvmlThatCannotInitializeIsRetriedEveryThirtySeconds() {
        SimulatedServer server = new SimulatedServer("node-w", ServerPresets.PCIE_L40S);
        AtomicBoolean down = new AtomicBoolean(true);
        MutableClock clock = new MutableClock(Instant.parse("2025-03-14T09:00:00Z"));
        EventLog log = EventLog.inMemory("b");
        try (EventWatcher w = EventWatcher.start("n", flakyInit(server, down), null, log, clock, manual)) {
            assertThat(w.watching()).isFalse();
            assertThat(w.reason()).hasValueSatisfying(r -> assertThat(r).contains("could not start")
                    .contains("ERROR_DRIVER_NOT_LOADED").contains("retrying"));
            down.set(false);
            clock.now = clock.now.plusSeconds(10);
            w.drain();
            assertThat(w.watching()).as("not before the retry is due").isFalse();
            clock.now = clock.now.plusSeconds(25);
            server.injectXid(0, 94);
            assertThat(w.drain()).isEqualTo(1);
            assertThat(w.watching()).isTrue();
            assertThat(log.all()).extracting(GpuEvent::code).containsExactly(94L);
        }
    }

    @Test
    void aRoundDrainsEveryWatcher() {
        List<SimulatedServer> servers = new ArrayList<>();
        List<EventWatcher> watchers = new ArrayList<>();
        List<EventLog> logs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            SimulatedServer s = new SimulatedServer("node-" + i, ServerPresets.PCIE_L40S);
            EventLog log = EventLog.inMemory("b");
            servers.add(s);
            logs.add(log);
            watchers.add(watch(s, log, Clock.systemUTC()));
        }
        for (int i = 0; i < 3; i++) {
            servers.get(i).injectXid(i, 79);
        }
        manual.round();
        for (int i = 0; i < 3; i++) {
            int gpu = i;
            assertThat(logs.get(i).all()).singleElement().satisfies(e -> assertThat(e.gpuIndex()).isEqualTo(gpu));
        }
        watchers.forEach(EventWatcher::close);
        assertThat(manual.watcherCount()).isZero();
    }

    @Test
    void twoHundredSimulatedAgentsShareOnePollerThread() throws Exception {
        int watchersBefore = EventPoller.shared().watcherCount();
        // One poller thread per class loader: each Quarkus test profile in this JVM loads the agent again.
        long pollersBefore = pollerThreads();
        List<NodeAgent> agents = new ArrayList<>();
        try {
            agents.add(NodeAgent.simulated("node-001", ServerPresets.HGX_H100, FaultPlan.NONE, 1, true));
            long threadsWithOne = Thread.activeCount();
            for (int i = 2; i <= 200; i++) {
                agents.add(NodeAgent.simulated(String.format("node-%03d", i), ServerPresets.HGX_H100, FaultPlan.NONE,
                        i, true));
            }
            assertThat(EventPoller.shared().watcherCount()).isEqualTo(watchersBefore + 200);
            assertThat(pollerThreads()).as("one shared poller thread, not one per agent").isPositive();
            assertThat(pollerThreads() - pollersBefore).as("poller threads started for 200 agents").isBetween(0L, 1L);
            assertThat(Thread.activeCount() - threadsWithOne).as("threads started for 199 more agents").isLessThan(5);
            assertThat(agents).allSatisfy(a -> assertThat(a.eventsWatched()).isTrue());

            NodeAgent target = agents.get(136);
            target.simulatedServer().injectXid(6, 79);
            agents.get(0).simulatedServer().injectEvent(0, NvmlConstants.EVENT_TYPE_GPU_UNAVAILABLE_ERROR, 0);
            await("the shared poller to drain node-137", () -> !target.events().all().isEmpty()
                    && !agents.get(0).events().all().isEmpty());
            assertThat(target.events().all()).singleElement().satisfies(e -> {
                assertThat(e.gpuIndex()).isEqualTo(6);
                assertThat(e.code()).isEqualTo(79L);
                assertThat(e.bootId()).isEqualTo(target.events().bootId());
            });
            assertThat(agents.get(0).events().all()).extracting(GpuEvent::type).containsExactly("gpu_unavailable");
            assertThat(agents.subList(1, 136)).allSatisfy(a -> assertThat(a.events().all()).isEmpty());
        } finally {
            agents.forEach(NodeAgent::close);
        }
        assertThat(EventPoller.shared().watcherCount()).isEqualTo(watchersBefore);
    }

    @Test
    void aReaderRightAfterStartSeesTheXidsTheDriverAlreadyReported() {
        try (NodeAgent a = NodeAgent.simulated("node-x", ServerPresets.HGX_H100,
                FaultPlan.of(new Fault.Xid(4, 48, Duration.ZERO), new Fault.Xid(6, 94, Duration.ZERO)), 1, true)) {
            // No waiting for the poller: readers catch up with what NVML has queued.
            assertThat(a.recentEvents().watching()).isTrue();
            assertThat(a.recentEvents().thisBoot()).extracting(GpuEvent::gpuIndex, GpuEvent::code).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(4, 48L), org.assertj.core.groups.Tuple.tuple(6, 94L));
            assertThat(a.recentEvents().since(Instant.now().plusSeconds(60))).isEmpty();
        }
    }

    /** Live threads of the shared poller (pollers of their own are named THREAD_NAME-n). */
    private static long pollerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.isDaemon() && t.getName().equals(EventPoller.THREAD_NAME))
                .count();
    }
}
