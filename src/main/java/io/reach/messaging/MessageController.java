package io.reach.messaging;

import io.reach.shared.ApiException;
import io.reach.shared.Ids;
import io.reach.shared.Pages;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** REST API to read messages with their timelines, inbound messages and statuses that matched no message. */
@Tag(name = "Messages", description = "Messages sent (WhatsApp, SMS, calls) with their status timelines, and messages received")
@RestController
class MessageController {

    private final Messages messages;
    private final InboundMessages inbound;

    MessageController(Messages messages, InboundMessages inbound) {
        this.messages = messages;
        this.inbound = inbound;
    }

    @Operation(operationId = "getMessage", summary = "One message: its status, its timeline and the replies to it")
    @GetMapping("/api/v1/messages/{id}")
    Message get(@PathVariable String id) {
        return messages.get(Ids.parse("id", id));
    }

    @ApiResponse(responseCode = "200", description = "a page of messages, newest first",
            headers = @Header(name = "Link", description = Pages.NEXT_LINK))
    @Operation(operationId = "listMessages", summary = "Messages, newest first: all of them, a contact's or a campaign's, those with one status")
    @GetMapping("/api/v1/messages")
    ResponseEntity<List<Message>> list(@Parameter(description = "only the messages to this contact")
                                       @RequestParam(required = false) String contactId,
                                       @Parameter(description = "only the messages of this campaign (a flow's messages"
                                               + " carry its name)")
                                       @RequestParam(required = false) String campaignId,
                                       @Parameter(description = "only the messages with this status now (queued,"
                                               + " blocked, submitted, sent, delivered, read or failed), of the campaign"
                                               + " or the contact, which this filter needs")
                                       @RequestParam(required = false) String status,
                                       @RequestParam(required = false) String after,
                                       @RequestParam(defaultValue = "100") int limit,
                                       @RequestParam(defaultValue = "0") int offset) {
        Pages.checkLimit(limit, offset);
        Pages.afterOrOffset(after, offset);
        MessageStatus only = null;
        if (status != null) {
            only = MessageStatus.parse(status).orElseThrow(() -> ApiException.invalidField("status", "must be one of "
                    + Arrays.stream(MessageStatus.values()).map(MessageStatus::wireName)
                    .collect(Collectors.joining(", "))));
            if (contactId == null && campaignId == null) {
                // Without them the read would go through every message until a page of that status is found.
                throw ApiException.invalidField("status", "filters a campaign's or a contact's messages: give campaignId"
                        + " or contactId with it");
            }
        }
        List<Message> page = messages.list(contactId == null ? null : Ids.parse("contactId", contactId), campaignId, only,
                after == null ? null : Ids.parse("after", after), limit, offset);
        return Pages.withNextLink(page, limit, "/api/v1/messages?limit=" + limit
                + (contactId == null ? "" : "&contactId=" + Pages.encoded(contactId))
                + (campaignId == null ? "" : "&campaignId=" + Pages.encoded(campaignId))
                + (only == null ? "" : "&status=" + only.wireName()), Message::id);
    }

    @ApiResponse(responseCode = "200",
            description = "a page of inbound messages, newest first",
            headers = @Header(name = "Link", description = Pages.NEXT_LINK))
    @Operation(operationId = "listInboundMessages", summary = "Messages received, newest first: all of them or a contact's")
    @GetMapping("/api/v1/inbound-messages")
    ResponseEntity<List<InboundMessage>> inbound(@Parameter(description = "only the messages from this contact")
                                                 @RequestParam(required = false) String contactId,
                                                 @RequestParam(required = false) String after,
                                                 @RequestParam(defaultValue = "100") int limit) {
        Pages.checkLimit(limit, 0);
        List<InboundMessage> page = inbound.list(contactId == null ? null : Ids.parse("contactId", contactId),
                after == null ? null : Ids.parse("after", after), limit);
        return Pages.withNextLink(page, limit, "/api/v1/inbound-messages?limit=" + limit
                + (contactId == null ? "" : "&contactId=" + Pages.encoded(contactId)), InboundMessage::id);
    }

    @Operation(operationId = "listUnmatchedStatuses", summary = "Statuses about messages Reach does not know (yet)")
    @GetMapping("/api/v1/unmatched-statuses")
    List<UnmatchedStatus> unmatched(@RequestParam(defaultValue = "100") int limit) {
        Pages.checkLimit(limit, 0);
        return messages.unmatched(limit);
    }
}
