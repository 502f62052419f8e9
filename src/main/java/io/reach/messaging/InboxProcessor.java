package io.reach.messaging;

import io.reach.shared.BackgroundWorker;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Processes the stored callbacks of one source: claims a batch under a lease and applies each entry in its own
 * transaction together with its "processed" mark, so that a crash half-way re-applies the entry whole. An entry
 * that fails is tried again later, with backoff.
 */
public abstract class InboxProcessor extends BackgroundWorker {

    private static final Logger log = LoggerFactory.getLogger(InboxProcessor.class);
    private static final int BATCH = 200;

    private final String source;
    private final WebhookInbox inbox;
    private final TransactionTemplate transactions;
    private final Duration lease;
    private final Clock clock;

    protected InboxProcessor(String name, String source, WebhookInbox inbox, TransactionTemplate transactions,
                             Duration pollInterval, Duration lease, Clock clock) {
        super(name, pollInterval, true);
        this.source = source;
        this.inbox = inbox;
        this.transactions = transactions;
        this.lease = lease;
        this.clock = clock;
    }

    /** Applies one stored callback; runs inside the entry's transaction. */
    protected abstract void process(WebhookInbox.Entry entry);

    /** How long to wait before trying a failed entry again. */
    protected abstract Duration retryDelay(WebhookInbox.Entry entry, RuntimeException failure);

    @Override
    protected int doWork() {
        List<WebhookInbox.Entry> entries = inbox.claim(source, BATCH, lease);
        for (WebhookInbox.Entry entry : entries) {
            try {
                transactions.executeWithoutResult(tx -> {
                    process(entry);
                    inbox.markProcessed(entry.id());
                });
            } catch (RuntimeException e) {
                Duration wait = retryDelay(entry, e);
                if (log.isDebugEnabled() || entry.attempt() > 3) {
                    log.warn("{} entry {} could not be processed (attempt {}); retrying in {}", source, entry.id(),
                            entry.attempt(), wait, e);
                }
                inbox.markFailed(entry.id(), e.getClass().getSimpleName() + ": " + e.getMessage(), clock.instant().plus(wait));
            }
        }
        return entries.size();
    }
}
