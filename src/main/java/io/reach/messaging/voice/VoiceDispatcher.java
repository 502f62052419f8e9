package io.reach.messaging.voice;

import io.reach.messaging.Channel;
import io.reach.messaging.MessageError;
import io.reach.messaging.Messages;
import io.reach.messaging.MessagingSettings;
import io.reach.messaging.twilio.TwilioGateway;
import io.reach.sender.ProviderAccount;
import io.reach.shared.BackgroundWorker;
import java.time.Clock;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Places queued calls through Twilio's Calls resource and records what Twilio answered. */
@Component
class VoiceDispatcher extends BackgroundWorker {

    private final Messages messages;
    private final io.reach.sender.Senders senders;
    private final TwilioGateway twilio;
    private final MessagingSettings settings;
    private final JsonMapper json;
    private final Clock clock;
    private final java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
    // Calls being placed at once: Twilio answers 429 to too many, which is retried with backoff.
    private final java.util.concurrent.Semaphore inFlight;

    VoiceDispatcher(Messages messages, io.reach.sender.Senders senders, TwilioGateway twilio, MessagingSettings settings,
                    JsonMapper json, Clock clock) {
        super("voice-dispatcher", settings.pollInterval(), true);
        this.messages = messages;
        this.senders = senders;
        this.twilio = twilio;
        this.settings = settings;
        this.json = json;
        this.clock = clock;
        this.inFlight = new java.util.concurrent.Semaphore(settings.batchSize());
    }

    @Override
    protected int doWork() {
        return claimAsSlotsFree(inFlight, Math.max(1, settings.batchSize() / 4), settings.batchSize(), threads,
                wanted -> messages.claimDue(Channel.VOICE, wanted, settings.lease()), this::call);
    }

    private void call(Messages.Outbound message) {
        ProviderAccount account = senders.providerAccount(message.senderId());
        JsonNode body = json.readTree(message.requestBody());
        switch (twilio.placeCall(account, message.id(), body.path("to").asString(), body.path("twiml").asString())) {
            case TwilioGateway.Outcome.Accepted accepted -> messages.recordSubmitted(message.id(), accepted.sid());
            case TwilioGateway.Outcome.Rejected rejected -> messages.recordRejected(message.id(), rejected.error());
            case TwilioGateway.Outcome.Retry retry -> messages.retryOrFail(message, retry.error(),
                    settings.backoff(message.attempt()), settings.maxAttempts());
        }
    }

    /** Stops claiming, then waits (up to half a minute) for the calls being placed to get their answers recorded. */
    @Override
    public void stop() {
        super.stop();
        awaitInFlight(inFlight, settings.batchSize(), java.time.Duration.ofSeconds(30));
    }
}
