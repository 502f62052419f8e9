package io.reach.messaging;

import io.reach.shared.BackgroundWorker;
import io.reach.shared.DatabaseOutage;
import io.reach.shared.PassingFailures;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Applies the callbacks of one source. One that comes in is applied at once, in the transaction that stores it
 * ({@link #receive}), unless callbacks stored earlier still wait on this node; the rest are processed in the
 * background: it claims a batch under a lease and applies the entries of each
 * ordering group in transactions of up to {@value #ENTRIES_PER_TRANSACTION}, together with their "processed" marks,
 * so that a crash half-way re-applies them whole; small groups share a transaction. When such a transaction fails,
 * its entries are applied again one by one, so that one bad entry holds up no other; an entry that fails alone is
 * tried again later, with backoff, and the entries about the same message (its ordering key) wait behind it, for
 * {@link WebhookInbox#ORDER_HOLD} at most.
 */
public abstract class InboxProcessor extends BackgroundWorker {

    private static final Logger log = LoggerFactory.getLogger(InboxProcessor.class);
    private static final int BATCH = 200;
    // Under load a webhook carries few events and the groups are long: applying them together saves a transaction,
    // and the statements of the set-based application, per entry.
    private static final int ENTRIES_PER_TRANSACTION = 50;
    // The attempt whose failure is the first one worth a warning, with its stack (earlier ones may pass).
    private static final int FIRST_WARNING = 4;
    // How long recording that an entry failed is tried again on connections the database had dropped.
    private static final Duration MARKING_PATIENCE = Duration.ofSeconds(5);

    private final String source;
    private final WebhookInbox inbox;
    private final TransactionTemplate transactions;
    private final Duration lease;
    private final Clock clock;
    private final DatabaseOutage outage;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    // How many runs of transactions, side by side, a claimed batch is spread over (one more at most, see packed):
    // most groups are one callback (one status), and every transaction costs a commit, a "processed" mark and a
    // source's set-based statements again.
    private static final int SPREAD = 2;
    // Callbacks this node stored for the background, and how many of them it had stored when a claim last found
    // nothing to do: while the two differ, earlier callbacks may wait, and a new one must not pass them.
    // Unknown at start (callbacks from before a restart may wait), hence -1.
    private final AtomicLong storedForLater = new AtomicLong();
    private volatile long drainedAt = -1;
    // The ordering keys of callbacks that failed here and wait for their retry, each until when it holds later ones
    // back (WebhookInbox.ORDER_HOLD): a callback about the same message that comes meanwhile is stored behind it, not
    // applied as it comes. Another node's failures are not known here: there the claims keep the order.
    private final Map<String, Instant> heldBack = new ConcurrentHashMap<>();

    protected InboxProcessor(String name, String source, WebhookInbox inbox, TransactionTemplate transactions,
                             Duration pollInterval, Duration lease, Clock clock, DatabaseOutage outage) {
        super(name, pollInterval, true);
        this.outage = outage;
        this.source = source;
        this.inbox = inbox;
        this.transactions = transactions;
        this.lease = lease;
        this.clock = clock;
    }

    /** The source whose callbacks this processor applies (WHATSAPP, SMPP, TWILIO), as the inbox names it. */
    String source() {
        return source;
    }

    /** The sources of these processors, each once, in name order. */
    static List<String> sourcesOf(List<InboxProcessor> processors) {
        return processors.stream().map(InboxProcessor::source).distinct().sorted().toList();
    }

    /**
     * Stores a callback that just came in and, unless callbacks of this source stored earlier still wait on this
     * node, applies it in the same transaction: its statuses and replies count before the provider gets its answer,
     * and it costs neither a claim nor a transaction of its own. When it cannot be applied now (it fails, or earlier
     * callbacks wait, whose order it must not pass), it is stored for the background processing, which applies it
     * soon after (and retries it, with backoff, if it keeps failing). Throws only when it cannot even be stored: the
     * provider must then send it again. So it does, without waiting, while the database is known out of reach
     * ({@link DatabaseOutage}); and a callback the pool gave no connection to apply is not stored with
     * a second wait.
     */
    public void receive(UUID senderId, String body) {
        outage.unlessOutOfReach(() -> store(senderId, body));
    }

    private void store(UUID senderId, String body) {
        WebhookInbox.Entry arrived = new WebhookInbox.Entry(0, senderId, body, 0);
        if (appliesOnArrival() && !heldBack(arrived)) {
            try {
                transactions.executeWithoutResult(tx -> process(new WebhookInbox.Entry(
                        inbox.storeProcessed(source, senderId, body), senderId, body, 1)));
                return;
            } catch (RuntimeException e) {
                if (DatabaseOutage.noConnectionGiven(e)) {
                    throw e;
                }
                log.debug("A {} callback could not be applied as it came; it is stored for the background", source, e);
            }
        }
        inbox.store(source, senderId, body, orderingKey(arrived));
        storedForLater.incrementAndGet();
        wake();
    }

    /**
     * Whether a callback that comes in now is applied at once: no callback stored earlier waits on this node (but
     * those that failed and wait for their retry, which only the callbacks about the same message must not pass).
     */
    public boolean appliesOnArrival() {
        return storedForLater.get() == drainedAt;
    }

    /** Whether a callback is about a message whose earlier callback failed here and waits for its retry. */
    private boolean heldBack(WebhookInbox.Entry entry) {
        if (heldBack.isEmpty()) {
            return false;
        }
        Instant now = clock.instant();
        heldBack.values().removeIf(until -> !until.isAfter(now));
        String key = orderingKey(entry);
        return key != null && heldBack.containsKey(key);
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
        long stored = storedForLater.get();
        List<WebhookInbox.Entry> entries = inbox.claim(source, BATCH, lease);
        if (entries.isEmpty()) {
            // Callbacks that failed and wait for their retry do not count: later ones may pass them, as in a batch.
            drainedAt = stored;
        }
        Map<String, List<WebhookInbox.Entry>> groups = new LinkedHashMap<>();
        Map<Long, String> keys = new HashMap<>();
        for (WebhookInbox.Entry entry : entries) {
            String key = orderingKey(entry);
            if (key != null) {
                keys.put(entry.id(), key);
            }
            groups.computeIfAbsent(key == null ? "" : key, k -> new ArrayList<>()).add(entry);
        }
        List<List<WebhookInbox.Entry>> runs = packed(groups.values(), Math.ceilDiv(entries.size(), SPREAD));
        forEachInParallel(threads, runs, run -> {
            // A group lies in one run: once one of its entries failed, the rest of it waits behind that one.
            Set<String> failed = new HashSet<>();
            for (int from = 0; from < run.size(); from += ENTRIES_PER_TRANSACTION) {
                applyTogether(run.subList(from, Math.min(run.size(), from + ENTRIES_PER_TRANSACTION)), keys, failed);
            }
        });
        return entries.size();
    }

    /**
     * Whole groups, concatenated in runs of at least {@code size} entries but the last (so no more than
     * {@code total / size + 1} runs). A run is applied in order, so each group keeps its order wherever the run is
     * cut into transactions; different runs hold different groups, so they may go side by side.
     */
    static <E> List<List<E>> packed(Collection<List<E>> groups, int size) {
        List<List<E>> runs = new ArrayList<>();
        List<E> run = new ArrayList<>();
        for (List<E> group : groups) {
            run.addAll(group);
            if (run.size() >= size) {
                runs.add(run);
                run = new ArrayList<>();
            }
        }
        if (!run.isEmpty()) {
            runs.add(run);
        }
        return runs;
    }

    /**
     * Applies entries of whole groups in one transaction, or one by one when that fails; those whose group had an entry
     * fail ({@code failed}: their keys) are given back untried, to wait behind it.
     */
    private void applyTogether(List<WebhookInbox.Entry> chunk, Map<Long, String> keys, Set<String> failed) {
        List<WebhookInbox.Entry> entries = failed.isEmpty() ? chunk : waitBehindFailed(chunk, keys, failed);
        if (entries.isEmpty()) {
            return;
        }
        if (entries.size() == 1) {
            apply(entries.getFirst(), keys.get(entries.getFirst().id()), failed);
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
            List<Long> behind = new ArrayList<>();
            for (WebhookInbox.Entry entry : entries) {
                if (failed.contains(keys.get(entry.id()))) {
                    behind.add(entry.id());
                } else {
                    apply(entry, keys.get(entry.id()), failed);
                }
            }
            giveBack(behind);
        }
    }

    /** Gives back those of {@code entries} whose group had an entry fail; returns the others. */
    private List<WebhookInbox.Entry> waitBehindFailed(List<WebhookInbox.Entry> entries, Map<Long, String> keys,
                                                      Set<String> failed) {
        List<Long> behind = entries.stream().filter(entry -> failed.contains(keys.get(entry.id())))
                .map(WebhookInbox.Entry::id).toList();
        giveBack(behind);
        return behind.isEmpty() ? entries : entries.stream().filter(entry -> !behind.contains(entry.id())).toList();
    }

    /** Gives entries back untried, in one statement, to wait behind the failed one of their group. */
    private void giveBack(List<Long> ids) {
        if (!ids.isEmpty()) {
            PassingFailures.retryUndone(() -> inbox.giveBack(ids), MARKING_PATIENCE);
        }
    }

    private void apply(WebhookInbox.Entry entry, String key, Set<String> failed) {
        try {
            transactions.executeWithoutResult(tx -> {
                process(entry);
                inbox.markProcessed(entry.id());
            });
        } catch (RuntimeException e) {
            Duration wait = retryDelay(entry, e);
            if (worthWarning(e) && (log.isDebugEnabled() || entry.attempt() >= FIRST_WARNING)) {
                if (log.isDebugEnabled() || entry.attempt() == FIRST_WARNING) {
                    log.warn("{} entry {} could not be processed (attempt {}); retrying in {} (GET /api/v1/failing-callbacks"
                            + " lists the callbacks that fail, POST …/{}/discard gives one up)", source, entry.id(),
                            entry.attempt(), wait, entry.id(), e);
                } else {
                    // One that keeps failing is tried again for ever (every 5 minutes by default): its stack once is enough.
                    log.warn("{} entry {} could not be processed (attempt {}; its stack is logged at attempt {}); retrying in {}: {}",
                            source, entry.id(), entry.attempt(), FIRST_WARNING, wait, PassingFailures.cause(e));
                }
            }
            if (key != null) {
                failed.add(key);
                heldBack.put(key, clock.instant().plus(WebhookInbox.ORDER_HOLD));
            }
            // The pool may hand out another connection the database dropped with the first (a restart, a failover),
            // and an entry whose failure is not recorded waits for its lease to end (a minute).
            PassingFailures.retryUndone(() -> inbox.markFailed(entry.id(),
                    e.getClass().getSimpleName() + ": " + e.getMessage(), clock.instant().plus(wait)), MARKING_PATIENCE);
        }
    }

}
