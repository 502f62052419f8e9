package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.shared.DatabaseOutage;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.AbstractPlatformTransactionManager;
import org.springframework.transaction.support.DefaultTransactionStatus;
import org.springframework.transaction.support.TransactionTemplate;

@ExtendWith(OutputCaptureExtension.class)
class InboxProcessorTest {

    @Test
    void anEntryThatKeepsFailingIsWarnedAboutWithItsStackOnceAndInOneLineAfterwards(
            CapturedOutput output) {
        Clock clock = Clock.fixed(Instant.parse("2026-12-06T00:10:00Z"), ZoneOffset.UTC);
        // Its fourth attempt (the first warned about) and a later one, each about a message of its own.
        RecordingInbox inbox = new RecordingInbox(clock, List.of(new WebhookInbox.Entry(1L, null, "a:fails", 4),
                new WebhookInbox.Entry(2L, null, "b:fails", 9)));
        InboxProcessor processor = new RetryingInTwoSeconds(inbox, clock) {
            @Override
            protected String orderingKey(WebhookInbox.Entry entry) {
                return entry.body().substring(0, 1);
            }

            @Override
            protected void process(WebhookInbox.Entry entry) {
                throw new IllegalStateException(entry.body().charAt(0) + " cannot be read");
            }
        };

        assertThat(processor.doWork()).isEqualTo(2);

        assertThat(inbox.retries).hasSize(2);
        List<String> lines = output.getOut().lines().toList();
        int fourth = lines.indexOf(lines.stream().filter(line -> line.contains("entry 1 could not be processed")).findFirst().orElseThrow());
        assertThat(lines.get(fourth)).contains(" WARN ").contains("(attempt 4)");
        assertThat(lines.get(fourth + 1)).as("its stack").contains("IllegalStateException: a cannot be read");
        assertThat(lines.get(fourth + 2)).startsWith("\tat ");
        assertThat(lines).filteredOn(line -> line.contains("entry 2 could not be processed")).singleElement().asString()
                .contains(" WARN ", "(attempt 9; its stack is logged at attempt 4)", "IllegalStateException: b cannot be read");
        assertThat(output.getOut()).doesNotContain("IllegalStateException: b cannot be read\n\tat ");
    }

    @Test
    void anEntryThatFailedOnADroppedConnectionIsGivenItsRetryThoughTheNextConnectionWasDroppedToo() {
        // The database dropped every connection (a restart, a failover): the entry fails, and so does the first try
        // to record that on the next connection the pool hands out.
        Clock clock = Clock.fixed(Instant.parse("2026-12-05T03:00:00Z"), ZoneOffset.UTC);
        DroppingInbox inbox = new DroppingInbox(clock, 1);
        InboxProcessor processor = new RetryingInTwoSeconds(inbox, clock) {
            @Override
            protected void process(WebhookInbox.Entry entry) {
                throw dropped();
            }
        };

        assertThat(processor.doWork()).isEqualTo(1);

        // Tried again in 2 s, not once its lease of a minute is over.
        assertThat(inbox.retries).containsExactly(Map.entry(7L, clock.instant().plusSeconds(2)));
    }

    @Test
    void anEntryAboutTheSameMessageAsOneThatFailedInItsClaimIsGivenBackToWaitBehindItAndTheOthersAreApplied() {
        Clock clock = Clock.fixed(Instant.parse("2026-12-05T23:00:00Z"), ZoneOffset.UTC);
        RecordingInbox inbox = new RecordingInbox(clock, List.of(new WebhookInbox.Entry(1L, null, "a:fails", 1),
                new WebhookInbox.Entry(2L, null, "b:applies", 1), new WebhookInbox.Entry(3L, null, "a:applies", 1),
                new WebhookInbox.Entry(4L, null, "b:applies too", 1)));
        List<String> applied = new CopyOnWriteArrayList<>();
        InboxProcessor processor = new RetryingInTwoSeconds(inbox, clock) {
            @Override
            protected String orderingKey(WebhookInbox.Entry entry) {
                return entry.body().substring(0, 1);
            }

            // One by one: a failure leaves nothing of the entries applied before it in its transaction (none here).
            @Override
            protected void processAll(List<WebhookInbox.Entry> entries) {
                if (entries.stream().anyMatch(entry -> entry.body().endsWith("fails"))) {
                    throw new IllegalStateException("one of them fails");
                }
                entries.forEach(this::process);
            }

            @Override
            protected void process(WebhookInbox.Entry entry) {
                if (entry.body().endsWith("fails")) {
                    throw new IllegalStateException("not yet");
                }
                applied.add(entry.body());
            }
        };

        assertThat(processor.doWork()).isEqualTo(4);

        assertThat(applied).containsExactly("b:applies", "b:applies too");
        assertThat(inbox.retries).containsExactly(Map.entry(1L, clock.instant().plusSeconds(2)));
        assertThat(inbox.givenBack).containsExactly(3L);
        // Nor does one about that message which comes meanwhile pass it, once the inbox has nothing due: it is stored
        // behind it, where the others are applied as they come.
        assertThat(processor.doWork()).isZero();
        processor.receive(null, "c:comes later");
        processor.receive(null, "a:comes later");
        assertThat(applied).containsExactly("b:applies", "b:applies too", "c:comes later");
        assertThat(inbox.stored).containsExactly("a:comes later");
    }

    /** A processor whose failed entries are tried again in 2 s, without transactions or a database. */
    private abstract static class RetryingInTwoSeconds extends InboxProcessor {
        RetryingInTwoSeconds(WebhookInbox inbox, Clock clock) {
            super("test-callbacks", "TEST", inbox, new TransactionTemplate(new NoTransactions()), Duration.ofSeconds(1),
                    Duration.ofSeconds(60), clock, new DatabaseOutage(clock));
        }

        @Override
        protected Duration retryDelay(WebhookInbox.Entry entry, RuntimeException failure) {
            return Duration.ofSeconds(2);
        }
    }

    private static DataAccessResourceFailureException dropped() {
        return new DataAccessResourceFailureException("connection dropped",
                new SQLException("FATAL: terminating connection due to administrator command", "57P01"));
    }

    /** One claimed entry; the first {@code drops} tries to record its failure fail as a dropped connection does. */
    private static final class DroppingInbox extends WebhookInbox {
        private int drops;
        final List<Map.Entry<Long, Instant>> retries = new CopyOnWriteArrayList<>();
        private boolean claimed;

        DroppingInbox(Clock clock, int drops) {
            super(null, null, null, clock, null);
            this.drops = drops;
        }

        @Override
        public List<Entry> claim(String source, int limit, Duration lease) {
            if (claimed) {
                return List.of();
            }
            claimed = true;
            return List.of(new Entry(7L, UUID.randomUUID(), "{}", 1));
        }

        @Override
        public synchronized void markFailed(long id, String error, Instant retryAt) {
            if (drops-- > 0) {
                throw dropped();
            }
            retries.add(Map.entry(id, retryAt));
        }
    }

    /** Entries claimed once, and what became of them. */
    private static final class RecordingInbox extends WebhookInbox {
        private List<Entry> claimable;
        final List<Map.Entry<Long, Instant>> retries = new CopyOnWriteArrayList<>();
        final List<Long> givenBack = new CopyOnWriteArrayList<>();
        final List<String> stored = new CopyOnWriteArrayList<>();
        private final AtomicLong ids = new AtomicLong(100);

        RecordingInbox(Clock clock, List<Entry> claimable) {
            super(null, null, null, clock, null);
            this.claimable = claimable;
        }

        @Override
        public synchronized List<Entry> claim(String source, int limit, Duration lease) {
            List<Entry> claimed = claimable;
            claimable = List.of();
            return claimed;
        }

        @Override
        public void markFailed(long id, String error, Instant retryAt) {
            retries.add(Map.entry(id, retryAt));
        }

        @Override
        public void giveBack(List<Long> ids) {
            givenBack.addAll(ids);
        }

        @Override
        public void markProcessed(List<Long> ids) {
        }

        @Override
        public long storeProcessed(String source, UUID senderId, String body) {
            return ids.incrementAndGet();
        }

        @Override
        public void store(String source, UUID senderId, String body, String orderingKey) {
            stored.add(body);
        }
    }

    /** Transactions that hold nothing: the inbox above keeps no data. */
    private static final class NoTransactions extends AbstractPlatformTransactionManager {
        @Override
        protected Object doGetTransaction() {
            return new Object();
        }

        @Override
        protected void doBegin(Object transaction, TransactionDefinition definition) {
        }

        @Override
        protected void doCommit(DefaultTransactionStatus status) {
        }

        @Override
        protected void doRollback(DefaultTransactionStatus status) {
        }
    }

    @Test
    void packsWholeGroupsInTheirOrderIntoRunsOfAboutTheGivenSize() {
        List<List<String>> groups = List.of(List.of("a1", "a2", "a3"), List.of("b1"), List.of("c1", "c2"),
                List.of("d1"), List.of("e1", "e2", "e3", "e4", "e5"), List.of("f1"));

        List<List<String>> runs = InboxProcessor.packed(groups, 4);

        assertThat(runs).containsExactly(List.of("a1", "a2", "a3", "b1"), List.of("c1", "c2", "d1", "e1", "e2", "e3", "e4", "e5"),
                List.of("f1"));
    }

    @Test
    void givesEachGroupARunOfItsOwnWhenTheSizeIsOne() {
        List<List<String>> groups = List.of(List.of("a1", "a2"), List.of("b1"));

        assertThat(InboxProcessor.packed(groups, 1)).containsExactlyElementsOf(groups);
    }

    @Test
    void packsNothingIntoNoRun() {
        assertThat(InboxProcessor.packed(List.<List<String>>of(), 3)).isEmpty();
    }
}
