package io.reach.messaging;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.UUID;

/** The answer to a send: the message id, its status (queued or blocked, with why) and the text the recipient reads. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SendResult(UUID messageId, MessageStatus status, String blockedReason, String renderedText, boolean replayed) {}
