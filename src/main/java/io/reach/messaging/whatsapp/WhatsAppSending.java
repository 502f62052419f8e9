package io.reach.messaging.whatsapp;

import io.reach.contact.Contact;
import io.reach.contact.Contacts;
import io.reach.messaging.Channel;
import io.reach.messaging.Message;
import io.reach.messaging.Messages;
import io.reach.messaging.NewMessage;
import io.reach.sender.Senders;
import io.reach.sender.WhatsAppAccount;
import io.reach.shared.ApiException;
import io.reach.shared.FieldProblem;
import io.reach.shared.Ids;
import io.reach.template.RenderedTemplate;
import io.reach.template.Template;
import io.reach.template.TemplateParameters;
import io.reach.template.Templates;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sends WhatsApp templates: checks everything that can be checked before a network call (sender, contact,
 * template, parameters, consent, opt-out), records the message, and leaves the send to the dispatcher.
 */
@Service
public class WhatsAppSending {

    private final Senders senders;
    private final Contacts contacts;
    private final Templates templates;
    private final Messages messages;
    private final WhatsAppDispatcher dispatcher;
    private final CloudApiRequests requests;

    WhatsAppSending(Senders senders, Contacts contacts, Templates templates, Messages messages,
                    WhatsAppDispatcher dispatcher, JsonMapper json) {
        this.senders = senders;
        this.contacts = contacts;
        this.templates = templates;
        this.messages = messages;
        this.dispatcher = dispatcher;
        this.requests = new CloudApiRequests(json);
    }

    public SendResult send(SendTemplateRequest request) {
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
        if (blank(request.to()) == blank(request.contactId())) {
            problems.add(new FieldProblem("to", "give either 'to' (a phone number) or 'contactId'"));
        }
        if (request.campaignId() != null && (request.campaignId().isBlank() || request.campaignId().length() > 100)) {
            problems.add(new FieldProblem("campaignId", "must be 1 to 100 characters"));
        }
        if (request.idempotencyKey() != null && (request.idempotencyKey().isBlank() || request.idempotencyKey().length() > 200)) {
            problems.add(new FieldProblem("idempotencyKey", "must be 1 to 200 characters"));
        }
        if (!problems.isEmpty()) {
            throw ApiException.badRequest("invalid_request", problems.getFirst().field() + ": " + problems.getFirst().message(), problems);
        }
        WhatsAppAccount account = senders.resolve(request.sender())
                .orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND, "sender_not_found",
                        "sender: no sender is named or has the id '" + request.sender() + "'",
                        List.of(new FieldProblem("sender", "unknown"))));
        Contact contact = contact(request);
        Template template = templates.find(request.template(), request.language())
                .orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND, "template_not_found",
                        "template: " + request.template() + " is not registered in language " + request.language(),
                        List.of(new FieldProblem("template", "not registered in " + request.language()))));
        RenderedTemplate rendered = templates.render(template, new TemplateParameters(request.headerParameters(),
                request.bodyParameters(), request.buttonParameters()));
        String blockedReason = blockedReason(contact, template);
        Messages.Created created = messages.create(new NewMessage(Channel.WHATSAPP, account.sender().id(), contact.id(),
                contact.phone(), template.name(), template.language(), request.campaignId(), request.idempotencyKey(),
                rendered.text(), blockedReason), id -> requests.template(id, contact.phone(), rendered));
        Message message = created.message();
        if (!created.replayed() && blockedReason == null) {
            dispatcher.wake();
        }
        return new SendResult(message.id(), message.status(), message.blockedReason(), message.renderedText(), created.replayed());
    }

    private Contact contact(SendTemplateRequest request) {
        if (!blank(request.contactId())) {
            UUID id = Ids.parse("contactId", request.contactId());
            return contacts.find(id).orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND, "contact_not_found",
                    "contactId: no contact has the id " + id, List.of(new FieldProblem("contactId", "unknown"))));
        }
        String phone = contacts.phoneNumbers().require("to", request.to());
        return contacts.findByPhone(phone).orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND, "contact_not_found",
                "to: no contact has the phone " + phone + "; create the contact first, with its consent",
                List.of(new FieldProblem("to", "unknown contact"))));
    }

    static String blockedReason(Contact contact, Template template) {
        if (contact.optedOut()) {
            return "opted out: the contact opted out of all messages";
        }
        if (!contact.consent().allows(template.category())) {
            return "no consent: the contact has not agreed to " + template.category().wireName() + " messages";
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
