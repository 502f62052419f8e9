package io.reach.messaging;

import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** Matches statuses that arrived before their message was known, once the message has appeared. */
@Component
class UnmatchedStatusSweeper {

    private final Messages messages;

    UnmatchedStatusSweeper(Messages messages) {
        this.messages = messages;
    }

    @Scheduled(fixedDelayString = "${reach.messaging.unmatched-sweep-interval:5s}")
    void sweep() {
        messages.reconcilePending(500);
    }
}
