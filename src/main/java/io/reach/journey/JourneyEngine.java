package io.reach.journey;

import io.reach.contact.Contact;
import io.reach.contact.Contacts;
import io.reach.contact.PersonalData;
import io.reach.flow.FlowDocument;
import io.reach.flow.FlowDurations;
import io.reach.flow.FlowStep;
import io.reach.flow.Flows;
import io.reach.flow.StepTypes;
import io.reach.messaging.MessageStatus;
import io.reach.messaging.Messages;
import io.reach.shared.BackgroundWorker;
import io.reach.shared.LeasesToGiveBack;
import io.reach.shared.PassingFailures;
import io.reach.shared.UnansweredClaims;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.TransactionException;
import org.springframework.transaction.TransactionUsageException;
import org.springframework.transaction.UnexpectedRollbackException;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Advances journeys. It claims those that can move (running, or waiting and due) under a lease, and takes their
 * steps in transactions that hold the journey's row lock with its visit count checked, together with what the steps
 * wrote (a message, a report row), so that a crash never leaves a step half done and two engines never advance the
 * same journey. Consecutive steps share a transaction unless one needs a lock someone else holds.
 * <p>
 * Its claims and steps commit without waiting for the database's log flush (about a third of the throughput on
 * PostgreSQL, measured): nothing outside the database acts on what they write until a later transaction commits the
 * usual way — a dispatcher's claim before it hands a message to its provider, a webhook's before Reach answers it,
 * the lease's extension before a fetch — and that commit's flush takes theirs with it. A crash of the database then
 * forgets at most steps that nothing saw, and the engine takes them again. Whatever comes to act outside the database
 * on what steps write must keep to that: commit the usual way first.
 */
@Component
class JourneyEngine extends BackgroundWorker {

    private static final Logger log = LoggerFactory.getLogger(JourneyEngine.class);
    private static final TypeReference<LinkedHashMap<String, String>> DETAIL = new TypeReference<>() {};

    private final JourneyStore store;
    private final Flows flows;
    private final Contacts contacts;
    private final StepExecutor executor;
    private final Messages messages;
    private final TransactionTemplate transactions;
    private final JourneySettings settings;
    private final JsonMapper json;
    private final Clock clock;
    private final InFlight advancing;
    // Taken by the running journeys among those advancing (see JourneySettings.runningShare); only the
    // worker's thread takes permits, so what it sees free before a claim is still free after it.
    private final Semaphore runningSlots;
    // Running journeys claimed (leased) ahead of the running share, oldest first; only the worker's thread touches it.
    private final ArrayDeque<Ahead> claimedAhead = new ArrayDeque<>();
    // The journeys this node holds, claimed ahead or being advanced. A claim that takes one of them again (its lease
    // ran out under way: a clock that jumped, a pause past the lease) leaves it to the turn that has it: its writes
    // are fenced by the journey's visits, but a fetch_variables step would call the backend a second time.
    private final Map<UUID, Held> inHand = new ConcurrentHashMap<>();

    /** A journey this node holds (the instance its claim gave), and when that claim's lease ends. */
    private record Held(Journey journey, Instant leaseEnds) {}

    /** A running journey claimed ahead, and when half its lease is gone (it is then given back, not taken up). */
    private record Ahead(Journey journey, Instant staleAt) {}

    // Journeys whose turns a passing failure cut short: filled by the turns' threads, emptied by the worker's before it claims.
    private final LeasesToGiveBack<CutShort> cutShort;

    /** A journey whose turn a passing failure cut short, at visit {@code visits}, leased until {@code leaseEnds}. */
    private record CutShort(UUID id, int visits, Instant leaseEnds) {}

    // Claims that failed once they had chosen their journeys, whose leases, should they have been written, are given back.
    private final UnansweredClaims<UUID> unansweredClaims;

    JourneyEngine(JourneyStore store, Flows flows, Contacts contacts, StepExecutor executor, Messages messages,
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
        this.advancing = inFlight(settings.concurrency());
        this.runningSlots = new Semaphore(settings.runningShare());
        this.cutShort = new LeasesToGiveBack<>(clock, CutShort::leaseEnds,
                journey -> store.releaseIfStillAt(journey.id(), journey.visits()));
        this.unansweredClaims = new UnansweredClaims<>(clock, store::releaseIfLeasedUntil);
    }

    /**
     * Claims as many journeys as there are free threads (once a few are free, so that claims stay a few statements
     * for several journeys) and advances each on its own thread. It does not wait for them: a journey decided
     * meanwhile — a failed message whose fallback is due — is claimed as soon as a thread frees up, not after the
     * slowest journey of a batch.
     */
    @Override
    protected int doWork() {
        // Here, not in claim: with every thread taken by slow steps no claim is made, but doWork still runs each second.
        giveBackStaleClaims();
        cutShort.giveBack();
        unansweredClaims.giveBack();
        return advancing.claimAsFree(settings.batchSize(), this::claim, this::advanceAndFree);
    }

    /**
     * Due waiting journeys first, then running ones as far as the running journeys' share of the threads allows: a
     * launch of a hundred thousand journeys fills that share and no more, and a journey woken by its message's
     * failure finds a thread (and the CPU) for its fallback. Running journeys are claimed a batch ahead and handed
     * out as that share frees up: a claim of running journeys reads past those leased, so one claim serves many.
     */
    private List<Journey> claim(int wanted) {
        int runningFree = Math.min(wanted, runningSlots.availablePermits());
        int ahead = claimedAhead.size() < runningFree ? settings.batchSize() : 0;
        Instant now = clock.instant();
        Instant staleAt = now.plus(settings.lease().dividedBy(2));
        List<Journey> claimed = new ArrayList<>();
        Instant leaseUntil = now.plus(settings.lease());
        // A commit whose answer the connection lost may have gone through: its leases are given back before the next claim.
        List<Journey> fresh = unansweredClaims.claim(leaseUntil,
                leasing -> transactions.execute(tx -> store.claim(wanted, ahead, leaseUntil, leasing)));
        for (Journey journey : fresh) {
            Held earlier = inHand.get(journey.id());
            if (earlier != null && !earlier.leaseEnds().isAfter(now)) {
                log.warn("Journey {} was claimed again while this node still has it in hand: its lease ran out under way"
                        + " (the clock jumped, or the node paused); left to the turn that has it", journey.id());
                continue;
            }
            // An earlier claim whose lease still runs is a turn that gave the journey back and is ending: this one takes over.
            inHand.put(journey.id(), new Held(journey, now.plus(settings.lease())));
            if (Journey.RUNNING.equals(journey.state())) {
                claimedAhead.add(new Ahead(journey, staleAt));
            } else {
                claimed.add(journey);
            }
        }
        int running = Math.min(Math.min(wanted - claimed.size(), runningSlots.availablePermits()), claimedAhead.size());
        runningSlots.acquireUninterruptibly(running);
        for (int i = 0; i < running; i++) {
            claimed.add(claimedAhead.poll().journey());
        }
        return claimed;
    }

    /**
     * Gives back the claims ahead that waited half their lease (slow steps ahead of them, a fetch that waits out a
     * long timeout): taken up later, their lease could run out mid-step and another node claim them meanwhile.
     */
    private void giveBackStaleClaims() {
        Instant now = clock.instant();
        List<Journey> stale = new ArrayList<>();
        while (!claimedAhead.isEmpty() && !claimedAhead.peek().staleAt().isAfter(now)) {
            stale.add(claimedAhead.poll().journey());
        }
        try {
            store.release(stale.stream().map(Journey::id).toList());
        } finally {
            // Given back or not (then their leases run out), they are this node's to claim again.
            stale.forEach(this::letGo);
        }
    }

    /**
     * Stops as the worker does, then gives back the leases of the running journeys claimed ahead: waiting for that at
     * most {@link #GIVING_BACK}, since a database that is down would hold the node's stop for a connection's timeout
     * (10 s), and the leases run out anyway.
     */
    @Override
    public synchronized void stop() {
        super.stop();
        if (!claimedAhead.isEmpty()) {
            List<UUID> ids = claimedAhead.stream().map(ahead -> ahead.journey().id()).toList();
            CompletableFuture<Void> givingBack = CompletableFuture.runAsync(
                    () -> store.release(ids), command -> Thread.ofVirtual().name("engine-giving-back").start(command));
            try {
                givingBack.get(GIVING_BACK.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                log.info("Could not give back the leases of {} journeys claimed ahead; they are taken up when the leases end",
                        ids.size(), e instanceof ExecutionException ? e.getCause() : e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            claimedAhead.forEach(ahead -> letGo(ahead.journey()));
            claimedAhead.clear();
        }
    }

    private static final Duration GIVING_BACK = Duration.ofSeconds(2);

    @Override
    public int itemsInHand() {
        return super.itemsInHand() + inHand.size();
    }

    /** The node no longer holds the journey, unless a later claim of it took over meanwhile. */
    private void letGo(Journey claimed) {
        inHand.computeIfPresent(claimed.id(), (id, held) -> held.journey() == claimed ? null : held);
    }

    private void advanceAndFree(Journey claimed) {
        try {
            advance(claimed);
        } finally {
            letGo(claimed);
            if (Journey.RUNNING.equals(claimed.state())) {
                runningSlots.release();
                wake(); // running journeys may be waiting for this share of the threads, not for a poll
            }
        }
    }

    /** One journey's turn: what the engine last saw or wrote of it, its contact once loaded, the steps it took. */
    private static final class Turn {
        Journey journey;
        Contact contact;
        int steps;
        // A fetch_variables step's answer, taken before the transaction that records it (see fetchBeforeTheTransaction).
        Fetched fetched;
        // The journey as the current transaction (and the fetch before it) began with it, and the step being taken
        // now: where a journey whose step failed for good is failed, and the step its error names.
        Journey atTransactionStart;
        String executing;

        Turn(Journey journey) {
            this.journey = journey;
            this.atTransactionStart = journey;
        }

        /** The step a failure of this turn names: the one being taken, else the one its transaction began at. */
        String failingStep() {
            return executing != null ? executing : atTransactionStart.currentStep();
        }
    }

    /**
     * Takes steps until the journey waits, ends, or has had its turn. Steps share a transaction as long as the next
     * one can take the lock it needs besides the journey's without waiting (see {@link #lockedWithoutWaiting}); the
     * lease goes back with the last write.
     */
    void advance(Journey claimed) {
        Turn turn = new Turn(claimed);
        try {
            do {
                turn.atTransactionStart = turn.journey;
                turn.executing = null;
                turn.fetched = fetchBeforeTheTransaction(turn);
            } while (Boolean.TRUE.equals(transactions.execute(tx -> stepsInOneTransaction(turn))));
        } catch (ContactErased erased) {
            eraseLate(claimed.contactId());
        } catch (RuntimeException e) {
            // The database refuses what the step writes (a constraint, a value too long, an index entry past its
            // limit): trying again would fail the same way every lease, for ever. A duplicate key is left out: it can
            // come from a race.
            if (e instanceof DataIntegrityViolationException
                    && !(e instanceof DuplicateKeyException)
                    || PassingFailures.exceedsALimit(e)) {
                failForGood(turn, e);
                return;
            }
            // A transaction something inside it marked rollback-only (a failure caught and not let through) is the
            // step's own failure, not the database's: counted like a step that throws, so that it cannot loop.
            if ((!(e instanceof DataAccessException) && !(e instanceof TransactionException)
                    || e instanceof UnexpectedRollbackException
                    || e instanceof TransactionUsageException)
                    && !Thread.currentThread().isInterrupted()) {
                countFailedTurn(turn, e);
                return;
            }
            if (PassingFailures.isPassing(e)) {
                // The step is worth trying again at once, not a lease later.
                // Given back by the engine's thread before its next claim: right after a lost connection the pool may
                // hand this thread another dead one, and the give-back would fail with the step.
                cutShort.add(new CutShort(claimed.id(), turn.atTransactionStart.visits(), clock.instant().plus(settings.lease())));
                wake();
                log.warn("Journey {} could not take its step; its lease is given back before the next claim, which tries it again",
                        claimed.id(), e);
            } else {
                log.warn("Journey {} could not take its step; it is tried again when its lease ends", claimed.id(), e);
            }
        }
    }

    /** Turns in a row whose step threw (Reach's code, not the database) before a journey is failed with the error. */
    static final int MAX_FAILED_TURNS = 5;

    /**
     * A turn whose step threw: not the database, whose troubles pass (a lost connection, a lock that timed out), but
     * the step's code, which will most likely throw again. The journey is tried again when its lease ends, and failed
     * with the error after {@value #MAX_FAILED_TURNS} such turns in a row at the same step, rather than tried every
     * lease for ever.
     */
    private void countFailedTurn(Turn turn, RuntimeException failure) {
        Journey journey = turn.atTransactionStart;
        String step = turn.failingStep();
        try {
            whileStillAt(journey, row -> {
                int failedTurns = row.failedTurns() + 1;
                if (failedTurns < MAX_FAILED_TURNS) {
                    log.warn("Journey {} could not take step {} ({} of {} tries); it is tried again when its lease ends",
                            journey.id(), step, failedTurns, MAX_FAILED_TURNS, failure);
                    store.failedTurn(journey.id(), journey.visits(), failedTurns);
                    return;
                }
                String error = "step " + step + " failed " + failedTurns + " times in a row: " + failure;
                log.warn("Journey {} failed: {}", journey.id(), error, failure);
                fail(row, error);
            });
        } catch (RuntimeException e) {
            log.warn("Journey {} could not take its step, nor its failure be counted; it is tried again when its lease ends",
                    journey.id(), failure);
        }
    }

    /**
     * Fails a journey whose step the database refused, at the step its last transaction began with (the refused
     * transaction wrote nothing), with the refusal as its error; unless it moved on or was failed meanwhile.
     */
    private void failForGood(Turn turn, RuntimeException refusal) {
        Journey journey = turn.atTransactionStart;
        String step = turn.failingStep();
        // The first line names the constraint.
        String error = "step " + step + ": the database refused what it wrote ("
                + PassingFailures.firstLine(refusal) + ")";
        log.warn("Journey {} failed: {}", journey.id(), error);
        try {
            whileStillAt(journey, row -> fail(row, error));
        } catch (RuntimeException e) {
            log.warn("Journey {} could not be marked failed; it is tried again when its lease ends", journey.id(), e);
        }
    }

    /** Runs {@code action} in a transaction holding the journey's row, if it is still at that visit and not over. */
    private void whileStillAt(Journey journey, Consumer<JourneyStore.Row> action) {
        transactions.executeWithoutResult(tx -> store.lock(journey.id())
                .filter(row -> row.journey().visits() == journey.visits())
                .filter(row -> Journey.RUNNING.equals(row.journey().state()) || Journey.WAITING.equals(row.journey().state()))
                .ifPresent(action));
    }

    /** Fails the journey whose row the caller's transaction holds, at its current step, with {@code error}. */
    private void fail(JourneyStore.Row row, String error) {
        JourneyStore.Writes writes = store.writes(row.journey());
        writes.finish(row.journey(), Journey.FAILED, null, error, null, error, row.journey().variables());
        store.write(writes);
    }

    /** A fetch_variables step's outcome for the journey at visit {@code visits}, and the variables it set. */
    private record Fetched(int visits, StepOutcome outcome, Map<String, String> variables) {}

    /**
     * Takes a fetch_variables step's HTTP exchange before the transaction that records its outcome, when the journey
     * is running at such a step: the exchange may wait up to a minute on someone's backend, and inside the transaction
     * it would hold a pooled connection and the journey's row lock as long (sixteen slow fetches would take most of
     * the pool from the webhooks). The journey's lease is first stretched over the exchange so that no other node
     * claims it meanwhile; the transaction then records the outcome only if the journey is still at that visit.
     */
    private Fetched fetchBeforeTheTransaction(Turn turn) {
        Journey journey = turn.journey;
        if (!Journey.RUNNING.equals(journey.state())) {
            return null;
        }
        FlowDocument flow = flows.document(journey.flowVersionId());
        Optional<FlowStep> step = flow.step(journey.currentStep());
        if (step.isEmpty() || !StepTypes.FETCH_VARIABLES.equals(step.get().type())) {
            return null;
        }
        Instant leaseUntil = clock.instant().plus(executor.longestFetch(step.get())).plus(settings.lease());
        // A statement of its own, committed the usual way before the backend is called (see the class's comment).
        if (!store.extendLease(journey.id(), journey.visits(), leaseUntil)) {
            return null; // advanced by someone else meanwhile, or gone: the transaction finds out and leaves it
        }
        turn.executing = step.get().id();
        Map<String, String> variables = new LinkedHashMap<>(journey.variables());
        StepOutcome outcome = executor.execute(flow, step.get(), journey, contactFor(step.get(), journey, turn), variables, Map.of());
        return new Fetched(journey.visits(), outcome, variables);
    }

    /**
     * Steps of one journey in the caller's transaction, with the journey's row locked and its visit count checked
     * against what the engine knows; true when the journey goes on in a new transaction. What the steps change is
     * written once, at the end ({@link JourneyStore.Writes}).
     */
    private boolean stepsInOneTransaction(Turn turn) {
        UUID journeyId = turn.journey.id();
        lockWhatTheStepWaitsOn(turn.journey);
        Optional<JourneyStore.Row> locked = store.lock(journeyId);
        if (locked.isEmpty() || locked.get().journey().visits() != turn.journey.visits()) {
            return false; // advanced by someone else meanwhile, or gone
        }
        JourneyStore.Writes writes = store.writes(locked.get().journey());
        boolean goesOn = steps(turn, locked.get(), writes);
        store.writeCommittingWithoutWaitingForTheFlush(writes);
        return goesOn;
    }

    /** The steps of a journey whose row the caller's transaction holds; true when it goes on in a new transaction. */
    private boolean steps(Turn turn, JourneyStore.Row row, JourneyStore.Writes writes) {
        Journey journey = row.journey();
        if (!Journey.RUNNING.equals(journey.state()) && !Journey.WAITING.equals(journey.state())) {
            writes.release();
            return false;
        }
        FlowDocument flow = flows.document(journey.flowVersionId());
        Map<UUID, MessageStatus> sentHere = new HashMap<>();
        while (true) {
            Optional<FlowStep> current = flow.step(journey.currentStep());
            Map<String, String> variables = new LinkedHashMap<>(journey.variables());
            if (current.isEmpty()) {
                writes.finish(journey, Journey.FAILED, null, null, null, "step " + journey.currentStep() + " is not in the flow", variables);
                return false;
            }
            FlowStep step = current.get();
            turn.executing = step.id();
            StepOutcome outcome;
            if (Journey.WAITING.equals(journey.state())) {
                outcome = resume(row, step, variables);
                if (outcome == null) {
                    writes.release(); // neither decided nor due: nothing to do yet
                    return false;
                }
            } else if (turn.fetched != null && turn.fetched.visits() == journey.visits()
                    && StepTypes.FETCH_VARIABLES.equals(step.type())) {
                outcome = turn.fetched.outcome();
                variables = new LinkedHashMap<>(turn.fetched.variables());
                turn.fetched = null;
            } else {
                outcome = executor.execute(flow, step, journey, contactFor(step, journey, turn), variables, sentHere);
                if (CHANGES_CONTACT.contains(step.type())) {
                    turn.contact = null;
                }
            }
            turn.steps++;
            switch (outcome) {
                case StepOutcome.Next next when next.target() == null -> {
                    writes.finish(journey, Journey.ENDED, next.branch(), next.outcome(), next.messageId(), null, variables);
                    return false;
                }
                case StepOutcome.Next next -> {
                    writes.move(journey, next.branch(), next.outcome(), next.messageId(), variables, next.target());
                    if (next.sentNow() != null) {
                        sentHere.put(next.messageId(), next.sentNow());
                    }
                    journey = moved(journey, next.target(), variables);
                    row = new JourneyStore.Row(journey, null, null, 0);
                    turn.journey = journey;
                    if (turn.steps >= settings.stepsPerTurn()) {
                        writes.release();
                        return false;
                    }
                    Optional<FlowStep> following = flow.step(next.target());
                    if (following.isPresent() && (StepTypes.FETCH_VARIABLES.equals(following.get().type())
                            || !lockedWithoutWaiting(following.get(), journey, variables, sentHere))) {
                        return true; // a fetch's exchange, or a lock someone holds, is waited for outside this transaction
                    }
                }
                case StepOutcome.Wait wait -> {
                    writes.await(journey, wait.kind(), wait.wakeAt(), wait.waitingMessageId(), wait.waitingFor(), variables,
                            wait.messageId(), wait.outcome());
                    return false;
                }
                case StepOutcome.End end -> {
                    writes.finish(journey, Journey.ENDED, null, end.outcome(), null, null, variables);
                    return false;
                }
                case StepOutcome.Fail fail -> {
                    writes.finish(journey, Journey.FAILED, null, fail.error(), null, fail.error(), variables);
                    return false;
                }
            }
        }
    }

    private static final Set<String> CHANGES_CONTACT = Set.of(StepTypes.ADD_TAG, StepTypes.REMOVE_TAG, StepTypes.SET_ATTRIBUTE);

    /**
     * The journey's contact, loaded once a turn; steps that only look at a message's status or its replies, or wait
     * a fixed time, need none.
     */
    private Contact contactFor(FlowStep step, Journey journey, Turn turn) {
        if (StepTypes.BRANCH_ON_STATUS.equals(step.type()) || StepTypes.END.equals(step.type())
                || StepTypes.WAIT_FOR_REPLY.equals(step.type())
                || StepTypes.WAIT.equals(step.type()) && step.duration() != null) {
            return null;
        }
        if (turn.contact == null) {
            Optional<Contact> found = contacts.find(journey.contactId());
            if (found.isEmpty() && contacts.known(journey.contactId())) {
                throw new ContactErased();
            }
            turn.contact = found.orElseGet(() -> contacts.get(journey.contactId()));
        }
        return turn.contact;
    }

    /**
     * A step needs the journey's contact, and it was erased: the journey was started for it as the erasure ran, which
     * did not see it yet. Its turn is undone, and {@link #eraseLate} does to it what the erasure did to the others.
     */
    private static final class ContactErased extends RuntimeException {
        ContactErased() {
            super("the journey's contact was erased", null, false, false);
        }
    }

    /**
     * Cancels the journeys of an erased contact still under way (started as the erasure ran) and empties them of what
     * they kept of it, as the erasure did to the journeys it found, rather than failing them turn after turn.
     */
    private void eraseLate(UUID contactId) {
        try {
            List<UUID> cancelled = transactions.execute(tx -> {
                List<UUID> ids = store.cancel(store.underWay(contactId, null), PersonalData.ERASED);
                messages.withdraw(store.messagesOf(ids), PersonalData.ERASED);
                store.eraseOf(contactId, PersonalData.ERASED);
                return ids;
            });
            log.info("Cancelled and erased {} journeys of contact {}, started as it was erased", cancelled.size(), contactId);
        } catch (RuntimeException e) {
            log.warn("The journeys of contact {}, started as it was erased, could not be cancelled; tried again when their"
                    + " leases end", contactId, e);
        }
    }

    /** The journey as {@link JourneyStore#move} left it: running at {@code target}, one visit more. */
    private Journey moved(Journey journey, String target, Map<String, String> variables) {
        Instant now = clock.instant();
        return new Journey(journey.id(), journey.flowVersionId(), journey.contactId(), Journey.RUNNING, target,
                journey.visits() + 1, new LinkedHashMap<>(variables), now, null, null, null, null, journey.startedAt(), now, null);
    }

    /**
     * Takes, if it is free, the lock a step needs besides the journey's (a reply's contact, or the message whose
     * status it branches on), so that the step can go on in this transaction; false when someone holds it (a status
     * or reply being recorded), and the step must start in a transaction of its own that takes that lock first, in
     * the order the events take them. A message sent in this transaction needs no lock: no one else can see it yet.
     */
    private boolean lockedWithoutWaiting(FlowStep step, Journey journey, Map<String, String> variables,
                                         Map<UUID, MessageStatus> sentHere) {
        if (StepTypes.WAIT_FOR_REPLY.equals(step.type())) {
            return contacts.lockIfFree(journey.contactId());
        }
        if (StepTypes.BRANCH_ON_STATUS.equals(step.type())) {
            String message = variables.get(StepExecutor.MESSAGE_VARIABLE + step.message());
            return message == null || sentHere.containsKey(UUID.fromString(message)) || messages.lockIfFree(UUID.fromString(message));
        }
        return true;
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
                messages.lock(UUID.fromString(message));
            }
        }
    }

    /**
     * Withdraws the message a branch_on_status or wait_for_reply step gave up on when no provider has it yet (a long
     * queue at the sender's throughput, a sender held at its messaging limit, a provider out of reach): sent after the
     * journey went on by its timeout or no-reply branch, usually to a fallback, it would reach the contact twice, or ask
     * a question no one waits for the answer to any more. True when it was withdrawn. It never waits for the message's
     * row (withdrawing skips a row someone holds: a status being recorded, a dispatcher's claim), so it takes no lock
     * out of the order the events take them in.
     */
    private boolean withdrawnOnTimeout(FlowStep step, Map<String, String> variables) {
        UUID message = StepExecutor.messageOf(step, variables);
        return message != null && !messages.withdraw(List.of(message), "withdrawn before it was sent: its journey"
                + " stopped waiting at step '" + step.id() + "' after " + step.timeout()).isEmpty();
    }

    /** How recently a sender must have handed a message over for its queue to count as moving. */
    static final Duration SENDER_MOVING = Duration.ofMinutes(1);

    /**
     * The wait that goes on when a step's timeout came before its message had its chance: the timeout counts from the
     * moment the message went out when that was after the step began (a broadcast's tail waits its turn at its sender's
     * throughput for longer than a status timeout), and does not run out while the message still waits its turn
     * behind others that its sender is sending (checked again a timeout later). Null when the timeout stands: the
     * message went out a timeout ago, or it is held because nothing goes out (a provider out of reach, an SMPP session
     * down, the messaging limit reached), or a provider refused it before; then it is withdrawn if still queued.
     */
    private StepOutcome.Wait timeoutCountedFromTheSend(FlowStep step, JourneyStore.Row row, Map<String, String> variables) {
        UUID message = StepExecutor.messageOf(step, variables);
        if (message == null || step.timeout() == null) {
            return null;
        }
        Duration timeout = FlowDurations.parse(step.timeout());
        Instant now = clock.instant();
        Optional<Messages.Progress> progress = messages.progress(message, SENDER_MOVING);
        if (progress.isEmpty()) {
            return null;
        }
        Instant wakeAt = timeoutEnd(progress.get(), timeout, now);
        if (wakeAt == null) {
            return null;
        }
        String note = progress.get().handedOverAt() != null
                ? "waiting: its message went out at " + progress.get().handedOverAt() + ", and the timeout counts from then"
                : "waiting: its message waits its turn in its sender's queue, and the timeout counts from when it goes out";
        Journey journey = row.journey();
        return new StepOutcome.Wait(journey.waitingKind(), wakeAt, journey.waitingMessageId(), row.waitingFor(), note, null);
    }

    /**
     * When a timeout that came at {@code now} ends, given its message's progress: a timeout after the message went
     * out, or, while it waits its turn, a timeout from now (to look again then); null when it has ended now.
     */
    static Instant timeoutEnd(Messages.Progress progress, Duration timeout,
                                        Instant now) {
        Instant end = progress.handedOverAt() != null ? progress.handedOverAt().plus(timeout)
                : progress.waitingItsTurn() ? now.plus(timeout) : null;
        return end != null && end.isAfter(now) ? end : null;
    }

    /**
     * A waiting journey that got its decision, or whose time ran out, leaves its step by the matching branch; null
     * while it has neither.
     */
    private StepOutcome resume(JourneyStore.Row row, FlowStep step, Map<String, String> variables) {
        Journey journey = row.journey();
        String branch;
        String outcome;
        if (journey.decision() != null) {
            branch = journey.decision();
            // No reply decides no_reply: its question was withdrawn before it was sent, or failed (JourneyListeners.onStatuses).
            outcome = StepTypes.NO_REPLY.equals(branch) && journey.waitingMessageId() != null
                    ? Decisions.questionUnanswerable(messages.find(journey.waitingMessageId()))
                    : "decided: " + branch;
            if (row.decisionDetail() != null) {
                variables.putAll(json.readValue(row.decisionDetail(), DETAIL));
            }
        } else if (journey.wakeAt() != null && !journey.wakeAt().isAfter(clock.instant())) {
            branch = switch (step.type()) {
                case StepTypes.BRANCH_ON_STATUS -> "timeout";
                case StepTypes.WAIT_FOR_REPLY -> StepTypes.NO_REPLY;
                default -> null;
            };
            StepOutcome.Wait later = branch == null || step.message() == null ? null : timeoutCountedFromTheSend(step, row, variables);
            if (later != null) {
                return later;
            }
            outcome = branch == null ? "waited" : "no decision in time";
            if (branch != null && step.message() != null && withdrawnOnTimeout(step, variables)) {
                outcome += "; its message, still queued, was withdrawn";
            }
        } else {
            return null;
        }
        return new StepOutcome.Next(branch == null ? step.next() : step.branches().get(branch), branch, outcome, null);
    }
}
