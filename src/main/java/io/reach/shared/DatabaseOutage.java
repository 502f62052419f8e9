package io.reach.shared;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Whether the database is known to be out of reach: its pool gave no connection within its timeout
 * ({@code spring.datasource.hikari.connection-timeout}), and none since. Providers' callbacks (webhooks, deliver_sm)
 * and API requests are then refused at once, for their senders to send them again, instead of each holding a thread
 * (and an SMSC waiting for its answer) for the pool's timeout. The first connection the pool gives ends the outage: the
 * node keeps asking for one (see {@link OutageTracking}), as its background workers do. A database that pauses for
 * less than the pool's timeout (a failover) refuses nothing.
 */
@Component
public class DatabaseOutage {

    private static final Logger log = LoggerFactory.getLogger(DatabaseOutage.class);

    private final Clock clock;
    // Null while the database answers.
    private final AtomicReference<Instant> outOfReachSince = new AtomicReference<>();
    // How many connections the pool has given: a request that fails after one was given is older news than that one
    // (a probe's try that timed out as the database came back would otherwise begin an outage anew).
    private final AtomicLong given = new AtomicLong();
    // Since the node started, for its metrics; an outage's own, for its log line, are what they grew by during it.
    private final LongAdder refusedCallbacks = new LongAdder();
    private final LongAdder refusedRequests = new LongAdder();
    private volatile long callbacksRefusedBefore;
    private volatile long requestsRefusedBefore;

    public DatabaseOutage(Clock clock) {
        this.clock = clock;
    }

    /** Since when the database is known out of reach; empty while it answers. */
    public Optional<Instant> outOfReachSince() {
        return Optional.ofNullable(outOfReachSince.get());
    }

    /** Handles a provider's callback unless the database is known out of reach: then throws {@link DatabaseOutOfReach}. */
    public <T> T unlessOutOfReach(Supplier<T> callback) {
        refuseWhileOutOfReach(refusedCallbacks, true);
        return callback.get();
    }

    /** Refuses an API request while the database is known out of reach: throws {@link DatabaseOutOfReach}. */
    void refuseRequestWhileOutOfReach() {
        refuseWhileOutOfReach(refusedRequests, false);
    }

    /** Providers' callbacks (webhooks, deliver_sm) refused because the database was out of reach, since the node started. */
    public long refusedCallbacks() {
        return refusedCallbacks.sum();
    }

    /** API requests refused because the database was out of reach, since the node started. */
    public long refusedRequests() {
        return refusedRequests.sum();
    }

    private void refuseWhileOutOfReach(LongAdder refused, boolean callback) {
        Instant since = outOfReachSince.get();
        if (since != null) {
            refused.increment();
            throw new DatabaseOutOfReach(since, callback);
        }
    }

    /** {@link #unlessOutOfReach(Supplier)} for a callback that gives nothing back. */
    public void unlessOutOfReach(Runnable callback) {
        unlessOutOfReach(() -> {
            callback.run();
            return null;
        });
    }

    /** Whether a failure is the pool's giving no connection in time (wherever it is wrapped). */
    public static boolean noConnectionGiven(Throwable failure) {
        return PassingFailures.hasCause(failure, SQLTransientConnectionException.class::isInstance);
    }

    /** A request for a connection begins: what {@link #connectionRefused} is told, should it fail. */
    long connectionAsked() {
        return given.get();
    }

    /** The pool gave a connection: the database answers. */
    void connectionGiven() {
        given.incrementAndGet();
        Instant since = outOfReachSince.get();
        if (since != null && outOfReachSince.compareAndSet(since, null)) {
            log.info("The database answers again, after {} out of reach; {} providers' callbacks and {} API requests were"
                    + " refused meanwhile, for their senders to send them again", Duration.between(since, clock.instant()),
                    refusedCallbacks() - callbacksRefusedBefore, refusedRequests() - requestsRefusedBefore);
        }
    }

    /**
     * The pool gave no connection to the request that began when {@link #connectionAsked} said {@code asked}: a
     * timeout means the database is out of reach, unless the pool gave a connection since that request began; any
     * other failure tells nothing. Whether this began an outage.
     */
    boolean connectionRefused(SQLException failure, long asked) {
        if (!noConnectionGiven(failure) || given.get() != asked) {
            return false;
        }
        // Read before the outage begins: nothing is refused until it has.
        long callbacksBefore = refusedCallbacks();
        long requestsBefore = refusedRequests();
        if (outOfReachSince.compareAndSet(null, clock.instant())) {
            callbacksRefusedBefore = callbacksBefore;
            requestsRefusedBefore = requestsBefore;
            log.warn("The database gave no connection in time ({}): until it does, providers' callbacks and API requests"
                    + " are refused at once (503 to a webhook or a request, a temporary error to a deliver_sm) for their"
                    + " senders to send them again", reason(failure));
            return true;
        }
        return false;
    }

    /** The pool's words, and the driver's first line of why its last connection failed (no contact's data in either). */
    private static String reason(SQLException failure) {
        String pool = Objects.requireNonNullElse(failure.getMessage(), "no reason given");
        Throwable cause = failure.getCause();
        return cause == null || cause.getMessage() == null ? pool
                : pool + "; " + cause.getClass().getSimpleName() + ": " + cause.getMessage().lines().findFirst().orElse("");
    }
}
