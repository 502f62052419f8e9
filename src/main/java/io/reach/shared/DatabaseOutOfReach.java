package io.reach.shared;

import java.time.Instant;

/** A provider's callback refused without waiting: the database is known out of reach (see {@link DatabaseOutage}). */
public class DatabaseOutOfReach extends org.springframework.dao.TransientDataAccessResourceException {

    private final Instant since;

    public DatabaseOutOfReach(Instant since) {
        super("Reach's database has been out of reach since " + since + "; the callback was refused without waiting");
        this.since = since;
    }

    public Instant since() {
        return since;
    }
}
