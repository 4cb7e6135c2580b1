package dev.kiln.agent.events;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.event.GpuEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class EventLogTest {
    private static final Instant T0 = Instant.parse("2025-03-14T09:00:00Z");

    private static GpuEvent xid(int gpu, long code, int secondsAfterT0, String boot) {
        return new GpuEvent(T0.plusSeconds(secondsAfterT0), boot, gpu, "GPU-" + gpu, "00000000:1" + gpu + ":00.0",
                "xid", code, EventPolicy.xidSeverity(code), "Xid " + code);
    }

    private static List<Path> filesIn(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void eachGpuKeepsItsOwnBoundedRingAndOrderIsGlobal() {
        EventLog log = EventLog.inMemory("b1", 4);
        log.record(xid(1, 79, 0, "b1"));                 // GPU 1's only event
        List<GpuEvent> chatty = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            chatty.add(xid(0, 13, i + 1, "b1"));
        }
        log.recordAll(chatty);
        log.record(xid(2, 48, 20, "b1"));

        List<GpuEvent> all = log.all();
        assertThat(all).filteredOn(e -> e.gpuIndex() == 0).hasSize(4)
                .extracting(GpuEvent::time).containsExactly(T0.plusSeconds(7), T0.plusSeconds(8), T0.plusSeconds(9),
                        T0.plusSeconds(10));
        assertThat(all).as("a chatty GPU never pushes out another GPU's Xid")
                .filteredOn(e -> e.gpuIndex() == 1).extracting(GpuEvent::code).containsExactly(79L);
        assertThat(all).extracting(GpuEvent::gpuIndex).containsExactly(1, 0, 0, 0, 0, 2);
        assertThat(log.perGpuLimit()).isEqualTo(4);
        assertThat(EventLog.inMemory("b").perGpuLimit()).isEqualTo(EventLog.DEFAULT_PER_GPU);
    }

    @Test
    void aBurstOfApplicationXidsNeverPushesOutAHardwareFault() {
        EventLog log = EventLog.inMemory("b1", 8);
        log.record(xid(0, 79, 0, "b1"));
        List<GpuEvent> burst = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            burst.add(xid(0, 13, i + 1, "b1"));
        }
        log.recordAll(burst);
        assertThat(log.all()).hasSize(8).extracting(GpuEvent::code).contains(79L);
        assertThat(log.all()).filteredOn(e -> e.code() == 13L).extracting(GpuEvent::time)
                .as("the newest informational events are kept").last().isEqualTo(T0.plusSeconds(300));
    }

    @Test
    void aGpuWithoutUuidIsKeyedByIndex() {
        EventLog log = EventLog.inMemory("b1", 1);
        log.record(new GpuEvent(T0, "b1", 3, null, null, "xid", 79L, "fail", "Xid 79"));
        log.record(new GpuEvent(T0, "b1", 4, null, null, "xid", 79L, "fail", "Xid 79"));
        assertThat(log.all()).extracting(GpuEvent::gpuIndex).containsExactly(3, 4);
    }

    @Test
    void recentAndBootFilters() {
        EventLog log = EventLog.inMemory("boot-now");
        log.recordAll(List.of(xid(0, 79, 0, "boot-old"), xid(0, 48, 60, "boot-old"), xid(1, 63, 120, "boot-now"),
                xid(2, 13, 180, "boot-now")));
        assertThat(log.bootId()).isEqualTo("boot-now");
        assertThat(log.thisBoot()).extracting(GpuEvent::code).containsExactly(63L, 13L);
        assertThat(log.sinceBoot("boot-old")).extracting(GpuEvent::code).containsExactly(79L, 48L);
        assertThat(log.sinceBoot("boot-never")).isEmpty();
        assertThat(log.recent(T0.plusSeconds(60))).as("inclusive").extracting(GpuEvent::code)
                .containsExactly(48L, 63L, 13L);
        assertThat(log.recent(T0.plusSeconds(181))).isEmpty();
        assertThat(log.file()).isEmpty();
        assertThat(log.notes()).isEmpty();
    }

    @Test
    void persistedEventsSurviveARestartAndKeepTheirBoot(@TempDir Path dir) throws IOException {
        EventLog first = EventLog.inStateDir(dir, "boot-1", 8);
        assertThat(first.file()).contains(dir.resolve(EventLog.FILE_NAME));
        first.recordAll(List.of(xid(0, 79, 0, "boot-1"), xid(3, 94, 5, "boot-1")));
        assertThat(filesIn(dir)).as("no temporary file left behind")
                .containsExactly(dir.resolve("events.json"), dir.resolve(EventLog.LOCK_NAME));
        JsonNode json = KilnJson.mapper().readTree(dir.resolve("events.json").toFile());
        assertThat(json.get("kind").asText()).isEqualTo("kiln.event-log");
        assertThat(json.get("schemaVersion").asInt()).isEqualTo(1);
        assertThat(json.get("events")).hasSize(2);

        // While the first agent holds the directory, a second one keeps events in memory and says why.
        EventLog concurrent = EventLog.inStateDir(dir, "boot-1", 8);
        assertThat(concurrent.file()).isEmpty();
        assertThat(concurrent.notes()).anySatisfy(n -> assertThat(n).contains("already used by another event log"));

        // The node rebooted: the new agent sees the old events, marked with the old boot.
        first.close();
        EventLog second = EventLog.inStateDir(dir, "boot-2", 8);
        assertThat(second.all()).isEqualTo(first.all());
        assertThat(second.thisBoot()).isEmpty();
        assertThat(second.sinceBoot("boot-1")).hasSize(2);
        second.record(xid(0, 48, 600, "boot-2"));
        assertThat(second.thisBoot()).extracting(GpuEvent::code).containsExactly(48L);

        EventLog third = EventLog.persisted(dir.resolve("events.json"), "boot-2", 8);
        assertThat(third.all()).extracting(GpuEvent::code).containsExactly(79L, 94L, 48L);
        assertThat(third.notes()).isEmpty();
    }

    @Test
    void loadingAppliesTheRingBound(@TempDir Path dir) {
        EventLog big = EventLog.inStateDir(dir, "b", 10);
        for (int i = 0; i < 10; i++) {
            big.record(xid(0, 13, i, "b"));
        }
        big.close();
        EventLog small = EventLog.inStateDir(dir, "b", 3);
        assertThat(small.all()).extracting(GpuEvent::time)
                .containsExactly(T0.plusSeconds(7), T0.plusSeconds(8), T0.plusSeconds(9));
    }

    @Test
    void malformedStateFileIsMovedAsideAndTheLogStartsEmpty(@TempDir Path dir) throws IOException {
        for (String garbage : List.of("{not json", "[]", "{\"schemaVersion\":1,\"kind\":\"something-else\",\"events\":[]}",
                "{\"schemaVersion\":2,\"kind\":\"kiln.event-log\",\"events\":[]}", "{\"schemaVersion\":1,"
                        + "\"kind\":\"kiln.event-log\",\"events\":[{\"time\":\"yesterday\"}]}", "")) {
            Path sub = Files.createTempDirectory(dir, "case");
            Path file = sub.resolve("events.json");
            Files.writeString(file, garbage);
            EventLog log = EventLog.inStateDir(sub, "b", 8);
            assertThat(log.all()).as(garbage).isEmpty();
            assertThat(log.notes()).as(garbage).singleElement().satisfies(n -> assertThat(n)
                    .contains("unreadable").contains("moved to"));
            assertThat(Files.exists(file)).as("moved away: %s", garbage).isFalse();
            try (Stream<Path> s = Files.list(sub)) {
                Path aside = s.filter(p -> p.getFileName().toString().startsWith("events.json.corrupt-")).findFirst()
                        .orElseThrow();
                assertThat(Files.readString(aside)).isEqualTo(garbage);
            }
            // And it keeps working: the next event writes a fresh file.
            log.record(xid(1, 79, 0, "b"));
            assertThat(EventLog.persisted(file, "b", 8).all()).hasSize(1);
        }
    }

    @Test
    void eventsMissingTimeOrTypeAreDroppedOnLoad(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("events.json"), """
                {"schemaVersion":1,"kind":"kiln.event-log","events":[
                  {"time":"2025-03-14T09:00:00Z","bootId":"b","gpuIndex":0,"type":"xid","code":79,"severity":"fail","description":"Xid 79"},
                  {"bootId":"b","gpuIndex":1,"type":"xid","code":48},
                  {"time":"2025-03-14T09:00:01Z","gpuIndex":2}
                ]}
                """);
        EventLog log = EventLog.inStateDir(dir, "b", 8);
        assertThat(log.all()).extracting(GpuEvent::code).containsExactly(79L);
        assertThat(log.notes()).isEmpty();
    }

    @Test
    void stateDirThatCannotBeCreatedMeansMemoryOnlyAndSaysSo(@TempDir Path dir) throws IOException {
        Path notADir = Files.writeString(dir.resolve("plain-file"), "x");
        EventLog log = EventLog.inStateDir(notADir.resolve("kiln"), "b", 8);
        assertThat(log.file()).isEmpty();
        assertThat(log.notes()).singleElement().satisfies(n -> assertThat(n).contains("cannot be created")
                .contains("memory only"));
        log.record(xid(0, 79, 0, "b"));
        assertThat(log.all()).hasSize(1);
    }

    @Test
    void aFailedWriteKeepsEventsInMemoryAndSaysSoUntilAWriteSucceeds(@TempDir Path dir) throws IOException {
        Path stateDir = dir.resolve("state");
        EventLog log = EventLog.inStateDir(stateDir, "b", 8);
        // The directory vanishes under the agent (say, an unmounted volume).
        Files.delete(stateDir.resolve(EventLog.LOCK_NAME));
        Files.delete(stateDir);
        Files.writeString(stateDir, "now a file");
        log.record(xid(0, 79, 0, "b"));
        assertThat(log.all()).hasSize(1);
        assertThat(log.notes()).singleElement().satisfies(n -> assertThat(n).contains("cannot write")
                .contains("memory only"));
        Files.delete(stateDir);
        Files.createDirectory(stateDir);
        log.record(xid(0, 48, 1, "b"));
        assertThat(log.notes()).isEmpty();
        assertThat(EventLog.persisted(stateDir.resolve("events.json"), "b", 8).all()).hasSize(2);
    }
}
