package io.reach.journey;

import io.reach.flow.FlowVersion;
import io.reach.flow.Flows;
import io.reach.messaging.Messages;
import io.reach.shared.BackgroundWorker;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Works the running cancellations of stopped flows' journeys, one chunk of journeys per transaction: the chunk's
 * cancellations, the withdrawals of their queued messages and the cancellation's progress commit together, so a
 * cancellation goes on after a crash or a restart from the journey where it was, on whichever node takes it. A
 * cancellation's row is locked while a chunk of it is worked: two nodes take turns at its chunks, never the same one.
 */
@Component
class CancellationWorker extends BackgroundWorker {

    private static final Logger log = LoggerFactory.getLogger(CancellationWorker.class);

    /** A cancellation logs its progress each time it has cancelled so many more journeys. */
    private static final long LOG_EVERY = 20L * Journeys.CANCEL_CHUNK;

    private final CancellationStore cancellations;
    private final JourneyStore journeys;
    private final Flows flows;
    private final Messages messages;
    private final TransactionTemplate transactions;
    private final Clock clock;

    CancellationWorker(CancellationStore cancellations, JourneyStore journeys, Flows flows, Messages messages,
                       TransactionTemplate transactions, JourneySettings settings, Clock clock) {
        super("flow-cancellations", Duration.ofSeconds(1), settings.engineEnabled());
        this.cancellations = cancellations;
        this.journeys = journeys;
        this.flows = flows;
        this.messages = messages;
        this.transactions = transactions;
        this.clock = clock;
    }

    @Override
    protected int doWork() {
        Integer handled = transactions.execute(tx -> cancellations.claimRunning().map(claimed -> {
            chunk(claimed);
            return 1;
        }).orElse(0));
        return handled == null ? 0 : handled;
    }

    /**
     * Works up to {@code chunks} chunks of this cancellation, each in a transaction of its own, and answers how far it
     * got; it stops early, without waiting, when a worker is on a chunk of it (that worker goes on with the rest).
     */
    Cancellation work(UUID id, int chunks) {
        for (int i = 0; i < chunks; i++) {
            Cancellation after = transactions.execute(tx -> cancellations.lockIfFree(id)
                    .map(locked -> locked.cancellation().running() ? chunk(locked) : locked.cancellation())
                    .orElse(null));
            if (after == null) {
                break;
            }
            if (!after.running()) {
                return after;
            }
        }
        return cancellations.find(id).orElseThrow();
    }

    /** Cancels the next chunk of journeys of a cancellation the caller's transaction holds locked; the cancellation after it. */
    private Cancellation chunk(CancellationStore.Progress progress) {
        Cancellation cancellation = progress.cancellation();
        List<FlowVersion> versions = flows.versions(cancellation.flowId());
        JourneyStore.CancelledChunk taken = journeys.cancelSome(versions.stream().map(FlowVersion::id).toList(),
                progress.reason(), Journeys.CANCEL_CHUNK, progress.afterJourneyId());
        if (taken.lastSeen() == null) {
            cancellations.advance(cancellation.id(), progress.afterJourneyId(), 0, 0, Cancellation.DONE);
            log.info("Stopped flow {}: cancelled {} of its journeys, withdrew {} of their queued messages, in {} ms",
                    versions.getLast().name(), cancellation.cancelledJourneys(), cancellation.withdrawnMessages(),
                    Duration.between(cancellation.createdAt(), clock.instant()).toMillis());
        } else {
            int withdrawn = messages.withdraw(journeys.messagesOf(taken.cancelled()), progress.reason()).size();
            cancellations.advance(cancellation.id(), taken.lastSeen(), taken.cancelled().size(), withdrawn, Cancellation.RUNNING);
            long before = cancellation.cancelledJourneys();
            long now = before + taken.cancelled().size();
            if (now / LOG_EVERY > before / LOG_EVERY) {
                log.info("Stopping flow {}: {} of its journeys cancelled so far", versions.getLast().name(), now);
            }
        }
        return cancellations.find(cancellation.id()).orElseThrow();
    }
}
