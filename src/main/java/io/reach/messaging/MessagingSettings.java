package io.reach.messaging;

import io.reach.shared.Backoff;
import io.reach.shared.SettingChecks;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the SMS and voice channels and their callback processing ({@code reach.messaging.*}).
 *
 * @param pollInterval            how often idle workers look for due work (new work wakes them at once)
 * @param lease                   how long claimed work stays reserved for the node that claimed it
 * @param batchSize               SMS and calls claimed at once at most (SMS: also the sends in flight at once per node)
 * @param maxAttempts             attempts before a message that keeps failing transiently is failed for good
 * @param initialBackoff          wait before the first retry; it doubles per attempt
 * @param maxBackoff              longest wait between two attempts
 * @param unmatchedSweepInterval  how often statuses that came before their message are matched again
 * @param requestTimeout          how long a request to Twilio may take, its answer read whole, before it counts as
 *                                a failed attempt (and is retried); the SDK tries a request up to three times
 *                                when Twilio answers 5xx, and all three must end within the lease, so that a send is
 *                                never claimed again while it is still on the wire
 * @param statusChecks            when, after Twilio took a call or an SMS, Reach asks Twilio for its status if no
 *                                callback has brought a final one by then (Twilio does not try a callback again that
 *                                found Reach down or restarting); after the last, it waits for callbacks only
 * @param retryAfterLostAnswer    the least wait before sending again an SMS or a call whose answer from Twilio never
 *                                came (a timeout, a connection lost mid-exchange): Twilio may have taken it, and its
 *                                first status callback, whose URL names Reach's message, marks it submitted meanwhile,
 *                                so that it is not sent twice
 * @param keepProcessedCallbacks  how long a provider callback (a webhook, a receipt) is kept in the inbox once applied,
 *                                for a look at what a provider sent; then it is deleted (what it said stays in the
 *                                messages' timelines). Callbacks not applied yet are never deleted
 */
@ConfigurationProperties("reach.messaging")
public record MessagingSettings(
        @DefaultValue("500ms") Duration pollInterval,
        @DefaultValue("60s") Duration lease,
        @DefaultValue("50") int batchSize,
        @DefaultValue("8") int maxAttempts,
        @DefaultValue("1s") Duration initialBackoff,
        @DefaultValue("5m") Duration maxBackoff,
        @DefaultValue("5s") Duration unmatchedSweepInterval,
        @DefaultValue("15s") Duration requestTimeout,
        @DefaultValue({"2m", "10m", "1h", "6h"}) List<Duration> statusChecks,
        @DefaultValue("60s") Duration retryAfterLostAnswer,
        @DefaultValue("30d") Duration keepProcessedCallbacks) {

    /** Twilio requests the SDK makes per send at most (the first, and two more after a 5xx answer). */
    static final int TWILIO_TRIES = 3;

    public MessagingSettings {
        SettingChecks.dispatcher("reach.messaging", pollInterval, lease, batchSize, maxAttempts, initialBackoff,
                maxBackoff, requestTimeout, retryAfterLostAnswer);
        SettingChecks.positive("reach.messaging.unmatched-sweep-interval", unmatchedSweepInterval);
        SettingChecks.positive("reach.messaging.keep-processed-callbacks", keepProcessedCallbacks);
        statusChecks = statusChecks == null ? List.of() : List.copyOf(statusChecks);
        for (int i = 0; i < statusChecks.size(); i++) {
            if (statusChecks.get(i).isNegative() || statusChecks.get(i).isZero()
                    || i > 0 && statusChecks.get(i).compareTo(statusChecks.get(i - 1)) <= 0) {
                throw new IllegalArgumentException("reach.messaging.status-checks (" + statusChecks + ") must be times after"
                        + " the send, each later than the one before it");
            }
        }
        if (requestTimeout.multipliedBy(TWILIO_TRIES).compareTo(lease) >= 0) {
            throw new IllegalArgumentException("reach.messaging.request-timeout (" + requestTimeout + ") must be under a "
                    + "third of reach.messaging.lease (" + lease + "): a Twilio send makes up to " + TWILIO_TRIES
                    + " requests, and one still waiting for its answer when the lease ends would be sent again");
        }
    }

    /**
     * When the status check after {@code checksMade} checks is due, counted from {@code now}, the time of the last
     * one; empty when no more are to be made.
     */
    public Optional<Instant> nextStatusCheck(int checksMade, Instant now) {
        if (checksMade + 1 >= statusChecks.size()) {
            return Optional.empty();
        }
        return Optional.of(now.plus(statusChecks.get(checksMade + 1).minus(statusChecks.get(checksMade))));
    }

    /** How long to wait before attempt {@code attempt + 1}. */
    public Duration backoff(int attempt) {
        return Backoff.exponential(initialBackoff, maxBackoff, attempt);
    }

    /**
     * How long to wait before attempt {@code attempt + 1}: the backoff, and at least {@link #retryAfterLostAnswer} when
     * the last attempt's answer was lost, for the provider's status callback to say whether it took the send.
     */
    public Duration retryDelay(int attempt, boolean answerLost) {
        Duration wait = backoff(attempt);
        return answerLost && retryAfterLostAnswer.compareTo(wait) > 0 ? retryAfterLostAnswer : wait;
    }
}
