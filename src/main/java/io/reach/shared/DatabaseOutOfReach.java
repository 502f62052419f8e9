package io.reach.shared;

import java.time.Instant;
import org.springframework.dao.TransientDataAccessResourceException;

/**
 * A provider's callback or an API request refused without waiting: the database is known out of reach (see
 * {@link DatabaseOutage}).
 */
public class DatabaseOutOfReach extends TransientDataAccessResourceException {

    private final Instant since;
    private final boolean callback;

    DatabaseOutOfReach(Instant since, boolean callback) {
        super("Reach's database has been out of reach since " + since + "; the " + (callback ? "callback" : "API request")
                + " was refused without waiting");
        this.since = since;
        this.callback = callback;
    }

    public Instant since() {
        return since;
    }

    /** Whether a provider's callback was refused (to be delivered again), rather than an API request (to be sent again). */
    public boolean callback() {
        return callback;
    }
}
