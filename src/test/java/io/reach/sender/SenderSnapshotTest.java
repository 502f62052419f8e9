package io.reach.sender;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reach.shared.ApiException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;

class SenderSnapshotTest {

    private static final UUID ID = UUID.fromString("01a24b9a-0000-7000-8000-000000000001");

    /** A store whose reads the test answers: the senders, or a failure. */
    private static final class AnsweredStore extends SenderStore {

        final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        final AtomicInteger reads = new AtomicInteger();
        volatile int throughput = 80;
        /** While set, a read waits for it (as one waits for a connection in an outage). */
        volatile CountDownLatch held;

        AnsweredStore() {
            super(null, null, "");
        }

        @Override
        List<Row> all() {
            reads.incrementAndGet();
            CountDownLatch hold = held;
            try {
                if (hold != null && !hold.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never let the read go on");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (failure.get() != null) {
                throw failure.get();
            }
            Sender sender = new Sender(ID, "main", Sender.WHATSAPP, Sender.META, "100000000000001", "200000000000001",
                    "+15550100001", Senders.DEFAULT_GRAPH_BASE_URL, Senders.DEFAULT_GRAPH_VERSION, null, Map.of(),
                    throughput, null, false, true, true, true, null, Instant.EPOCH, Instant.EPOCH);
            return List.of(new Row(sender, "access-token", "app-secret", "verify-token", null));
        }
    }

    private final AnsweredStore store = new AnsweredStore();
    private final AtomicLong nanos = new AtomicLong();
    private final Senders senders = new Senders(store, Clock.systemUTC(), null, List.of(), nanos::get);

    private void pass(Duration time) {
        nanos.addAndGet(time.toNanos());
    }

    @Test
    void aSenderIsReadAgainOnlyOnceTheSnapshotIsTenSecondsOld() {
        assertThat(senders.account(ID).sender().throughputPerSecond()).isEqualTo(80);
        store.throughput = 200;
        pass(Duration.ofSeconds(9));
        assertThat(senders.account(ID).sender().throughputPerSecond()).isEqualTo(80);
        assertThat(store.reads).hasValue(1);

        pass(Duration.ofSeconds(1));
        assertThat(senders.account(ID).sender().throughputPerSecond()).isEqualTo(200);
        assertThat(store.reads).hasValue(2);
    }

    @Test
    void sendsGoOnFromTheSnapshotTheyHaveWhileTheDatabaseFailsForAMoment() {
        senders.account(ID);
        store.failure.set(new DataAccessResourceFailureException("terminating connection due to administrator command"));
        pass(Duration.ofSeconds(10));

        assertThat(senders.account(ID).credentials().accessToken()).isEqualTo("access-token");
        assertThat(store.reads).as("the failed read, tried").hasValue(2);
        // Not tried again on every send while the database is down: a second later.
        pass(Duration.ofMillis(999));
        senders.account(ID);
        assertThat(store.reads).hasValue(2);
        pass(Duration.ofMillis(1));
        senders.account(ID);
        assertThat(store.reads).hasValue(3);

        store.failure.set(null);
        store.throughput = 300;
        pass(Duration.ofSeconds(1));
        assertThat(senders.account(ID).sender().throughputPerSecond()).as("read again once it answers").isEqualTo(300);
    }

    @Test
    void oneThreadReadsTheSendersAgainWhileTheOthersGoOnWithTheSnapshotTheyHave() throws Exception {
        senders.account(ID);
        store.throughput = 200;
        CountDownLatch release = new CountDownLatch(1);
        store.held = release;
        pass(Duration.ofSeconds(10));

        CompletableFuture<Integer> reading = CompletableFuture.supplyAsync(
                () -> senders.account(ID).sender().throughputPerSecond());
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.reads.get() == 2);
        assertThat(senders.account(ID).sender().throughputPerSecond()).as("not held by the read under way").isEqualTo(80);
        assertThat(store.reads).as("no second read meanwhile").hasValue(2);

        release.countDown();
        assertThat(reading.get(10, TimeUnit.SECONDS)).isEqualTo(200);
        assertThat(senders.account(ID).sender().throughputPerSecond()).isEqualTo(200);
        assertThat(store.reads).hasValue(2);
    }

    @Test
    void aSenderTheSnapshotLacksIsLookedForInTheDatabaseAndItsFailureLeavesTheSnapshotToTheOthers() {
        senders.account(ID);
        store.failure.set(new DataAccessResourceFailureException("terminating connection due to administrator command"));
        UUID unknown = UUID.fromString("01a24b9a-0000-7000-8000-000000000002");

        assertThatThrownBy(() -> senders.account(unknown)).isInstanceOf(DataAccessResourceFailureException.class);
        assertThat(senders.account(ID).credentials().accessToken()).isEqualTo("access-token");
        assertThat(store.reads).as("the first snapshot, and the look for the unknown one").hasValue(2);

        store.failure.set(null);
        assertThatThrownBy(() -> senders.account(unknown)).isInstanceOf(ApiException.class)
                .hasMessageContaining(unknown.toString());
    }

    @Test
    void aFailureThatIsNoPassingOneOrComesBeforeAnySnapshotIsNotHidden() {
        store.failure.set(new DataAccessResourceFailureException("connection refused"));
        assertThatThrownBy(() -> senders.account(ID)).isInstanceOf(DataAccessResourceFailureException.class);

        store.failure.set(null);
        senders.account(ID);
        store.failure.set(new IllegalStateException("a defect"));
        pass(Duration.ofSeconds(10));
        assertThatThrownBy(() -> senders.account(ID)).isInstanceOf(IllegalStateException.class);
    }
}
