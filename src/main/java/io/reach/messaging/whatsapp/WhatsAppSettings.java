package io.reach.messaging.whatsapp;

import io.reach.shared.Backoff;
import io.reach.shared.SettingChecks;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * WhatsApp channel settings ({@code reach.whatsapp.*}).
 *
 * @param connectTimeout    TCP connect timeout towards the Graph API
 * @param requestTimeout    how long a send may take, its answer read whole, before it counts as a timeout (and is retried)
 * @param dispatcherEnabled whether this node sends queued messages (all nodes may; leases keep them apart)
 * @param batchSize         most messages claimed at once (the dispatcher claims as sends get their answers)
 * @param concurrency       sends in flight at once per node
 * @param maxAttempts       attempts before a message that keeps failing transiently is failed for good
 * @param initialBackoff    wait before the first retry; it doubles per attempt
 * @param maxBackoff        longest wait between two attempts
 * @param lease             how long a claimed message or webhook stays reserved for the node that claimed it
 * @param pollInterval      how often idle workers look for due work (new work wakes them at once)
 * @param overMessagingLimit what a message that would take its sender past its {@code messagingLimit} does:
 *                           {@code block} (refused, so that a journey falls back at once) or {@code wait} (stays queued
 *                           until the sender has room, as a broadcast that can wait may prefer)
 * @param retryAfterLostAnswer the least wait before sending again a message whose answer never came (a timeout, a
 *                           connection lost mid-exchange): Meta may have taken it, and its first status webhook, which
 *                           names Reach's message id, marks it submitted meanwhile, so that it is not sent twice
 */
@ConfigurationProperties("reach.whatsapp")
public record WhatsAppSettings(
        @DefaultValue("5s") Duration connectTimeout,
        @DefaultValue("15s") Duration requestTimeout,
        @DefaultValue("true") boolean dispatcherEnabled,
        @DefaultValue("100") int batchSize,
        @DefaultValue("32") int concurrency,
        @DefaultValue("8") int maxAttempts,
        @DefaultValue("1s") Duration initialBackoff,
        @DefaultValue("5m") Duration maxBackoff,
        @DefaultValue("60s") Duration lease,
        @DefaultValue("500ms") Duration pollInterval,
        @DefaultValue("block") OverMessagingLimit overMessagingLimit,
        @DefaultValue("60s") Duration retryAfterLostAnswer) {

    /** What a message over its sender's messaging limit does. */
    public enum OverMessagingLimit { BLOCK, WAIT }

    public WhatsAppSettings {
        SettingChecks.dispatcher("reach.whatsapp", pollInterval, lease, batchSize, maxAttempts, initialBackoff,
                maxBackoff, requestTimeout, retryAfterLostAnswer);
        SettingChecks.positive("reach.whatsapp.connect-timeout", connectTimeout);
        SettingChecks.atLeast("reach.whatsapp.concurrency", concurrency, 1);
        if (requestTimeout.compareTo(lease) >= 0) {
            throw new IllegalArgumentException("reach.whatsapp.request-timeout (" + requestTimeout + ") must be under "
                    + "reach.whatsapp.lease (" + lease + "): a send still waiting for Meta's answer when its lease ends "
                    + "would be sent again");
        }
    }

    /** How long to wait before attempt {@code attempt + 1}, given Meta's Retry-After when it sent one. */
    Duration backoff(int attempt, Duration retryAfter) {
        Duration wait = Backoff.exponential(initialBackoff, maxBackoff, attempt);
        return retryAfter != null && retryAfter.compareTo(wait) > 0 ? retryAfter : wait;
    }

    /**
     * How long to wait before attempt {@code attempt + 1} after {@code retry}: the backoff, and at least
     * {@link #retryAfterLostAnswer} when the answer was lost, for Meta's status webhook to say whether it took the send.
     */
    Duration retryDelay(int attempt, SendOutcome.Retry retry) {
        Duration wait = backoff(attempt, retry.retryAfter());
        return retry.answerLost() && retryAfterLostAnswer.compareTo(wait) > 0 ? retryAfterLostAnswer : wait;
    }
}
