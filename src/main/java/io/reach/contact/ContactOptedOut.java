package io.reach.contact;

import java.time.Instant;
import java.util.UUID;

/** A contact opted out of all messages (through the API or an import), published in the transaction that records it. */
public record ContactOptedOut(UUID contactId, Instant at) {}
