package dev.kiln.agent.core;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MemoizedTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final AtomicInteger calls = new AtomicInteger();

    private Memoized<Integer> memo(Duration ttl) {
        return new Memoized<>(calls::incrementAndGet, ttl, nanos::get);
    }

    @Test
    void valueIsReusedUntilTheLifetimeEnds() {
        Memoized<Integer> m = memo(Duration.ofSeconds(1));
        assertThat(m.get()).isEqualTo(1);
        nanos.addAndGet(999_999_999L);
        assertThat(m.get()).isEqualTo(1);
        nanos.addAndGet(1L);
        assertThat(m.get()).isEqualTo(2);
        assertThat(m.get()).isEqualTo(2);
        assertThat(calls).hasValue(2);
    }

    @Test
    void lifetimeStartsWhenTheReadFinishes() {
        // A slow read (500 ms here) must not eat into the lifetime of what it read.
        Memoized<Integer> m = new Memoized<>(() -> {
            nanos.addAndGet(500_000_000L);
            return calls.incrementAndGet();
        }, Duration.ofSeconds(1), nanos::get);
        m.get();
        nanos.addAndGet(900_000_000L);
        assertThat(m.get()).isEqualTo(1);
        nanos.addAndGet(100_000_000L);
        assertThat(m.get()).isEqualTo(2);
    }

    @Test
    void zeroLifetimeReadsEveryTime() {
        Memoized<Integer> m = memo(Duration.ZERO);
        m.get();
        m.get();
        assertThat(calls).hasValue(2);
    }

    @Test
    void invalidateForcesTheNextRead() {
        Memoized<Integer> m = memo(Duration.ofHours(1));
        assertThat(m.get()).isEqualTo(1);
        m.invalidate();
        assertThat(calls).as("invalidate alone does not read").hasValue(1);
        assertThat(m.get()).isEqualTo(2);
        assertThat(m.get()).isEqualTo(2);
    }

    @Test
    void aFailedReadIsNotCached() {
        AtomicInteger attempts = new AtomicInteger();
        Memoized<String> m = new Memoized<>(() -> {
            if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("NVML busy");
            }
            return "ok";
        }, Duration.ofHours(1), nanos::get);
        assertThatThrownBy(m::get).hasMessage("NVML busy");
        assertThat(m.get()).isEqualTo("ok");
        assertThat(m.get()).isEqualTo("ok");
        assertThat(attempts).hasValue(2);
    }

    @Test
    void concurrentCallersShareOneRead() throws Exception {
        int threads = 50;
        Memoized<Integer> m = new Memoized<>(() -> {
            sleep(50);
            return calls.incrementAndGet();
        }, Duration.ofMinutes(1));
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    return m.get();
                }));
            }
            assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
            go.countDown();
            for (Future<Integer> f : results) {
                assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(calls).hasValue(1);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void freshReadsAgainOnlyWhenTheLastReadStartedBeforeTheRequest() {
        Memoized<Integer> m = memo(Duration.ofHours(1));
        assertThat(m.get()).isEqualTo(1);
        nanos.addAndGet(1);
        assertThat(m.getFresh()).as("the cached read started before this request").isEqualTo(2);
        assertThat(m.getFresh()).as("no time passed: that read did not start before this request").isEqualTo(2);
        nanos.addAndGet(1);
        assertThat(m.getFresh()).isEqualTo(3);
        assertThat(m.get()).isEqualTo(3);
    }

    @Test
    void concurrentFreshRequestsShareReads() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        Memoized<Integer> m = new Memoized<>(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return reads.incrementAndGet();
        }, Duration.ofHours(1));
        m.get();
        int n = 64;
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        java.util.List<Thread> threads = new java.util.ArrayList<>();
        java.util.concurrent.ConcurrentLinkedQueue<Integer> seen = new java.util.concurrent.ConcurrentLinkedQueue<>();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    seen.add(m.getFresh());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            t.start();
            threads.add(t);
        }
        go.countDown();
        for (Thread t : threads) {
            t.join(10_000);
        }
        assertThat(seen).hasSize(n).allMatch(v -> v > 1);
        assertThat(reads.get()).as("64 simultaneous fresh requests after one read").isBetween(2, 3);
    }
}
