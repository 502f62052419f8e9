package io.reach.messaging.twilio;

import io.reach.messaging.Messages;
import io.reach.messaging.Messages.PassingFailure;
import io.reach.messaging.MessagingSettings;
import io.reach.messaging.SenderRefusalAlerts;
import io.reach.messaging.SendersAtWork;
import io.reach.sender.Sender;
import org.springframework.stereotype.Component;

/**
 * Records what Twilio answered a message's send or a call, the same for SMS and voice: submitted (with its status
 * checks to come), failed (told to the operator when the refusal is the account's own), or tried again later.
 */
@Component
public class TwilioOutcomes {

    private final Messages messages;
    private final TwilioStatusChecks statusChecks;
    private final SendersAtWork sendersAtWork;
    private final SenderRefusalAlerts refusalAlerts;
    private final MessagingSettings settings;

    TwilioOutcomes(Messages messages, TwilioStatusChecks statusChecks, SendersAtWork sendersAtWork,
                   SenderRefusalAlerts refusalAlerts, MessagingSettings settings) {
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
}
