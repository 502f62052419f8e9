package io.reach.messaging;

import io.reach.contact.Contacts;
import io.reach.sender.Sender;
import io.reach.sender.Senders;
import io.reach.shared.ApiException;
import io.reach.shared.Ids;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** REST API of a contact's thread with one sender, and whether a free-form WhatsApp text may answer it now. */
@Tag(name = "Messages")
@RestController
class ConversationController {

    static final int MAX_LIMIT = 100;

    private final Contacts contacts;
    private final Senders senders;
    private final Messages messages;
    private final InboundMessages inbound;
    private final Clock clock;

    ConversationController(Contacts contacts, Senders senders, Messages messages, InboundMessages inbound, Clock clock) {
        this.contacts = contacts;
        this.senders = senders;
        this.messages = messages;
        this.inbound = inbound;
        this.clock = clock;
    }

    @Operation(summary = "A contact's conversation with one sender, newest first, and whether its WhatsApp window is open")
    @GetMapping("/api/v1/contacts/{id}/conversation")
    Conversation conversation(@PathVariable String id,
                              @Parameter(description = "the sender (its name or id) the conversation is with")
                              @RequestParam(required = false) String sender,
                              @Parameter(description = "the newest messages, sent and received together: 1 to 100"
                                      + " (50 by default; older ones through /api/v1/messages and"
                                      + " /api/v1/inbound-messages with contactId)")
                              @RequestParam(defaultValue = "50") int limit) {
        UUID contactId = contacts.get(Ids.parse("id", id)).id();
        if (sender == null || sender.isBlank()) {
            throw ApiException.invalidField("sender", "is required: the name or id of the sender the conversation is with");
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw ApiException.invalidField("limit", "must be between 1 and " + MAX_LIMIT);
        }
        Sender with = senders.get(senders.idOf(sender).orElseThrow(() -> ApiException.notFound("Sender", sender)));
        List<Conversation.Entry> entries = new ArrayList<>();
        messages.latestTo(contactId, with.id(), limit).forEach(m -> entries.add(Conversation.Entry.of(m)));
        inbound.latestFrom(contactId, with.id(), limit).forEach(m -> entries.add(Conversation.Entry.of(m)));
        entries.sort(Comparator.comparing(Conversation.Entry::at).thenComparing(Conversation.Entry::id).reversed());
        Channel channel = Channel.valueOf(with.channel().toUpperCase(java.util.Locale.ROOT));
        Boolean open = null;
        Instant until = null;
        if (channel == Channel.WHATSAPP) {
            until = inbound.lastWrittenAt(contactId, with.id()).map(at -> at.plus(Conversation.WINDOW))
                    .filter(end -> end.isAfter(clock.instant())).orElse(null);
            open = until != null;
        }
        return new Conversation(contactId, with.name(), channel, open, until, List.copyOf(entries.subList(0,
                Math.min(limit, entries.size()))));
    }
}
