package io.reach.messaging.whatsapp;

import io.reach.sender.Senders;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/** REST API to check a WhatsApp sender against Meta before sending from it. */
@Tag(name = "Senders")
@RestController
class NumberCheckController {

    private final Senders senders;
    private final NumberCheck check;

    NumberCheckController(Senders senders, NumberCheck check) {
        this.senders = senders;
        this.check = check;
    }

    @Operation(operationId = "checkSender", summary = "Check a WhatsApp sender with Meta: its token and number, the Cloud API, the account's webhook"
            + " subscription; lists what would keep it from working")
    @PostMapping("/api/v1/senders/{idOrName}/check")
    NumberCheck.Result check(@PathVariable String idOrName) {
        return check.check(WhatsAppSenderLookup.resolve(senders, idOrName));
    }
}
