package io.reach.messaging;

import java.time.Clock;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Deletes the provider callbacks applied longer ago than {@code reach.messaging.keep-processed-callbacks}: every
 * webhook, receipt and callback is stored before it is applied, and without this the inbox would keep each one's
 * body for ever (about three webhooks a WhatsApp message), though what they said lives on in the messages' timelines.
 * A few thousand rows a statement, so that no statement holds many locks for long; nodes may run it side by side.
 */
@Component
class ProcessedCallbacksPurge {

    private static final Logger log = LoggerFactory.getLogger(ProcessedCallbacksPurge.class);
    static final int ROWS_PER_STATEMENT = 2000;
    // A run stops after this many statements (4,000,000 rows at most) and the next one goes on.
    private static final int STATEMENTS_PER_RUN = 2000;

    private final WebhookInbox inbox;
    private final MessagingSettings settings;
    private final Clock clock;

    ProcessedCallbacksPurge(WebhookInbox inbox, MessagingSettings settings, Clock clock) {
        this.inbox = inbox;
        this.settings = settings;
        this.clock = clock;
    }

    @Scheduled(initialDelayString = "${reach.messaging.processed-callbacks-purge-interval:10m}",
            fixedDelayString = "${reach.messaging.processed-callbacks-purge-interval:10m}")
    void scheduled() {
        try {
            purge();
        } catch (DataAccessException e) {
            // A database that restarts or fails over: the next run goes on where this one stopped.
            log.warn("Deleting applied provider callbacks failed; the next run tries again", e);
        }
    }

    /** Deletes the callbacks applied before the retention period; returns how many. */
    long purge() {
        Instant before = clock.instant().minus(settings.keepProcessedCallbacks());
        long deleted = 0;
        for (int i = 0; i < STATEMENTS_PER_RUN; i++) {
            int rows = inbox.deleteProcessedBefore(before, ROWS_PER_STATEMENT);
            deleted += rows;
            if (rows < ROWS_PER_STATEMENT) {
                break;
            }
        }
        if (deleted > 0) {
            log.info("Deleted {} provider callbacks applied before {} (reach.messaging.keep-processed-callbacks: {})",
                    deleted, before, settings.keepProcessedCallbacks());
        }
        return deleted;
    }
}
