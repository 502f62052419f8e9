package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.support.ReachIntegrationTest;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The claims of stored callbacks, on H2 and on PostgreSQL: which of a source's callbacks a claim takes, in which order.
 * Each test stores its callbacks under a source of its own, which no processor claims.
 */
class StoredCallbackClaimsIT extends ReachIntegrationTest {

    private static final AtomicInteger SOURCES = new AtomicInteger();

    @Autowired
    WebhookInbox inbox;

    @Autowired
    JdbcClient jdbc;

    @Test
    void aClaimTakesTheCallbacksDueLongestFirstThenByArrivalNotThoseDueLaterAppliedOrOfAnotherSource() {
        String source = "CLAIMS_" + SOURCES.incrementAndGet();
        // Stored in this order, each due at its own time (as retries make them): minutes ago, or in an hour.
        long dueAMinuteAgo = stored(source, "a minute ago", Duration.ofMinutes(-1));
        long dueThreeMinutesAgo = stored(source, "three minutes ago", Duration.ofMinutes(-3));
        long dueTwoMinutesAgo = stored(source, "two minutes ago", Duration.ofMinutes(-2));
        long alsoDueTwoMinutesAgo = stored(source, "two minutes ago, stored later", Duration.ofMinutes(-2));
        stored(source, "in an hour", Duration.ofHours(1));
        long applied = stored(source, "applied", Duration.ofMinutes(-10));
        inbox.markProcessed(applied);
        stored(source + "_OTHER", "another source's", Duration.ofMinutes(-10));

        // The three due longest, given in the order they came; then the last one due; then none.
        assertThat(ids(inbox.claim(source, 3, Duration.ofMinutes(1))))
                .containsExactly(dueThreeMinutesAgo, dueTwoMinutesAgo, alsoDueTwoMinutesAgo);
        assertThat(ids(inbox.claim(source, 3, Duration.ofMinutes(1)))).containsExactly(dueAMinuteAgo);
        assertThat(inbox.claim(source, 3, Duration.ofMinutes(1))).isEmpty();
    }

    @Test
    void aCallbackWaitsBehindAnEarlierOneAboutTheSameMessageThatWaitsForItsRetryNotBehindOthers() {
        String source = "CLAIMS_" + SOURCES.incrementAndGet();
        long failed = stored(source, "failed", "wamid.held", Duration.ofMinutes(-1));
        long behind = stored(source, "behind it", "wamid.held", Duration.ofMinutes(-1));
        long another = stored(source, "about another message", "wamid.other", Duration.ofMinutes(-1));
        assertThat(ids(inbox.claim(source, 1, Duration.ofMinutes(1)))).containsExactly(failed);
        inbox.markFailed(failed, "IllegalStateException: not yet", Instant.now().plusSeconds(60));

        assertThat(ids(inbox.claim(source, 10, Duration.ofMinutes(1)))).containsExactly(another);

        // Once the first one is applied, the one behind it goes.
        inbox.markProcessed(failed);
        assertThat(ids(inbox.claim(source, 10, Duration.ofMinutes(1)))).containsExactly(behind);
    }

    private long stored(String source, String body, Duration dueIn) {
        return stored(source, body, null, dueIn);
    }

    /** Stores a callback (about {@code key}'s message, if any) due {@code dueIn} from now; returns its id. */
    private long stored(String source, String body, String key, Duration dueIn) {
        inbox.store(source, null, body, key);
        long id = jdbc.sql("SELECT id FROM webhook_inbox WHERE channel = ? AND body = ?").params(source, body)
                .query(Long.class).single();
        jdbc.sql("UPDATE webhook_inbox SET next_attempt_at = ? WHERE id = ?")
                .params(OffsetDateTime.now(ZoneOffset.UTC).plus(dueIn), id).update();
        return id;
    }

    private static List<Long> ids(List<WebhookInbox.Entry> entries) {
        return entries.stream().map(WebhookInbox.Entry::id).toList();
    }
}
