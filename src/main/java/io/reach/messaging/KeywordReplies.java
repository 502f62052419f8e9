package io.reach.messaging;

import io.reach.contact.Contact;
import java.util.UUID;

/** A channel's way to answer a contact's own STOP or START in the conversation it wrote in. */
public interface KeywordReplies {

    /** The channel whose conversations this answers in. */
    Channel channel();

    /**
     * Answers from {@code senderId}, the number the contact wrote to, whatever the contact's opt-out and consent; one
     * answer per {@code idempotencyKey}.
     */
    SendResult confirmKeyword(UUID senderId, Contact contact, String text, String idempotencyKey);
}
