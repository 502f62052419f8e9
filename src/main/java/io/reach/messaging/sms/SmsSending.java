package io.reach.messaging.sms;

import io.reach.contact.Contact;
import io.reach.messaging.Channel;
import io.reach.messaging.KeywordReplies;
import io.reach.messaging.Messages;
import io.reach.messaging.NewMessage;
import io.reach.messaging.Recipients;
import io.reach.messaging.SendResult;
import io.reach.sender.ProviderAccount;
import io.reach.sender.Sender;
import io.reach.sender.Senders;
import io.reach.shared.ApiException;
import io.reach.shared.FieldProblem;
import io.reach.shared.MessageCategory;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/** Sends SMS: checks the sender, the contact, consent and the text, records the message, and leaves the rest to the dispatcher. */
@Service
public class SmsSending implements KeywordReplies {

    static final int MAX_PARTS = 10;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Senders senders;
    private final Recipients recipients;
    private final Messages messages;
    private final SmsDispatcher dispatcher;
    private final JsonMapper json;

    SmsSending(Senders senders, Recipients recipients, Messages messages, SmsDispatcher dispatcher, JsonMapper json) {
        this.senders = senders;
        this.recipients = recipients;
        this.messages = messages;
        this.dispatcher = dispatcher;
        this.json = json;
    }

    public SendResult send(SendSmsRequest request) {
        return send(request, null, null, false);
    }

    /**
     * Like {@link #send(SendSmsRequest)}; a {@code refusal} records the message as blocked with that reason, and a
     * {@code known} contact (the request's own, already loaded by the caller) spares looking it up again;
     * {@code asksForReply} when a flow waits for a reply to it (see {@link NewMessage}).
     */
    public SendResult send(SendSmsRequest request, String refusal, Contact known, boolean asksForReply) {
        if (refusal == null && (request.text() == null || request.text().isBlank())) {
            throw ApiException.invalidField("text", "is required");
        }
        NewMessage.checkCampaignAndKey(request.campaignId(), request.idempotencyKey());
        int parts = refusal != null ? 1 : SmsEncoding.encode(request.text(), 0).parts().size();
        if (parts > MAX_PARTS) {
            throw ApiException.invalidField("text", "needs " + parts + " SMS parts; at most " + MAX_PARTS + " are sent");
        }
        if (request.sender() == null || request.sender().isBlank()) {
            throw ApiException.invalidField("sender", "is required (an SMS sender's name or id)");
        }
        MessageCategory category = Recipients.category(request.category());
        ProviderAccount account = senders.resolveProvider(request.sender(), Sender.SMS)
                .orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND, "sender_not_found",
                        "sender: no SMS sender is named or has the id '" + request.sender() + "'",
                        List.of(new FieldProblem("sender", "unknown SMS sender"))));
        Contact recipient = known != null ? known : recipients.resolve(request.to(), request.contactId());
        int reference = RANDOM.nextInt(256);
        Messages.Created created = messages.create(new NewMessage(Channel.SMS, account.sender().id(), recipient.id(),
                recipient.phone(), null, null, request.campaignId(), request.idempotencyKey(), request.text(),
                refusal != null ? refusal : Recipients.blockedReason(recipient, category), category, asksForReply),
                id -> json.writeValueAsString(Map.of("to", recipient.phone(), "text", request.text() == null ? "" : request.text(),
                        "reference", reference)));
        if (created.awaitsDispatch()) {
            dispatcher.wakeAfterCommit();
        }
        return SendResult.of(created);
    }

    @Override
    public Channel channel() {
        return Channel.SMS;
    }

    /**
     * Answers a contact's own STOP or START by SMS from the sender it wrote to, whatever its opt-out and consent (a
     * STOP is confirmed to a contact who has just opted out). {@code idempotencyKey} keeps one answer per keyword
     * message.
     */
    @Override
    public SendResult confirmKeyword(UUID senderId, Contact contact, String text, String idempotencyKey) {
        int reference = RANDOM.nextInt(256);
        int parts = SmsEncoding.encode(text, 0).parts().size();
        String tooLong = parts > MAX_PARTS ? "text: needs " + parts + " SMS parts; at most " + MAX_PARTS + " are sent" : null;
        Messages.Created created = messages.create(new NewMessage(Channel.SMS, senderId, contact.id(), contact.phone(),
                null, null, null, idempotencyKey, text, tooLong, MessageCategory.UTILITY, false, true),
                id -> json.writeValueAsString(Map.of("to", contact.phone(), "text", text, "reference", reference)));
        if (created.awaitsDispatch()) {
            dispatcher.wakeAfterCommit();
        }
        return SendResult.of(created);
    }
}
