package io.reach.messaging.whatsapp;

import io.reach.contact.Contacts;
import io.reach.messaging.Channel;
import io.reach.messaging.Messages.PassingFailure;
import io.reach.messaging.Messages;
import io.reach.messaging.SenderRates;
import io.reach.messaging.SenderRefusalAlerts;
import io.reach.messaging.SendersAtWork;
import io.reach.sender.Senders;
import io.reach.sender.WhatsAppAccount;
import io.reach.shared.BackgroundWorker;
import java.time.Instant;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Sends queued WhatsApp messages: claims due ones under a lease, posts each to the Cloud API (several at once, each
 * sender within its throughput and its messaging limit), and records what Meta said: submitted, failed, or retry
 * later with exponential backoff. A message over its sender's messaging limit is blocked, not sent, or put back
 * until the sender has room ({@code reach.whatsapp.over-messaging-limit}).
 */
@Component
class WhatsAppDispatcher extends BackgroundWorker {

    private final Messages messages;
    private final Senders senders;
    private final Contacts contacts;
    private final CloudApiClient client;
    private final WhatsAppSettings settings;
    private final InFlight sends;
    private final SenderRates rates;
    private final MessagingLimits limits;
    private final SendersAtWork sendersAtWork;
    private final SenderRefusalAlerts refusalAlerts;
    private final MarketingPreferences marketingPreferences;

    WhatsAppDispatcher(Messages messages, Senders senders, Contacts contacts, CloudApiClient client,
                       WhatsAppSettings settings, SenderRates rates, MessagingLimits limits,
                       SendersAtWork sendersAtWork, SenderRefusalAlerts refusalAlerts,
                       MarketingPreferences marketingPreferences) {
        super("whatsapp-dispatcher", settings.pollInterval(), settings.dispatcherEnabled());
        this.messages = messages;
        this.senders = senders;
        this.contacts = contacts;
        this.client = client;
        this.settings = settings;
        this.rates = rates;
        this.sendersAtWork = sendersAtWork;
        this.refusalAlerts = refusalAlerts;
        this.marketingPreferences = marketingPreferences;
        this.limits = limits;
        this.sends = inFlight(settings.concurrency());
    }

    /**
     * Sends due messages, as many at once as {@code concurrency} allows, claiming more as earlier sends get their
     * answers; returns how many were claimed.
     */
    @Override
    protected int doWork() {
        return sends.claimAsFree(settings.batchSize(),
                wanted -> messages.claimDue(Channel.WHATSAPP, wanted, settings.lease(), settings.maxAttempts()),
                Messages.Outbound::id, this::sendOne);
    }

    private void sendOne(Messages.Outbound message) {
        WhatsAppAccount account = messages.beforeSending(message, () -> senders.account(message.senderId()));
        Optional<MessagingLimits.Refusal> refusal = account == null ? null
                : messages.beforeSending(message, () -> limits.refusal(message, account.sender()));
        if (refusal == null) {
            return;
        }
        if (refusal.isPresent()) {
            Instant roomAt = refusal.get().roomAt();
            if (settings.overMessagingLimit() == WhatsAppSettings.OverMessagingLimit.WAIT && roomAt != null) {
                messages.holdBack(message.id(), roomAt, refusal.get().reason() + "; waits for room until " + roomAt);
            } else {
                messages.refuseClaimed(message.id(), refusal.get().reason());
            }
            return;
        }
        if (!rates.sendsNow(message, account.sender())) {
            return;
        }
        SendOutcome outcome = client.send(account, message.requestBody(), message.id().toString());
        switch (outcome) {
            case SendOutcome.Accepted accepted -> {
                messages.recordSubmitted(message.id(), accepted.providerMessageId());
                sendersAtWork.handedOver(message.senderId());
            }
            case SendOutcome.Rejected rejected -> {
                if (rejected.error().code() == MarketingPreferences.STOPPED) {
                    // Before the failure is recorded: the journey's fallback, which it wakes, finds the consent gone.
                    messages.contactOf(message.id()).ifPresent(contact -> marketingPreferences.follow(contact, false,
                            "Meta's error " + MarketingPreferences.STOPPED));
                }
                messages.recordRejected(message.id(), rejected.error());
                if (MetaErrors.concernsTheSender(rejected.error().code())) {
                    refusalAlerts.refused(account.sender(), "Meta", rejected.error());
                }
                if (rejected.error().code() == MetaErrors.NOT_ON_WHATSAPP) {
                    messages.contactOf(message.id()).ifPresent(contacts::markNotOnWhatsApp);
                }
            }
            case SendOutcome.SlowDown slowDown -> messages.retryOrFail(message, slowDown.error(), PassingFailure.SLOW_DOWN,
                    settings.backoff(message.attempt(), slowDown.retryAfter()), settings.maxAttempts());
            case SendOutcome.Retry retry -> messages.retryOrFail(message, retry.error(),
                    retry.answerLost() ? PassingFailure.ANSWER_LOST : PassingFailure.REFUSED,
                    settings.retryDelay(message.attempt(), retry), settings.maxAttempts());
        }
    }
}
