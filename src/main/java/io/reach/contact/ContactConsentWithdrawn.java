package io.reach.contact;

import io.reach.shared.MessageCategory;
import java.util.Set;
import java.util.UUID;

/** A contact withdrew its consent to these categories of messages, published in the transaction that records it. */
public record ContactConsentWithdrawn(UUID contactId, Set<MessageCategory> categories) {}
