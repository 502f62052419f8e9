package io.reach.shared;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * A loop on its own thread that does a unit of work while there is some, and otherwise waits until it is woken
 * ({@link #wake()}) or the poll interval passes. Work lives in the database, so the wake-up is only a shortcut:
 * a lost one costs at most one poll interval, never a message.
 */
public abstract class BackgroundWorker implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(BackgroundWorker.class);

    private final String name;
    private final Duration pollInterval;
    private final boolean enabled;
    private final Semaphore signal = new Semaphore(0);
    private final List<InFlight> inFlights = new CopyOnWriteArrayList<>();
    // Units of work and items that failed (each logged at WARN), for the node's metrics.
    private final LongAdder failures = new LongAdder();
    private volatile boolean running;
    private volatile Duration stopPatience = StopPatience.DEFAULT;
    private Thread thread;

    protected BackgroundWorker(String name, Duration pollInterval, boolean enabled) {
        this.name = name;
        this.pollInterval = pollInterval;
        this.enabled = enabled;
    }

    /**
     * Runs {@code action} on every item on the given executor and waits until all are done. An item whose action
     * throws is only logged: its work stays in the database and is taken up again when its lease runs out.
     */
    protected <T> void forEachInParallel(ExecutorService executor, List<T> items,
                                         Consumer<T> action) {
        List<Future<?>> running = new ArrayList<>(items.size());
        for (T item : items) {
            running.add(executor.submit(() -> action.accept(item)));
        }
        for (Future<?> task : running) {
            try {
                task.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException e) {
                failures.increment();
                log.warn("{} failed on one item; it is retried when its lease ends", name, e.getCause());
            }
        }
    }

    /**
     * Items the worker runs without waiting for them (sends on the wire, journeys being advanced), at most
     * {@code permits} at once, each on a virtual thread; made with {@link #inFlight(int)}, and waited for by
     * {@link #stop()}.
     */
    protected final class InFlight {

        private final int permits;
        private final Semaphore slots;
        private final ExecutorService threads =
                Executors.newVirtualThreadPerTaskExecutor();
        /** The identities of the items under way (see {@link #claimAsFree(int, IntFunction, Function, Consumer)}). */
        private final Set<Object> inHand = ConcurrentHashMap.newKeySet();
        // Items whose action is running (a claim's permits are taken before its items are, and given back after).
        private final AtomicInteger underWay = new AtomicInteger();

        private InFlight(int permits) {
            this.permits = permits;
            this.slots = new Semaphore(permits);
        }

        /**
         * Claims as many items as there are free permits (once a quarter of them are free, so that one claim serves
         * several items; at most {@code maximumClaim}) and runs each without waiting for it, giving its permit back
         * when it is done. Work that falls due meanwhile — a fallback, a decided journey — is claimed as soon as a
         * permit frees up, not after the slowest item of a batch. Returns how many items it claimed when it got all it
         * asked for (more may be due), 0 when it got fewer (nothing more is due now, so the worker waits for a
         * wake-up or its poll rather than make a claim that comes back empty), or 1 when every permit stayed taken
         * for a second (busy, not idle). An item whose action throws is only logged: its work stays in the database
         * and is taken up again when its lease runs out.
         */
        public <T> int claimAsFree(int maximumClaim, IntFunction<List<T>> claim,
                                   Consumer<T> action) {
            return claimAsFree(maximumClaim, claim, null, action);
        }

        /**
         * Like {@link #claimAsFree(int, IntFunction, Consumer)}, but an item whose
         * {@code identity} this node still has in hand is not run again: its lease ran out under way (the recording
         * of its answer waiting out a database outage, a clock that jumped, a pause longer than the lease), and a
         * send would go out twice. The attempt under way records what comes of it, and that ends the new claim's
         * lease too.
         */
        public <T> int claimAsFree(int maximumClaim, IntFunction<List<T>> claim,
                                   Function<T, ?> identity, Consumer<T> action) {
            int minimumClaim = Math.max(1, permits / 4);
            try {
                if (!slots.tryAcquire(minimumClaim, 1, TimeUnit.SECONDS)) {
                    return 1;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            }
            int free = minimumClaim + slots.drainPermits();
            int wanted = Math.min(free, maximumClaim);
            slots.release(free - wanted);
            List<T> claimed;
            try {
                claimed = claim.apply(wanted);
            } catch (RuntimeException e) {
                slots.release(wanted);
                throw e;
            }
            slots.release(wanted - claimed.size());
            for (T item : claimed) {
                Object id = identity == null ? null : identity.apply(item);
                if (id != null && !inHand.add(id)) {
                    log.warn("{} claimed {} again while it still has it in hand: its lease ran out under way (its"
                            + " answer's recording waited out a database outage, the clock jumped, or the node paused);"
                            + " not run twice", name, id);
                    slots.release();
                    continue;
                }
                underWay.incrementAndGet();
                threads.submit(() -> {
                    try {
                        action.accept(item);
                    } catch (RuntimeException e) {
                        failures.increment();
                        log.warn("{} failed on one item; it is retried when its lease ends", name, e);
                    } finally {
                        underWay.decrementAndGet();
                        if (id != null) {
                            inHand.remove(id);
                        }
                        slots.release();
                    }
                });
            }
            // Work that comes on this node meanwhile wakes the worker (the signal keeps the wake-up), so waiting
            // loses nothing; what another node adds, or what falls due by time, is found by the poll as before.
            return claimed.size() < wanted ? 0 : claimed.size();
        }

        /**
         * Waits, until {@code deadline} ({@link System#nanoTime()}), for the items in flight to be done; names those
         * still in hand by identity when they are not, since they are run again once their leases end (a send whose
         * answer waits for the database).
         */
        private void awaitIdle(long deadline, Duration patience) {
            try {
                if (slots.tryAcquire(permits, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    slots.release(permits);
                } else if (!inHand.isEmpty()) {
                    List<Object> left = inHand.stream().limit(100).toList();
                    log.error("{} stops with {} items still under way after {} ms, what came of them not recorded (the"
                            + " database failing?): they are taken up again when their leases end; a send its provider"
                            + " took is then recorded from the answer this node kept (unrecorded-answers.jsonl in its data"
                            + " directory), and sent again only by another node that claims it first, unless its status"
                            + " comes first: {}{}", name, inHand.size(), patience.toMillis(), left,
                            inHand.size() > left.size() ? " and more" : "");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The worker's items in flight, at most {@code permits} at once; {@link #stop()} waits for them. */
    protected final InFlight inFlight(int permits) {
        InFlight inFlight = new InFlight(permits);
        inFlights.add(inFlight);
        return inFlight;
    }

    /**
     * How many items this worker has in hand by identity (a send under way, a journey claimed or being advanced): what
     * a claim of the same item again leaves alone. None once its work is done; more would be items never let go.
     */
    public int itemsInHand() {
        return inFlights.stream().mapToInt(inFlight -> inFlight.inHand.size()).sum();
    }

    /** The worker's name, as its thread and its log lines give it. */
    public String name() {
        return name;
    }

    /** Units of work and items this worker failed (each logged at WARN and tried again) since the node started. */
    public long failures() {
        return failures.sum();
    }

    /** Items this worker is running now (sends on the wire, journeys being advanced). */
    public int itemsUnderWay() {
        return inFlights.stream().mapToInt(inFlight -> inFlight.underWay.get()).sum();
    }

    /** How many items this worker may run at once (0: it runs its work itself, one unit at a time). */
    public int itemsAtOnce() {
        return inFlights.stream().mapToInt(inFlight -> inFlight.permits).sum();
    }

    /** Does one batch of work and returns how many items it handled (0: nothing more to do now, so the worker waits). */
    protected abstract int doWork();

    /** Wakes the worker once the current transaction commits (at once when there is none), so it sees the new work. */
    public void wakeAfterCommit() {
        AfterCommit.run(this::wake);
    }

    public void wake() {
        if (signal.availablePermits() == 0) {
            signal.release();
        }
    }

    @Override
    public synchronized void start() {
        if (!enabled || running) {
            return;
        }
        running = true;
        thread = Thread.ofPlatform().name(name).daemon(true).start(this::loop);
    }

    /**
     * Stops after the batch in hand: a send that is on the wire gets its answer recorded, so that a restart does
     * not send it again; so are the items {@link InFlight} runs. The loop and the items share one
     * {@link #stopPatience()}: only a loop that takes longer is interrupted, and items still in hand then are named.
     */
    @Override
    public synchronized void stop() {
        running = false;
        if (thread != null) {
            Duration patience = stopPatience();
            long deadline = System.nanoTime() + patience.toNanos();
            signal.release();
            try {
                if (!thread.join(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                    thread.interrupt();
                    thread.join(Duration.ofSeconds(5));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            thread = null;
            inFlights.forEach(inFlight -> inFlight.awaitIdle(deadline, patience));
        }
    }

    /**
     * Stops on a thread of its own and then calls back, so that the workers of a node stop side by side: Spring calls
     * each bean of a phase in turn, and a worker that waits out its patience (sends whose answers wait for a database
     * that is down) would otherwise hold up every worker after it, the node taking their sum to exit instead of one
     * patience — longer than a container's grace period, killed before the later workers name what they hold.
     */
    @Override
    public void stop(Runnable callback) {
        Thread.ofPlatform().name(name + "-stopping").daemon(true).start(() -> {
            try {
                stop();
            } finally {
                callback.run();
            }
        });
    }

    /**
     * How long {@link #stop()} waits for its loop and its items in flight together ({@code reach.stop-patience}, set by
     * {@link StopPatience}): by default longer than a provider's request may take (15 s), so that a send on the wire
     * gets its answer; short enough that, with what may follow it while the database is down, the workers' shutdown
     * phase ends within Spring's 30 s.
     */
    protected Duration stopPatience() {
        return stopPatience;
    }

    /** Sets {@link #stopPatience()}. */
    public void setStopPatience(Duration patience) {
        this.stopPatience = patience;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void loop() {
        long failuresInARow = 0;
        while (running) {
            try {
                int handled = doWork();
                failuresInARow = 0;
                if (handled == 0) {
                    signal.tryAcquire(pollInterval.toMillis(), TimeUnit.MILLISECONDS);
                    signal.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                failuresInARow++;
                failures.increment();
                if (failuresInARow == 1 && PassingFailures.isPassing(e)) {
                    // A deadlock's victim or a lock that timed out, with other work on the same rows (a launch's page
                    // and replies of its contacts coming in): the next attempt most likely goes through.
                    log.info("{} failed a unit of work on a passing database failure ({}); it will try again", name,
                            PassingFailures.cause(e));
                } else {
                    log.warn("{} failed a unit of work (attempt {}); it will try again", name, failuresInARow, e);
                }
                try {
                    Thread.sleep(Math.min(5_000, 100 * failuresInARow * failuresInARow));
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }
}
