package io.reach.messaging.voice;

import io.reach.contact.Contact;
import io.reach.messaging.Channel;
import io.reach.messaging.Messages;
import io.reach.messaging.NewMessage;
import io.reach.messaging.Recipients;
import io.reach.messaging.SendResult;
import io.reach.messaging.twilio.TwilioGateway;
import io.reach.sender.ProviderAccount;
import io.reach.sender.Sender;
import io.reach.sender.Senders;
import io.reach.shared.ApiException;
import io.reach.shared.FieldProblem;
import io.reach.shared.MessageCategory;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/** Places voice calls that speak a text: checks sender, contact, consent, language and voice, then records the call. */
@Service
public class VoiceSending {

    static final int MAX_TEXT = 4000;

    private final Senders senders;
    private final Recipients recipients;
    private final Messages messages;
    private final VoiceDispatcher dispatcher;
    private final JsonMapper json;

    VoiceSending(Senders senders, Recipients recipients, Messages messages, VoiceDispatcher dispatcher, JsonMapper json) {
        this.senders = senders;
        this.recipients = recipients;
        this.messages = messages;
        this.dispatcher = dispatcher;
        this.json = json;
    }

    public SendResult call(PlaceCallRequest request) {
        return call(request, null, null);
    }

    /**
     * Like {@link #call(PlaceCallRequest)}; a {@code refusal} records the call as blocked with that reason, and a
     * {@code known} contact (the request's own, already loaded by the caller) spares looking it up again.
     */
    public SendResult call(PlaceCallRequest request, String refusal, Contact known) {
        if (refusal == null && (request.text() == null || request.text().isBlank())) {
            throw ApiException.invalidField("text", "is required: the text the call speaks");
        }
        if (refusal == null && request.text() != null && request.text().length() > MAX_TEXT) {
            throw ApiException.invalidField("text", "is longer than " + MAX_TEXT + " characters");
        }
        NewMessage.checkCampaignAndKey(request.campaignId(), request.idempotencyKey());
        if (request.sender() == null || request.sender().isBlank()) {
            throw ApiException.invalidField("sender", "is required (a voice sender's name or id)");
        }
        MessageCategory category = Recipients.category(request.category());
        ProviderAccount account = senders.resolveProvider(request.sender(), Sender.VOICE)
                .orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND, "sender_not_found",
                        "sender: no voice sender is named or has the id '" + request.sender() + "'",
                        List.of(new FieldProblem("sender", "unknown voice sender"))));
        String language = request.language() != null ? request.language() : account.sender().setting("language", "en-US");
        String voice = request.voice() != null ? request.voice() : account.sender().setting("voice", "woman");
        if (TwilioGateway.language(language).isEmpty()) {
            throw ApiException.invalidField("language", "'" + language + "' is not a language Twilio's <Say> speaks (e.g. en-US)");
        }
        if (TwilioGateway.voice(voice).isEmpty()) {
            throw ApiException.invalidField("voice", "'" + voice + "' is not a Twilio <Say> voice (e.g. woman, man, Polly.Joanna)");
        }
        Contact contact = known != null ? known : recipients.resolve(request.to(), request.contactId());
        String twiml = refusal != null ? "" : TwilioGateway.say(request.text(), language, voice);
        Messages.Created created = messages.create(new NewMessage(Channel.VOICE, account.sender().id(), contact.id(),
                contact.phone(), null, null, request.campaignId(), request.idempotencyKey(), request.text(),
                refusal != null ? refusal : Recipients.blockedReason(contact, category), category, false),
                id -> json.writeValueAsString(Map.of("to", contact.phone(), "twiml", twiml)));
        if (created.awaitsDispatch()) {
            dispatcher.wakeAfterCommit();
        }
        return SendResult.of(created);
    }
}
