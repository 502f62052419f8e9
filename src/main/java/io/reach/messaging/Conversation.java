package io.reach.messaging;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A contact's thread with one sender, newest first: the messages Reach sent it and those it wrote, interleaved; and,
 * on WhatsApp, the customer-service window its last message opened ({@code windowOpenUntil}, null when closed), in
 * which a free-form text may be sent instead of a template.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Conversation(UUID contactId, String sender, Channel channel, Boolean windowOpen, Instant windowOpenUntil,
                           List<Entry> messages) {

    /** WhatsApp's customer-service window: how long after a contact's message a free-form text may answer it. */
    public static final Duration WINDOW = Duration.ofHours(24);

    /**
     * One message of the thread: {@code outbound} (Reach's: its template or text, its status now) or {@code inbound}
     * (the contact's: its type, text, and a quick reply's payload); {@code at} is when it was made or written.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "ConversationEntry")
    public record Entry(String direction, UUID id, Instant at, String template, String type, String text,
                        MessageStatus status, String replyPayload) {

        static Entry of(Message message) {
            return new Entry("outbound", message.id(), message.createdAt(), message.templateName(), null,
                    message.renderedText(), message.status(), null);
        }

        static Entry of(InboundMessage message) {
            return new Entry("inbound", message.id(), message.occurredAt(), null, message.type(), message.text(), null,
                    message.replyPayload());
        }
    }
}
