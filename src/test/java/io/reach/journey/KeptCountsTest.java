package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class KeptCountsTest {

    private static final long MS = 1_000_000L;

    private final AtomicLong now = new AtomicLong(1_000 * MS);
    private final KeptCounts kept = new KeptCounts(now::get);
    private final UUID version = UUID.randomUUID();
    private final AtomicInteger counted = new AtomicInteger();

    /** A count of a big version that takes {@code millis} of the fake clock, and says which count it was in its ended figure. */
    private Supplier<FlowCounts> countTaking(long millis) {
        return countOf(50_000, millis);
    }

    private Supplier<FlowCounts> countOf(long waitingJourneys, long millis) {
        return () -> {
            now.addAndGet(millis * MS);
            return new FlowCounts(version, Map.of(), 0, waitingJourneys, counted.incrementAndGet(), 0, 0);
        };
    }

    @Test
    void countsCheapCountsAfreshAtEveryCall() {
        assertThat(kept.get(version, countTaking(5)).ended()).isEqualTo(1);
        assertThat(kept.get(version, countTaking(5)).ended()).isEqualTo(2);
        assertThat(kept.get(version, countTaking(99)).ended()).isEqualTo(3);
        assertThat(kept.get(version, countTaking(5)).ended()).isEqualTo(4);
    }

    @Test
    void countsASmallVersionAfreshEvenWhenItsCountWasSlow() {
        assertThat(kept.get(version, countOf(9_990, 500)).ended()).isEqualTo(1);
        assertThat(kept.get(version, countOf(9_990, 5)).ended()).as("9,991 journeys: not kept").isEqualTo(2);
        assertThat(kept.get(version, countOf(9_999, 500)).ended()).isEqualTo(3);
        assertThat(kept.get(version, countOf(9_999, 5)).ended()).as("10,002 journeys: kept").isEqualTo(3);
    }

    @Test
    void keepsAnExpensiveCountForFourTimesWhatItTookThenCountsAgain() {
        assertThat(kept.get(version, countTaking(500)).ended()).isEqualTo(1);

        now.addAndGet(1_999 * MS);
        assertThat(kept.get(version, countTaking(500)).ended()).as("1.999 s after a count of 0.5 s").isEqualTo(1);
        now.addAndGet(1 * MS);
        assertThat(kept.get(version, countTaking(20)).ended()).as("2 s after").isEqualTo(2);
        assertThat(kept.get(version, countTaking(20)).ended()).as("a cheap count is not kept").isEqualTo(3);
        assertThat(kept.get(UUID.randomUUID(), countTaking(500)).ended()).as("another version").isEqualTo(4);
    }

    @Test
    void callersThatFindTheCountsOutOfDateAtOnceWaitForOneCount() throws Exception {
        assertThat(kept.get(version, countTaking(500)).ended()).isEqualTo(1);
        now.addAndGet(10_000 * MS);
        CountDownLatch inCount = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Supplier<FlowCounts> slow = () -> {
            inCount.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return countTaking(500).get();
        };
        List<FlowCounts> answers = Collections.synchronizedList(new ArrayList<>());
        List<Thread> callers = new ArrayList<>();
        callers.add(Thread.ofPlatform().start(() -> answers.add(kept.get(version, slow))));
        assertThat(inCount.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < 7; i++) {
            callers.add(Thread.ofPlatform().start(() -> answers.add(kept.get(version, slow))));
        }
        // All eight blocked (on the count's lock, or, were there none, in counts of their own) before the count ends.
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> callers.stream().allMatch(caller -> caller.getState() == Thread.State.WAITING
                        || caller.getState() == Thread.State.TIMED_WAITING));
        release.countDown();
        for (Thread caller : callers) {
            caller.join(10_000);
        }

        assertThat(answers).hasSize(8).allSatisfy(answer -> assertThat(answer.ended()).isEqualTo(2));
        assertThat(counted).hasValue(2);
    }
}
