package io.reach.messaging;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.UUID;

/**
 * A message a contact sent us: text, a template quick-reply button, an interactive reply or a reaction (its emoji
 * as text), with the message it answers when the provider said so.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InboundMessage(
        UUID id,
        Channel channel,
        UUID senderId,
        UUID contactId,
        String from,
        String providerMessageId,
        String type,
        String text,
        String replyPayload,
        String contextProviderMessageId,
        UUID repliedToMessageId,
        Instant occurredAt,
        Instant receivedAt) {

    /**
     * The type of Meta's notices about the user (its number changed, its user id changed): on the contact's record,
     * written by no one.
     */
    public static final String SYSTEM = "system";

    /**
     * Whether it is an answer a journey waiting for a reply takes: a reaction (an emoji on a message) is not, nor a
     * notice of Meta's ({@link #SYSTEM}).
     */
    public boolean isReply() {
        return !"reaction".equals(type) && writtenByTheContact();
    }

    /**
     * Whether the contact wrote it (which opens WhatsApp's 24-hour window and makes the contact active): all but
     * Meta's notices ({@link #SYSTEM}).
     */
    public boolean writtenByTheContact() {
        return !SYSTEM.equals(type);
    }
}
