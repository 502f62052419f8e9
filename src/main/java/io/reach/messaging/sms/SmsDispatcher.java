package io.reach.messaging.sms;

import io.reach.messaging.Channel;
import io.reach.messaging.MessageError;
import io.reach.messaging.Messages.PassingFailure;
import io.reach.messaging.Messages;
import io.reach.messaging.MessagingSettings;
import io.reach.messaging.SenderRates;
import io.reach.messaging.SendersAtWork;
import io.reach.messaging.twilio.TwilioGateway;
import io.reach.messaging.twilio.TwilioOutcomes;
import io.reach.sender.ProviderAccount;
import io.reach.sender.Sender;
import io.reach.sender.Senders;
import io.reach.shared.BackgroundWorker;
import io.reach.shared.PassingFailures;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jsmpp.InvalidResponseException;
import org.jsmpp.PDUException;
import org.jsmpp.extra.NegativeResponseException;
import org.jsmpp.extra.ResponseTimeoutException;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sends queued SMS. It only claims messages whose sender can take them now (a Twilio sender, or an SMPP sender
 * whose session is bound), so that SMS wait in the database while a link is down and go out after the reconnect.
 * Over SMPP each part is submitted once: a retry resubmits only the parts the SMSC has not acknowledged.
 */
@Component
class SmsDispatcher extends BackgroundWorker {

    // SMPP command_status values of an SMSC asking to submit more slowly: its message queue is full, or it throttles.
    private static final Set<Integer> SLOW_DOWN_SMPP = Set.of(0x14, 0x58);
    // Other command_status values worth another try: system error, temporary app error.
    private static final Set<Integer> TRANSIENT_SMPP = Set.of(0x08, 0x64);

    private final Messages messages;
    private final Senders senders;
    private final SmppLinks links;
    private final SmsParts parts;
    private final TwilioGateway twilio;
    private final SenderRates rates;
    private final SendersAtWork sendersAtWork;
    private final TwilioOutcomes outcomes;
    private final MessagingSettings settings;
    private final JsonMapper json;
    // Sends on the wire at once: a batch's worth, claimed as earlier ones finish.
    private final InFlight sends;

    SmsDispatcher(Messages messages, Senders senders, SmppLinks links, SmsParts parts, TwilioGateway twilio,
                  MessagingSettings settings, JsonMapper json, TwilioOutcomes outcomes, SenderRates rates,
                  SendersAtWork sendersAtWork) {
        super("sms-dispatcher", settings.pollInterval(), true);
        this.rates = rates;
        this.sendersAtWork = sendersAtWork;
        this.outcomes = outcomes;
        this.messages = messages;
        this.senders = senders;
        this.links = links;
        this.parts = parts;
        this.twilio = twilio;
        this.settings = settings;
        this.json = json;
        this.sends = inFlight(settings.batchSize());
    }

    @Override
    protected int doWork() {
        Set<UUID> ready = new HashSet<>(links.boundSenders());
        ready.addAll(senders.idsOf(Sender.SMS, Sender.TWILIO));
        return sends.claimAsFree(settings.batchSize(),
                wanted -> messages.claimDue(Channel.SMS, ready, wanted, settings.lease(), settings.maxAttempts()),
                Messages.Outbound::id, this::send);
    }

    private void send(Messages.Outbound message) {
        ProviderAccount account = messages.beforeSending(message, () -> senders.providerAccount(message.senderId()));
        if (account == null) {
            return;
        }
        JsonNode body = json.readTree(message.requestBody());
        String to = body.path("to").asString();
        String text = body.path("text").asString();
        if (Sender.TWILIO.equals(account.sender().provider())) {
            // SMPP keeps its own rate, per submit_sm (settings.submitsPerSecond), on its link.
            if (!rates.sendsNow(message, account.sender())) {
                return;
            }
            outcomes.record(message, account.sender(), twilio.sendSms(account, message.id(), to, text));
            return;
        }
        sendOverSmpp(message, to, SmsEncoding.encode(text, body.path("reference").asInt()));
    }

    private void sendOverSmpp(Messages.Outbound message, String to, SmsEncoding.Encoded encoded) {
        SmppLink link = links.bound(message.senderId()).orElse(null);
        if (link == null) {
            retryOrGiveUp(message, new MessageError(0, "The SMPP session is down; retrying after the reconnect", null),
                    PassingFailure.REFUSED);
            return;
        }
        // A claim counts the attempt: the first one finds no parts, since only an attempt creates them.
        List<SmsParts.Part> known;
        try {
            known = parts.ensure(message.id(), encoded.parts().size(), message.attempt() == 1);
        } catch (RuntimeException e) {
            if (!PassingFailures.isPassing(e)) {
                throw e;
            }
            // Nothing was submitted: tried again after its backoff, not left to its lease (a minute). The attempt
            // counts, so that the next one reads the parts this one may have created.
            retryOrGiveUp(message, new MessageError(0, "The SMS's parts could not be read or created (the database failed"
                    + " for a moment); nothing was submitted; retrying", e.getMessage()), PassingFailure.REFUSED);
            return;
        }
        String firstId = null;
        for (SmsEncoding.Part part : encoded.parts()) {
            SmsParts.Part row = known.get(part.number() - 1);
            String partId = row.providerPartId();
            if (partId == null) {
                try {
                    partId = link.submit(to, encoded, part, message.id() + ":" + part.number());
                } catch (NegativeResponseException e) {
                    MessageError error = new MessageError(e.getCommandStatus(), "The SMSC refused the SMS (command_status 0x"
                            + Integer.toHexString(e.getCommandStatus()) + ")", null);
                    if (SLOW_DOWN_SMPP.contains(e.getCommandStatus())) {
                        retryOrGiveUp(message, error, PassingFailure.SLOW_DOWN);
                    } else if (TRANSIENT_SMPP.contains(e.getCommandStatus())) {
                        retryOrGiveUp(message, error, PassingFailure.REFUSED);
                    } else {
                        messages.recordRejected(message.id(), error);
                    }
                    return;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (ResponseTimeoutException e) {
                    // The submit went out and its response never came: the SMSC may have taken the part.
                    retryOrGiveUp(message, new MessageError(0, "The SMPP submit failed (" + e.getClass().getSimpleName()
                            + "); retrying", e.getMessage()), PassingFailure.ANSWER_LOST);
                    return;
                } catch (IOException | RuntimeException | PDUException | InvalidResponseException e) {
                    // A passing database failure comes from booking the sender's turn, before the submit went out.
                    String title = e instanceof RuntimeException failure && PassingFailures.isPassing(failure)
                            ? "The sender's turn could not be booked (the database failed for a moment); nothing was"
                            + " submitted; retrying"
                            : "The SMPP submit failed (" + e.getClass().getSimpleName() + "); retrying";
                    retryOrGiveUp(message, new MessageError(0, title, e.getMessage()), PassingFailure.REFUSED);
                    return;
                }
                parts.accepted(message.id(), part.number(), partId);
            }
            if (firstId == null) {
                firstId = partId;
            }
        }
        messages.recordSubmitted(message.id(), firstId);
        sendersAtWork.handedOver(message.senderId());
    }

    private void retryOrGiveUp(Messages.Outbound message, MessageError error, PassingFailure kind) {
        messages.retryOrFail(message, error, kind, settings.backoff(message.attempt()), settings.maxAttempts());
    }
}
