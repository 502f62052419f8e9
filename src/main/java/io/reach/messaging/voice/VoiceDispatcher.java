package io.reach.messaging.voice;

import io.reach.messaging.Channel;
import io.reach.messaging.Messages;
import io.reach.messaging.Messages.PassingFailure;
import io.reach.messaging.MessagingSettings;
import io.reach.messaging.twilio.TwilioGateway;
import io.reach.messaging.twilio.TwilioStatusChecks;
import io.reach.sender.ProviderAccount;
import io.reach.shared.BackgroundWorker;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Places queued calls through Twilio's Calls resource, each sender within its throughput, and records what Twilio answered. */
@Component
class VoiceDispatcher extends BackgroundWorker {

    private final Messages messages;
    private final io.reach.sender.Senders senders;
    private final TwilioGateway twilio;
    private final TwilioStatusChecks statusChecks;
    private final MessagingSettings settings;
    private final JsonMapper json;
    // Calls being placed at once: Twilio answers 429 to too many, which is retried with backoff.
    private final InFlight calls;
    private final io.reach.messaging.SenderRates rates;
    private final io.reach.messaging.SendersAtWork sendersAtWork;
    private final io.reach.messaging.SenderRefusalAlerts refusalAlerts;

    VoiceDispatcher(Messages messages, io.reach.sender.Senders senders, TwilioGateway twilio, MessagingSettings settings,
                    JsonMapper json, TwilioStatusChecks statusChecks, io.reach.messaging.SenderRates rates,
                    io.reach.messaging.SendersAtWork sendersAtWork, io.reach.messaging.SenderRefusalAlerts refusalAlerts) {
        super("voice-dispatcher", settings.pollInterval(), true);
        this.refusalAlerts = refusalAlerts;
        this.rates = rates;
        this.sendersAtWork = sendersAtWork;
        this.statusChecks = statusChecks;
        this.messages = messages;
        this.senders = senders;
        this.twilio = twilio;
        this.settings = settings;
        this.json = json;
        this.calls = inFlight(settings.batchSize());
    }

    @Override
    protected int doWork() {
        return calls.claimAsFree(settings.batchSize(),
                wanted -> messages.claimDue(Channel.VOICE, wanted, settings.lease(), settings.maxAttempts()), this::call);
    }

    private void call(Messages.Outbound message) {
        ProviderAccount account = senders.providerAccount(message.senderId());
        if (!rates.sendsNow(message, account.sender())) {
            return;
        }
        JsonNode body = json.readTree(message.requestBody());
        switch (twilio.placeCall(account, message.id(), body.path("to").asString(), body.path("twiml").asString())) {
            case TwilioGateway.Outcome.Accepted accepted -> {
                statusChecks.accepted(message.id(), accepted.sid());
                sendersAtWork.handedOver(message.senderId());
            }
            case TwilioGateway.Outcome.Rejected rejected -> {
                messages.recordRejected(message.id(), rejected.error());
                if (rejected.concernsTheAccount()) {
                    refusalAlerts.refused(account.sender(), "Twilio", rejected.error());
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
