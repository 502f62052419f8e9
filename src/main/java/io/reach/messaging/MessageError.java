package io.reach.messaging;

/** Why a provider failed a message: its code (e.g. Meta's 131026), a human title and the provider's details. */
public record MessageError(int code, String title, String details) {}
