package io.reach.messaging.whatsapp;

import io.reach.messaging.SendResult;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** REST API to send a WhatsApp template to one contact. */
@Tag(name = "Messages")
@RestController
class WhatsAppMessageController {

    private final WhatsAppSending sending;

    WhatsAppMessageController(WhatsAppSending sending) {
        this.sending = sending;
    }

    /** 202 when queued for sending; 200 when blocked (nothing will be sent) or when the idempotency key was seen. */
    @ApiResponse(responseCode = "200", description = "blocked (nothing will be sent, the answer says why), or the message"
            + " an earlier request with this idempotency key made")
    @ApiResponse(responseCode = "202", description = "queued for sending")
    @ApiResponse(responseCode = "404", description = "no sender has that name or id, or no contact has the number"
            + " (create it first, with its consent)")
    @ApiResponse(responseCode = "409", description = "the idempotencyKey was used for another message (key_reused)")
    @Operation(operationId = "sendWhatsApp", summary = "Send a WhatsApp template message")
    @PostMapping(path = "/api/v1/messages/whatsapp", consumes = "application/json")
    ResponseEntity<SendResult> send(@RequestBody SendTemplateRequest request) {
        return sending.send(request).asResponse();
    }
}
