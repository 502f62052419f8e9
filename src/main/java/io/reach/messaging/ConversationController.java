package io.reach.messaging;

import io.reach.contact.Contacts;
import io.reach.sender.Sender;
import io.reach.sender.Senders;
import io.reach.shared.ApiException;
import io.reach.shared.Ids;
import io.reach.shared.OldestFirst;
import io.reach.shared.Pages;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
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

    @ApiResponse(responseCode = "200",
            description = "the conversation's newest messages, or those after the page before",
            headers = @Header(name = "Link", description = Pages.NEXT_LINK))
    @Operation(operationId = "getConversation", summary = "A contact's conversation with one sender, newest first, and whether its WhatsApp window is open")
    @GetMapping("/api/v1/contacts/{id}/conversation")
    ResponseEntity<Conversation> conversation(
            @PathVariable String id,
            @Parameter(description = "the sender (its name or id) the conversation is with")
            @RequestParam(required = false) String sender,
            @Parameter(description = "start after this message, sent or received (the last of the page before): a"
                    + " full page's Link header gives the next")
            @RequestParam(required = false) String after,
            @Parameter(description = "messages on a page, sent and received together: 1 to 100 (50 by default)")
            @RequestParam(defaultValue = "50") int limit) {
        UUID contactId = contacts.get(contacts.idOf("id", id)).id();
        if (sender == null || sender.isBlank()) {
            throw ApiException.invalidField("sender", "is required: the name or id of the sender the conversation is with");
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw ApiException.invalidField("limit", "must be between 1 and " + MAX_LIMIT);
        }
        Sender with = senders.get(senders.idOf(sender).orElseThrow(() -> ApiException.notFound("Sender", sender)));
        OldestFirst.After cursor = after == null ? null : entry(Ids.parse("after", after), contactId, with);
        List<Conversation.Entry> entries = new ArrayList<>();
        messages.latestTo(contactId, with.id(), cursor, limit).forEach(m -> entries.add(Conversation.Entry.of(m)));
        inbound.latestFrom(contactId, with.id(), cursor, limit).forEach(m -> entries.add(Conversation.Entry.of(m)));
        entries.sort(NEWEST_FIRST);
        List<Conversation.Entry> page = List.copyOf(entries.subList(0, Math.min(limit, entries.size())));
        Channel channel = Channel.valueOf(with.channel().toUpperCase(Locale.ROOT));
        Boolean open = null;
        Instant until = null;
        if (channel == Channel.WHATSAPP) {
            until = inbound.lastWrittenAt(contactId, with.id()).map(at -> at.plus(Conversation.WINDOW))
                    .filter(end -> end.isAfter(clock.instant())).orElse(null);
            open = until != null;
        }
        ResponseEntity.BodyBuilder ok = ResponseEntity.ok();
        if (page.size() == limit) {
            ok.header(HttpHeaders.LINK, "<" + "/api/v1/contacts/" + contactId + "/conversation?sender="
                    + Pages.encoded(sender) + "&limit=" + limit + "&after=" + page.getLast().id() + ">; rel=\"next\"");
        }
        return ok.body(new Conversation(contactId, with.name(), channel, open, until, page));
    }

    /**
     * Newest first, as each table is read: by time, then by id in the databases' order of UUIDs (their bytes, unsigned,
     * as their text sorts; {@link UUID#compareTo} compares signed), so that a page of the two tables' messages ends
     * where each table's next page starts, however many were sent and written at one instant.
     */
    static final Comparator<Conversation.Entry> NEWEST_FIRST = Comparator.comparing(Conversation.Entry::at)
            .thenComparing(entry -> entry.id().toString()).reversed();

    /** Where the page after the conversation's message {@code id} starts; a 400 if it is not one of its messages. */
    private OldestFirst.After entry(UUID id, UUID contactId, Sender with) {
        return messages.findTo(id, contactId, with.id()).map(m -> new OldestFirst.After(m.createdAt(), m.id()))
                .or(() -> inbound.findFrom(id, contactId, with.id()).map(m -> new OldestFirst.After(m.occurredAt(), m.id())))
                .orElseThrow(() -> ApiException.invalidField("after", "no message " + id + " in this conversation"));
    }
}
