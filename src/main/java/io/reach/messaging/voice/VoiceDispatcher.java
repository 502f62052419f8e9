package io.reach.messaging.voice;

import io.reach.messaging.Channel;
import io.reach.messaging.Messages;
import io.reach.messaging.MessagingSettings;
import io.reach.messaging.SenderRates;
import io.reach.messaging.twilio.TwilioGateway;
import io.reach.messaging.twilio.TwilioOutcomes;
import io.reach.sender.ProviderAccount;
import io.reach.sender.Senders;
import io.reach.shared.BackgroundWorker;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Places queued calls through Twilio's Calls resource, each sender within its throughput, and records what Twilio answered. */
@Component
class VoiceDispatcher extends BackgroundWorker {

    private final Messages messages;
    private final Senders senders;
    private final TwilioGateway twilio;
    private final TwilioOutcomes outcomes;
    private final MessagingSettings settings;
    private final JsonMapper json;
    // Calls being placed at once: Twilio answers 429 to too many, which is retried with backoff.
    private final InFlight calls;
    private final SenderRates rates;

    VoiceDispatcher(Messages messages, Senders senders, TwilioGateway twilio, MessagingSettings settings,
                    JsonMapper json, TwilioOutcomes outcomes, SenderRates rates) {
        super("voice-dispatcher", settings.pollInterval(), true);
        this.rates = rates;
        this.outcomes = outcomes;
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
                wanted -> messages.claimDue(Channel.VOICE, wanted, settings.lease(), settings.maxAttempts()),
                Messages.Outbound::id, this::call);
    }

    private void call(Messages.Outbound message) {
        ProviderAccount account = messages.beforeSending(message, () -> senders.providerAccount(message.senderId()));
        if (account == null) {
            return;
        }
        if (!rates.sendsNow(message, account.sender())) {
            return;
        }
        JsonNode body = json.readTree(message.requestBody());
        outcomes.record(message, account.sender(),
                twilio.placeCall(account, message.id(), body.path("to").asString(), body.path("twiml").asString()));
    }
}
