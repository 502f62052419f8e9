package io.reach.messaging;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.UUID;

/** The answer to a send: the message id, its status (queued or blocked, with why) and the text the recipient reads. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SendResult(UUID messageId, MessageStatus status, String blockedReason, String renderedText, boolean replayed) {

    /** The answer to a send that recorded (or, for a repeated idempotency key, found) this message. */
    public static SendResult of(Messages.Created created) {
        Message message = created.message();
        return new SendResult(message.id(), message.status(), message.blockedReason(), message.renderedText(), created.replayed());
    }

    /** 202 when queued; 200 when blocked (nothing will be sent) or when the idempotency key was seen before. */
    public org.springframework.http.ResponseEntity<SendResult> asResponse() {
        org.springframework.http.HttpStatus status = replayed || this.status == MessageStatus.BLOCKED
                ? org.springframework.http.HttpStatus.OK : org.springframework.http.HttpStatus.ACCEPTED;
        return org.springframework.http.ResponseEntity.status(status)
                .location(java.net.URI.create("/api/v1/messages/" + messageId)).body(this);
    }
}
