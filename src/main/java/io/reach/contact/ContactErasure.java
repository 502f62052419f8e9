package io.reach.contact;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** A contact erased: when, and how many of each kind of thing kept about it were erased or stopped with it. */
public record ContactErasure(UUID id, Instant erasedAt, Map<String, Integer> erased) {}
