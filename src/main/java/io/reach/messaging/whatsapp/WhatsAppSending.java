package io.reach.messaging.whatsapp;

import io.reach.contact.Contact;
import io.reach.messaging.Channel;
import io.reach.messaging.Conversation;
import io.reach.messaging.InboundMessages;
import io.reach.messaging.KeywordReplies;
import io.reach.messaging.Messages;
import io.reach.messaging.NewMessage;
import io.reach.messaging.Recipients;
import io.reach.messaging.SendResult;
import io.reach.sender.Senders;
import io.reach.sender.WhatsAppAccount;
import io.reach.shared.ApiException;
import io.reach.shared.FieldProblem;
import io.reach.template.RenderedTemplate;
import io.reach.template.Template;
import io.reach.template.TemplateParameters;
import io.reach.template.Templates;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sends WhatsApp templates: checks everything that can be checked before a network call (sender, contact,
 * template, parameters, consent, opt-out), records the message, and leaves the send to the dispatcher.
 */
@Service
public class WhatsAppSending implements KeywordReplies {

    private static final Logger log = LoggerFactory.getLogger(WhatsAppSending.class);

    private final Senders senders;
    private final Templates templates;
    /** The senders and other accounts' templates they were found sending, each logged once. */
    private final Set<String> otherAccountsTemplatesLogged = ConcurrentHashMap.newKeySet();
    private final Messages messages;
    private final WhatsAppDispatcher dispatcher;
    private final CloudApiRequests requests;
    private final Recipients recipients;
    private final InboundMessages inbound;

    WhatsAppSending(Senders senders, Recipients recipients, Templates templates, Messages messages,
                    WhatsAppDispatcher dispatcher, JsonMapper json, InboundMessages inbound) {
        this.senders = senders;
        this.recipients = recipients;
        this.inbound = inbound;
        this.templates = templates;
        this.messages = messages;
        this.dispatcher = dispatcher;
        this.requests = new CloudApiRequests(json);
    }

    public SendResult send(SendTemplateRequest request) {
        return send(request, null, null, false);
    }

    /**
     * Like {@link #send(SendTemplateRequest)}; a {@code refusal} (e.g. a placeholder without a value) records the
     * message as blocked with that reason instead of sending it, and a {@code known} contact (the request's own,
     * already loaded by the caller) spares looking it up again; {@code asksForReply} when a flow waits for a reply to
     * it (see {@link NewMessage}).
     */
    public SendResult send(SendTemplateRequest request, String refusal, Contact known, boolean asksForReply) {
        List<FieldProblem> problems = new ArrayList<>();
        if (blank(request.sender())) {
            problems.add(new FieldProblem("sender", "is required (a sender's name or id)"));
        }
        if (blank(request.template())) {
            problems.add(new FieldProblem("template", "is required"));
        }
        if (blank(request.language())) {
            problems.add(new FieldProblem("language", "is required (e.g. en_US)"));
        }
        problems.addAll(NewMessage.problemsOf(request.campaignId(), request.idempotencyKey()));
        if (!problems.isEmpty()) {
            throw ApiException.badRequest("invalid_request", problems.getFirst().field() + ": " + problems.getFirst().message(), problems);
        }
        WhatsAppAccount account = senders.resolve(request.sender())
                .orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND, "sender_not_found",
                        "sender: no sender is named or has the id '" + request.sender() + "'",
                        List.of(new FieldProblem("sender", "unknown"))));
        Contact contact = known != null ? known : recipients.resolve(request.to(), request.contactId());
        Template template = templates.find(account.sender().wabaId(), request.template(), request.language())
                .orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND, "template_not_found",
                        "template: " + request.template() + " is not registered in language " + request.language(),
                        List.of(new FieldProblem("template", "not registered in " + request.language()))));
        String ownAccount = account.sender().wabaId();
        if (template.wabaId() != null && !template.wabaId().equals(ownAccount)
                && otherAccountsTemplatesLogged.add(account.sender().id() + " " + template.id())) {
            log.warn("Sender {} sends template {} ({}) of WhatsApp Business Account {}, as its own account ({}) has none of"
                            + " that name and language in Reach: Meta refuses it unless that account has it too (POST"
                            + " /api/v1/templates/sync with this sender takes its account's templates)",
                    account.sender().name(), template.name(), template.language(), template.wabaId(), ownAccount);
        }
        RenderedTemplate rendered = refusal != null ? null : templates.render(template, new TemplateParameters(
                request.headerParameters(), request.bodyParameters(), request.buttonParameters()));
        String blockedReason = refusal != null ? refusal : blockedReason(contact, template);
        Messages.Created created = messages.create(new NewMessage(Channel.WHATSAPP, account.sender().id(), contact.id(),
                contact.phone(), template.name(), template.language(), request.campaignId(), request.idempotencyKey(),
                rendered == null ? null : rendered.text(), blockedReason, template.category(), asksForReply),
                id -> requests.template(id, contact.phone(), rendered));
        if (created.awaitsDispatch()) {
            dispatcher.wakeAfterCommit();
        }
        return SendResult.of(created);
    }

    /**
     * Sends a free-form text, which WhatsApp allows only inside the 24-hour customer-service window: when the
     * contact has not written to this sender in the last 24 hours, the message is recorded as blocked.
     */
    public SendResult sendText(String sender, Contact contact, String text, String campaignId, String idempotencyKey,
                               String refusal, boolean asksForReply) {
        if (refusal == null && (text == null || text.isBlank())) {
            throw ApiException.invalidField("text", "is required");
        }
        WhatsAppAccount account = senders.resolve(sender).orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND,
                "sender_not_found", "sender: no sender is named or has the id '" + sender + "'",
                List.of(new FieldProblem("sender", "unknown"))));
        String blockedReason = refusal;
        if (blockedReason == null && contact.optedOut()) {
            blockedReason = Recipients.OPTED_OUT;
        }
        if (blockedReason == null && !inbound.wroteWithin(contact.id(), account.sender().id(), Conversation.WINDOW)) {
            blockedReason = "outside the 24-hour window: free-form text only answers a message the contact sent in the"
                    + " last 24 hours; send a template instead";
        }
        Messages.Created created = messages.create(new NewMessage(Channel.WHATSAPP, account.sender().id(), contact.id(),
                contact.phone(), null, null, campaignId, idempotencyKey, text, blockedReason, null, asksForReply),
                id -> requests.text(id, contact.phone(), text));
        if (created.awaitsDispatch()) {
            dispatcher.wakeAfterCommit();
        }
        return SendResult.of(created);
    }

    @Override
    public Channel channel() {
        return Channel.WHATSAPP;
    }

    /**
     * Answers a contact's own STOP or START in its conversation with this sender: the contact has just written, so
     * the 24-hour window is open, and its answer goes out whatever its opt-out and consent (a STOP is confirmed to a
     * contact who has just opted out). {@code idempotencyKey} keeps one answer per keyword message.
     */
    @Override
    public SendResult confirmKeyword(UUID senderId, Contact contact, String text, String idempotencyKey) {
        Messages.Created created = messages.create(new NewMessage(Channel.WHATSAPP, senderId, contact.id(), contact.phone(),
                null, null, null, idempotencyKey, text, null, null, false, true), id -> requests.text(id, contact.phone(), text));
        if (created.awaitsDispatch()) {
            dispatcher.wakeAfterCommit();
        }
        return SendResult.of(created);
    }

    static String blockedReason(Contact contact, Template template) {
        String refused = Recipients.blockedReason(contact, template.category());
        if (refused != null) {
            return refused;
        }
        if (!template.isApproved()) {
            return "template not approved: " + template.name() + " (" + template.language() + ") is " + template.status();
        }
        return null;
    }

    private static boolean blank(String text) {
        return text == null || text.isBlank();
    }
}
