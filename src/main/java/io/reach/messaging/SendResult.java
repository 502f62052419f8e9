package io.reach.messaging;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.net.URI;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

/** The answer to a send: the message id, its status (queued or blocked, with why) and the text the recipient reads. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SendResult(UUID messageId, MessageStatus status, String blockedReason, String renderedText, boolean replayed) {

    /** The answer to a send that recorded (or, for a repeated idempotency key, found) this message. */
    public static SendResult of(Messages.Created created) {
        Message message = created.message();
        return new SendResult(message.id(), message.status(), message.blockedReason(), message.renderedText(), created.replayed());
    }

    /** 202 when queued; 200 when blocked (nothing will be sent) or when the idempotency key was seen before. */
    public ResponseEntity<SendResult> asResponse() {
        HttpStatus status = replayed || this.status == MessageStatus.BLOCKED
                ? HttpStatus.OK : HttpStatus.ACCEPTED;
        return ResponseEntity.status(status)
                .location(URI.create("/api/v1/messages/" + messageId)).body(this);
    }
}
