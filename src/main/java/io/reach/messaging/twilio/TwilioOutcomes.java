package io.reach.messaging.twilio;

import io.reach.contact.Contacts;
import io.reach.messaging.Messages.PassingFailure;
import io.reach.messaging.Messages;
import io.reach.messaging.MessagingSettings;
import io.reach.messaging.SenderRefusalAlerts;
import io.reach.messaging.SendersAtWork;
import io.reach.sender.Sender;
import io.reach.shared.ApiException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Records what Twilio answered a message's send or a call, the same for SMS and voice: submitted (with its status
 * checks to come), failed (told to the operator when the refusal is the account's own; a recipient who replied STOP to
 * the Twilio number, 21610, is opted out), or tried again later.
 */
@Component
public class TwilioOutcomes {

    private static final Logger log = LoggerFactory.getLogger(TwilioOutcomes.class);

    private final Messages messages;
    private final TwilioStatusChecks statusChecks;
    private final SendersAtWork sendersAtWork;
    private final SenderRefusalAlerts refusalAlerts;
    private final MessagingSettings settings;
    private final Contacts contacts;

    TwilioOutcomes(Messages messages, TwilioStatusChecks statusChecks, SendersAtWork sendersAtWork,
                   SenderRefusalAlerts refusalAlerts, MessagingSettings settings, Contacts contacts) {
        this.contacts = contacts;
        this.messages = messages;
        this.statusChecks = statusChecks;
        this.sendersAtWork = sendersAtWork;
        this.refusalAlerts = refusalAlerts;
        this.settings = settings;
    }

    public void record(Messages.Outbound message, Sender sender, TwilioGateway.Outcome outcome) {
        switch (outcome) {
            case TwilioGateway.Outcome.Accepted accepted -> {
                statusChecks.accepted(message.id(), accepted.sid());
                sendersAtWork.handedOver(message.senderId());
            }
            case TwilioGateway.Outcome.Rejected rejected -> {
                if (rejected.error().code() == TwilioErrors.UNSUBSCRIBED) {
                    // Before the failure is recorded: the journey's next step (a call, a WhatsApp message) finds the
                    // contact opted out, as its STOP would have made it had it reached Reach.
                    messages.contactOf(message.id()).ifPresent(contactId -> optOut(contactId, sender));
                }
                messages.recordRejected(message.id(), rejected.error());
                if (rejected.concernsTheAccount()) {
                    refusalAlerts.refused(sender, "Twilio", rejected.error());
                }
            }
            case TwilioGateway.Outcome.SlowDown slowDown -> messages.retryOrFail(message, slowDown.error(),
                    PassingFailure.SLOW_DOWN, settings.backoff(message.attempt()), settings.maxAttempts());
            case TwilioGateway.Outcome.Retry retry -> messages.retryOrFail(message, retry.error(),
                    retry.answerLost() ? PassingFailure.ANSWER_LOST : PassingFailure.REFUSED,
                    settings.retryDelay(message.attempt(), retry.answerLost()), settings.maxAttempts());
        }
    }

    /** Opts the contact out as its STOP would have, had it reached Reach; nothing when it is already, or erased. */
    private void optOut(UUID contactId, Sender sender) {
        try {
            if (contacts.optOut(contactId, true).isEmpty()) {
                return;
            }
        } catch (ApiException gone) {
            return; // erased meanwhile: nothing to send it
        }
        log.info("Contact {} replied STOP to Twilio number {} (sender {}): Twilio refuses its messages ({}); it is opted"
                + " out, as its STOP would have made it", contactId, sender.fromAddress(), sender.name(),
                TwilioErrors.UNSUBSCRIBED);
    }
}
