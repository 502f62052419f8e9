package io.reach.journey;

import io.reach.contact.Contact;
import io.reach.contact.Contacts;
import io.reach.flow.FlowDocument;
import io.reach.flow.FlowStep;
import io.reach.flow.Flows;
import io.reach.flow.StepTypes;
import io.reach.shared.BackgroundWorker;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Advances journeys. It claims those that can move (running, or waiting and due) under a lease, and takes each
 * one step at a time: every step runs in one transaction with the journey row locked and its visit count checked,
 * together with what the step wrote (a message, a report row), so that a crash never leaves a step half done and
 * two engines never advance the same journey.
 */
@Component
class JourneyEngine extends BackgroundWorker {

    private static final Logger log = LoggerFactory.getLogger(JourneyEngine.class);
    private static final TypeReference<LinkedHashMap<String, String>> DETAIL = new TypeReference<>() {};

    private final JourneyStore store;
    private final Flows flows;
    private final Contacts contacts;
    private final StepExecutor executor;
    private final io.reach.messaging.Messages messages;
    private final TransactionTemplate transactions;
    private final JourneySettings settings;
    private final JsonMapper json;
    private final Clock clock;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore slots;

    JourneyEngine(JourneyStore store, Flows flows, Contacts contacts, StepExecutor executor, io.reach.messaging.Messages messages,
                  TransactionTemplate transactions, JourneySettings settings, JsonMapper json, Clock clock) {
        super("journey-engine", settings.pollInterval(), settings.engineEnabled());
        this.store = store;
        this.flows = flows;
        this.contacts = contacts;
        this.executor = executor;
        this.messages = messages;
        this.transactions = transactions;
        this.settings = settings;
        this.json = json;
        this.clock = clock;
        this.slots = new Semaphore(settings.concurrency());
    }

    @Override
    protected int doWork() {
        List<UUID> claimed = transactions.execute(tx -> store.claim(settings.batchSize(), settings.lease()));
        forEachInParallel(threads, claimed, id -> {
            slots.acquireUninterruptibly();
            try {
                advance(id);
            } finally {
                slots.release();
            }
        });
        return claimed.size();
    }

    /** Takes steps until the journey waits, ends, or has had its turn. */
    void advance(UUID journeyId) {
        try {
            for (int step = 0; step < settings.stepsPerTurn(); step++) {
                if (!Boolean.TRUE.equals(transactions.execute(tx -> stepOnce(journeyId)))) {
                    break;
                }
            }
        } catch (RuntimeException e) {
            log.warn("Journey {} could not take its step; it is tried again when its lease ends", journeyId, e);
            return;
        }
        transactions.executeWithoutResult(tx -> store.release(journeyId));
    }

    /** One step of one journey, in the caller's transaction; true when the journey can go on at once. */
    private boolean stepOnce(UUID journeyId) {
        Optional<Journey> peek = store.find(journeyId);
        if (peek.isEmpty()) {
            return false;
        }
        lockWhatTheStepWaitsOn(peek.get());
        Optional<JourneyStore.Row> locked = store.lock(journeyId);
        if (locked.isEmpty() || locked.get().journey().visits() != peek.get().visits()) {
            return false;
        }
        Journey journey = locked.get().journey();
        if (!Journey.RUNNING.equals(journey.state()) && !Journey.WAITING.equals(journey.state())) {
            return false;
        }
        FlowDocument flow = flows.document(journey.flowVersionId());
        Optional<FlowStep> current = flow.step(journey.currentStep());
        Map<String, String> variables = new LinkedHashMap<>(journey.variables());
        if (current.isEmpty()) {
            store.finish(journey, Journey.FAILED, null, null, null, "step " + journey.currentStep() + " is not in the flow", variables);
            return false;
        }
        FlowStep step = current.get();
        if (Journey.WAITING.equals(journey.state())) {
            return resume(locked.get(), step, variables);
        }
        // Steps that only look at a message's status need no contact: loading it would cost three queries.
        Contact contact = StepTypes.BRANCH_ON_STATUS.equals(step.type()) || StepTypes.END.equals(step.type())
                ? null : contacts.get(journey.contactId());
        StepOutcome outcome = executor.execute(flow, step, journey, contact, variables);
        switch (outcome) {
            case StepOutcome.Next next -> {
                if (next.target() == null) {
                    store.finish(journey, Journey.ENDED, next.branch(), next.outcome(), next.messageId(), null, variables);
                    return false;
                }
                store.move(journey, next.branch(), next.outcome(), next.messageId(), variables, next.target());
                return true;
            }
            case StepOutcome.Wait wait -> {
                store.await(journey, wait.kind(), wait.wakeAt(), wait.waitingMessageId(), wait.waitingFor(), variables,
                        wait.messageId(), wait.outcome());
                return false;
            }
            case StepOutcome.End end -> {
                store.finish(journey, Journey.ENDED, null, end.outcome(), null, null, variables);
                return false;
            }
            case StepOutcome.Fail fail -> {
                store.finish(journey, Journey.FAILED, null, fail.error(), null, fail.error(), variables);
                return false;
            }
        }
    }

    /**
     * Before a step that starts waiting, takes the lock that the matching event takes first (the message's row for a
     * status, the contact's row for a reply), then the journey's: the same order everywhere, so no deadlock, and the
     * event is either seen by the step or sees the journey waiting.
     */
    private void lockWhatTheStepWaitsOn(Journey journey) {
        if (!Journey.RUNNING.equals(journey.state())) {
            return;
        }
        Optional<FlowStep> step = flows.document(journey.flowVersionId()).step(journey.currentStep());
        if (step.isEmpty()) {
            return;
        }
        if (StepTypes.WAIT_FOR_REPLY.equals(step.get().type())) {
            contacts.lock(journey.contactId());
        }
        if (StepTypes.BRANCH_ON_STATUS.equals(step.get().type())) {
            String message = journey.variables().get(StepExecutor.MESSAGE_VARIABLE + step.get().message());
            if (message != null) {
                messages.lockedTimeline(UUID.fromString(message));
            }
        }
    }

    /** A waiting journey that got its decision, or whose time ran out, leaves its step by the matching branch. */
    private boolean resume(JourneyStore.Row row, FlowStep step, Map<String, String> variables) {
        Journey journey = row.journey();
        String branch;
        String outcome;
        if (journey.decision() != null) {
            branch = journey.decision();
            outcome = "decided: " + branch;
            if (row.decisionDetail() != null) {
                variables.putAll(json.readValue(row.decisionDetail(), DETAIL));
            }
        } else if (journey.wakeAt() != null && !journey.wakeAt().isAfter(clock.instant())) {
            branch = switch (step.type()) {
                case StepTypes.BRANCH_ON_STATUS -> "timeout";
                case StepTypes.WAIT_FOR_REPLY -> StepTypes.NO_REPLY;
                default -> null;
            };
            outcome = branch == null ? "waited" : "no decision in time";
        } else {
            return false;
        }
        String target = branch == null ? step.next() : step.branches().get(branch);
        if (target == null) {
            store.finish(journey, Journey.ENDED, branch, outcome, null, null, variables);
            return false;
        }
        store.move(journey, branch, outcome, null, variables, target);
        return true;
    }

    @Override
    public void stop() {
        super.stop();
        threads.shutdown();
    }
}
