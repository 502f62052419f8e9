package io.reach.contact;

import java.util.UUID;

/** A contact's phone number was changed (through the API), published in the transaction that records it. */
public record ContactNumberChanged(UUID contactId, String previousPhone, String phone) {}
