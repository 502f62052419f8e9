package io.reach.messaging.voice;

import io.reach.messaging.MessageStatus;
import io.reach.messaging.SendResult;
import java.net.URI;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** REST API to place a call that speaks a text to one contact. */
@RestController
class VoiceController {

    private final VoiceSending sending;

    VoiceController(VoiceSending sending) {
        this.sending = sending;
    }

    /** 202 when queued; 200 when blocked (no call will be placed) or when the idempotency key was seen. */
    @PostMapping(path = "/api/v1/messages/voice", consumes = "application/json")
    ResponseEntity<SendResult> call(@RequestBody PlaceCallRequest request) {
        SendResult result = sending.call(request);
        HttpStatus status = result.replayed() || result.status() == MessageStatus.BLOCKED ? HttpStatus.OK : HttpStatus.ACCEPTED;
        return ResponseEntity.status(status).location(URI.create("/api/v1/messages/" + result.messageId())).body(result);
    }
}
