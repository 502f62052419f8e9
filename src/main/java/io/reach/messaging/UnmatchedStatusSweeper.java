package io.reach.messaging;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** Matches statuses that arrived before their message was known, once the message has appeared. */
@Component
class UnmatchedStatusSweeper {

    private static final Logger log = LoggerFactory.getLogger(UnmatchedStatusSweeper.class);

    private final Messages messages;

    UnmatchedStatusSweeper(Messages messages) {
        this.messages = messages;
    }

    @Scheduled(fixedDelayString = "${reach.messaging.unmatched-sweep-interval:5s}")
    void sweep() {
        try {
            messages.reconcilePending(500);
        } catch (DataAccessException e) {
            // A database that restarts or fails over: as the background workers do, a warning, and the next sweep.
            log.warn("Matching statuses that came before their messages failed; the next sweep tries again", e);
        }
    }
}
