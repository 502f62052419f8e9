package io.reach.messaging.whatsapp;

import io.reach.sender.Senders;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/** REST API to see how far a WhatsApp number is into its messaging limit, e.g. before launching to an audience. */
@Tag(name = "Senders")
@RestController
class MessagingLimitController {

    private final Senders senders;
    private final MessagingLimits limits;

    MessagingLimitController(Senders senders, MessagingLimits limits) {
        this.senders = senders;
        this.limits = limits;
    }

    @Operation(operationId = "getMessagingLimit", summary = "A WhatsApp number's messaging limit: the contacts it reached in the last 24 hours, and the room left")
    @GetMapping("/api/v1/senders/{idOrName}/messaging-limit")
    MessagingLimits.Usage usage(@PathVariable String idOrName) {
        return limits.usage(WhatsAppSenderLookup.resolve(senders, idOrName).sender());
    }
}
