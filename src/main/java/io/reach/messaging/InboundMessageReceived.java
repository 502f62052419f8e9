package io.reach.messaging;

/**
 * Published once per inbound message, after it is stored, with the opt-out or opt-in keyword its provider read in it
 * ({@code providerKeyword}: Twilio's Advanced Opt-Out says so, in words of the number's own), null when it read none or
 * does not say.
 */
public record InboundMessageReceived(InboundMessage message, Keyword providerKeyword) {

    /** What a provider read a message as: a contact's stop, or its start again. */
    public enum Keyword { OPT_OUT, OPT_IN }

    public InboundMessageReceived(InboundMessage message) {
        this(message, null);
    }
}
