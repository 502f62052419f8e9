package io.reach.messaging;

import io.reach.shared.ApiException;
import io.reach.shared.Ids;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** REST API to read messages with their timelines, inbound messages and statuses that matched no message. */
@RestController
class MessageController {

    private final Messages messages;
    private final InboundMessages inbound;

    MessageController(Messages messages, InboundMessages inbound) {
        this.messages = messages;
        this.inbound = inbound;
    }

    @GetMapping("/api/v1/messages/{id}")
    Message get(@PathVariable String id) {
        return messages.get(Ids.parse("id", id));
    }

    @GetMapping("/api/v1/messages")
    List<Message> list(@RequestParam(required = false) String contactId, @RequestParam(required = false) String campaignId,
                       @RequestParam(defaultValue = "100") int limit, @RequestParam(defaultValue = "0") int offset) {
        checkPage(limit, offset);
        return messages.list(contactId == null ? null : Ids.parse("contactId", contactId), campaignId, limit, offset);
    }

    @GetMapping("/api/v1/inbound-messages")
    List<InboundMessage> inbound(@RequestParam(required = false) String contactId, @RequestParam(defaultValue = "100") int limit) {
        checkPage(limit, 0);
        return contactId == null ? inbound.latest(limit) : inbound.ofContact(Ids.parse("contactId", contactId), limit);
    }

    @GetMapping("/api/v1/unmatched-statuses")
    List<UnmatchedStatus> unmatched(@RequestParam(defaultValue = "100") int limit) {
        checkPage(limit, 0);
        return messages.unmatched(limit);
    }

    private static void checkPage(int limit, int offset) {
        if (limit < 1 || limit > 1000) {
            throw ApiException.invalidField("limit", "must be between 1 and 1000");
        }
        if (offset < 0) {
            throw ApiException.invalidField("offset", "must not be negative");
        }
    }
}
