package io.reach.messaging.whatsapp;

import java.net.URI;
import io.reach.messaging.MessageStatus;
import io.reach.messaging.SendResult;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** REST API to send a WhatsApp template to one contact. */
@RestController
class WhatsAppMessageController {

    private final WhatsAppSending sending;

    WhatsAppMessageController(WhatsAppSending sending) {
        this.sending = sending;
    }

    /** 202 when queued for sending; 200 when blocked (nothing will be sent) or when the idempotency key was seen. */
    @PostMapping(path = "/api/v1/messages/whatsapp", consumes = "application/json")
    ResponseEntity<SendResult> send(@RequestBody SendTemplateRequest request) {
        SendResult result = sending.send(request);
        HttpStatus status = result.replayed() || result.status() == MessageStatus.BLOCKED ? HttpStatus.OK : HttpStatus.ACCEPTED;
        return ResponseEntity.status(status).location(URI.create("/api/v1/messages/" + result.messageId())).body(result);
    }
}
