package io.reach.messaging;

import io.reach.shared.BackgroundWorker;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Processes the stored callbacks of one source: claims a batch under a lease and applies the entries of each
 * ordering group in transactions of up to {@value #ENTRIES_PER_TRANSACTION}, together with their "processed" marks,
 * so that a crash half-way re-applies them whole; small groups share a transaction. When such a transaction fails,
 * its entries are applied again one by one, so that one bad entry holds up no other; an entry that fails alone is
 * tried again later, with backoff.
 */
public abstract class InboxProcessor extends BackgroundWorker {

    private static final Logger log = LoggerFactory.getLogger(InboxProcessor.class);
    private static final int BATCH = 200;
    // Under load a webhook carries few events and the groups are long: applying them together saves a transaction,
    // and the statements of the set-based application, per entry.
    private static final int ENTRIES_PER_TRANSACTION = 50;

    private final String source;
    private final WebhookInbox inbox;
    private final TransactionTemplate transactions;
    private final Duration lease;
    private final Clock clock;
    private final java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
    // How many runs of transactions, side by side, a claimed batch is spread over (one more at most, see packed):
    // most groups are one callback (one status), and every transaction costs a commit, a "processed" mark and a
    // source's set-based statements again.
    private static final int SPREAD = 2;

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

    /**
     * Applies several stored callbacks in one transaction: whole ordering groups, each in its order. By default one
     * after the other; a source may apply them as a set (statuses of many payloads in a few statements).
     */
    protected void processAll(List<WebhookInbox.Entry> entries) {
        entries.forEach(this::process);
    }

    /** How long to wait before trying a failed entry again. */
    protected abstract Duration retryDelay(WebhookInbox.Entry entry, RuntimeException failure);

    /** Whether a failure is worth a warning (an expected, passing one is not). */
    protected boolean worthWarning(RuntimeException failure) {
        return true;
    }

    /**
     * What an entry is about (e.g. its message): entries with the same key are applied in the order they came,
     * entries with different keys at the same time. Null puts the entry in one group with all other null keys.
     */
    protected String orderingKey(WebhookInbox.Entry entry) {
        return null;
    }

    @Override
    protected int doWork() {
        List<WebhookInbox.Entry> entries = inbox.claim(source, BATCH, lease);
        java.util.Map<String, List<WebhookInbox.Entry>> groups = new java.util.LinkedHashMap<>();
        for (WebhookInbox.Entry entry : entries) {
            String key = orderingKey(entry);
            groups.computeIfAbsent(key == null ? "" : key, k -> new java.util.ArrayList<>()).add(entry);
        }
        List<List<WebhookInbox.Entry>> runs = packed(groups.values(), Math.ceilDiv(entries.size(), SPREAD));
        forEachInParallel(threads, runs, run -> {
            for (int from = 0; from < run.size(); from += ENTRIES_PER_TRANSACTION) {
                applyTogether(run.subList(from, Math.min(run.size(), from + ENTRIES_PER_TRANSACTION)));
            }
        });
        return entries.size();
    }

    /**
     * Whole groups, concatenated in runs of at least {@code size} entries but the last (so no more than
     * {@code total / size + 1} runs). A run is applied in order, so each group keeps its order wherever the run is
     * cut into transactions; different runs hold different groups, so they may go side by side.
     */
    static <E> List<List<E>> packed(java.util.Collection<List<E>> groups, int size) {
        List<List<E>> runs = new java.util.ArrayList<>();
        List<E> run = new java.util.ArrayList<>();
        for (List<E> group : groups) {
            run.addAll(group);
            if (run.size() >= size) {
                runs.add(run);
                run = new java.util.ArrayList<>();
            }
        }
        if (!run.isEmpty()) {
            runs.add(run);
        }
        return runs;
    }

    private void applyTogether(List<WebhookInbox.Entry> entries) {
        if (entries.size() == 1) {
            apply(entries.getFirst());
            return;
        }
        try {
            transactions.executeWithoutResult(tx -> {
                processAll(entries);
                inbox.markProcessed(entries.stream().map(WebhookInbox.Entry::id).toList());
            });
        } catch (RuntimeException e) {
            log.debug("{} entries {} could not be applied together; applying them one by one", source,
                    entries.stream().map(WebhookInbox.Entry::id).toList(), e);
            entries.forEach(this::apply);
        }
    }

    private void apply(WebhookInbox.Entry entry) {
        try {
            transactions.executeWithoutResult(tx -> {
                process(entry);
                inbox.markProcessed(entry.id());
            });
        } catch (RuntimeException e) {
            Duration wait = retryDelay(entry, e);
            if (worthWarning(e) && (log.isDebugEnabled() || entry.attempt() > 3)) {
                log.warn("{} entry {} could not be processed (attempt {}); retrying in {}", source, entry.id(),
                        entry.attempt(), wait, e);
            }
            inbox.markFailed(entry.id(), e.getClass().getSimpleName() + ": " + e.getMessage(), clock.instant().plus(wait));
        }
    }

}
